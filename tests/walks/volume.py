#!/usr/bin/env python3
"""Issue 12's "Done when", replayed as a new user against the cloud ./run.sh started: a Volume from the demo
template `data`, attached to a container and written, detached, attached to a VM (the guest gets the disk) and
detached, both Machines deleted, attached to a new container: the data is there. Then `kill` kills -9 every
CimiGrains process and PostgreSQL with the Volume attached, and after ./run.sh again `after` finds the Volume,
the attachment and the data as they were acknowledged.

Usage (root, from a checkout where ./run.sh is running):
  tests/walks/volume.py          the walk above, ending with the kill
  (start ./run.sh again)
  tests/walks/volume.py after    what was acknowledged before the kill is still so
"""
import json, os, subprocess, sys, time, uuid
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cimiwalk import *  # noqa: F401,F403
import cimiwalk

STATE = os.path.join(cimiwalk.data, "walk-volume.json")


def accepted(what, s, h, t, doc=None):
    check(s == 202 and h.get("CIMI-Job-URI"), f"{what}: 202 with a Job", (s, t[:300]))
    job = wait_job("demo", DEMO, h["CIMI-Job-URI"], 300) if h.get("CIMI-Job-URI") else {}
    check(job.get("state") == "SUCCESS", f"{what}: its Job succeeds", job.get("statusMessage"))
    return rel(h.get("Location", ""))


def machine(name, template, extra=None):
    body = {"name": name, "machineTemplate": dict({"href": CEP + f"machineTemplates/{template}"}, **(extra or {}))}
    return accepted(f"create Machine {name}", *demo("POST", "/cimi/machines", body))


def attach(m, volume):
    return accepted(f"attach the Volume to {m}", *demo("POST", f"{m}/volumes",
                                                     {"volume": {"href": CEP + volume[len('/cimi/'):]}, "initialLocation": "/data"}))


def detach(m, volume):
    accepted(f"detach the Volume from {m}", *demo("DELETE", f"{m}/volumes/{volume.rsplit('/', 1)[1]}"))


def in_container(m, script):
    return subprocess.run(["docker", "exec", container_of(m), "sh", "-c", script], capture_output=True, text=True)


def walk():
    token = uuid.uuid4().hex
    volume = accepted("create a Volume from template 'data'",
                      *demo("POST", "/cimi/volumes", {"name": "walk-data", "volumeTemplate": {"href": CEP + "volumeTemplates/data"}}))
    check(get(volume).get("state") == "AVAILABLE", "the Volume is AVAILABLE", get(volume).get("state"))
    first = machine("walk-writer", "demo")
    attach(first, volume)
    w = in_container(first, f"echo {token} > /data/note && sync && cat /data/note")
    check(w.returncode == 0 and token in w.stdout, "the container writes to /data on the Volume", (w.returncode, w.stderr))
    detach(first, volume)
    check(in_container(first, "test -e /data/note").returncode != 0, "after the detach the container no longer has it")
    vm = machine("walk-vm", "demo-vm", {"credential": {"userName": "admin", "password": "walk-password-1"}})
    attach(vm, volume)
    disks = items(get(f"{vm}/volumes"))
    check(len(disks) == 1, "the VM lists the Volume among its volumes", disks)
    detach(vm, volume)
    for m in (first, vm):
        accepted(f"delete {m}", *demo("DELETE", m))
    check(get(volume).get("state") == "AVAILABLE", "with both Machines gone the Volume is AVAILABLE again", get(volume).get("state"))
    reader = machine("walk-reader", "demo")
    attach(reader, volume)
    r = in_container(reader, "cat /data/note")
    check(token in r.stdout, "a new Machine reads what the first one wrote", (r.stdout, r.stderr))
    json.dump({"volume": volume, "machine": reader, "token": token}, open(STATE, "w"))
    kill_everything()
    print("killed -9 every CimiGrains process and PostgreSQL; start ./run.sh again, then: tests/walks/volume.py after")


def after():
    saved = json.load(open(STATE))
    volume, reader, token = saved["volume"], saved["machine"], saved["token"]
    end = time.time() + 120
    while time.time() < end and get(reader).get("state") != "STARTED":
        time.sleep(1)
    check(get(reader).get("state") == "STARTED", "the reading Machine is STARTED after the restart", get(reader).get("state"))
    listed = items(get(f"{reader}/volumes"))
    check(len(listed) == 1, "it still lists the Volume as attached", listed)
    check(get(volume).get("state") != "AVAILABLE" or get(volume).get("attachedTo"), "the Volume knows it is attached",
          get(volume))
    r = in_container(reader, "cat /data/note")
    check(token in r.stdout, "the data is there", (r.stdout, r.stderr))
    detach(reader, volume)
    accepted(f"delete {reader}", *demo("DELETE", reader))
    accepted("delete the Volume", *demo("DELETE", volume))
    check(demo("GET", volume)[0] == 404, "the Volume is gone")
    os.remove(STATE)


after() if len(sys.argv) > 1 and sys.argv[1] == "after" else walk()
sys.exit(summary())
