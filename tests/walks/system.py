#!/usr/bin/env python3
"""Issue 14's "Done when", replayed as a new user against the cloud ./run.sh started: a System from the demo
SystemTemplate, its members working together, stop and start, delete, nothing left; and a kill -9 of every
CimiGrains process (and PostgreSQL) in the middle of a create, after which ./run.sh again must finish the System or
its rollback, with nothing made twice.

Usage (root, from a checkout where ./run.sh is running):
  tests/walks/system.py             the whole life of one System, then nothing of it on the host
  tests/walks/system.py kill        creates a System and kills -9 everything once its first members exist;
                                    start ./run.sh again, then:
  tests/walks/system.py after       the System killed mid-create is complete or cleanly gone, nothing doubled
"""
import json, os, re, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cimiwalk import *  # noqa: F401,F403
import cimiwalk

STATE = os.path.join(cimiwalk.data, "walk-system.json")
SETTLED = {"STARTED", "STOPPED", "ERROR", "MIXED"}


def members(system, collection):
    """The hrefs of the System's members in one of its collections (machines, volumes, networks, ...)."""
    doc = get(f"{system}/{collection}")
    found = []
    for item in items(doc):
        ref = next((v["href"] for k, v in item.items() if isinstance(v, dict) and "href" in v and k != "system"), None)
        if ref: found.append(rel(ref))
    return found


def host_counts():
    """What is on this host that CimiGrains realizes: containers, VMs, Volume devices and daemons, bridges."""
    sh = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout
    return {
        "containers": len([l for l in sh("docker ps -a --format '{{.Names}}'").split() if l.startswith("cimi-")]),
        "vms": len([l for l in sh("pgrep -af qemu-system").splitlines() if "qemu-system" in l]),
        "loop devices": len([l for l in sh("losetup -a").splitlines() if l.strip()]),
        "nbd daemons": len([l for l in sh("pgrep -af qemu-storage-daemon").splitlines() if "qemu-storage" in l]),
        "bridges": len(re.findall(r"^cimi\S*", sh("ip -br link show type bridge"), re.M)),
    }


def wait_system(system, states, timeout=300):
    end = time.time() + timeout
    doc = {}
    while time.time() < end:
        doc = get(system)
        if doc.get("state") in states: return doc
        time.sleep(1)
    return doc


def action(system, name):
    s, h, _, _ = demo("POST", rel(system), {"action": f"http://schemas.dmtf.org/cimi/1/action/{name}"})
    job = h.get("CIMI-Job-URI")
    return s, (wait_job("demo", DEMO, job, 300) if job else {})


def create(name):
    s, h, t, _ = demo("POST", "/cimi/systems", {"name": name, "systemTemplate": {"href": CEP + "systemTemplates/demo"}})
    check(s == 202 and h.get("Location"), f"POST systems ({name}) answers 202 with a Location", (s, t[:200]))
    return rel(h["Location"]), h.get("CIMI-Job-URI")


def machines_in(system, state):
    ms = members(system, "machines")
    return ms, [get(m).get("state") for m in ms].count(state)


def address_of(machine):
    """The Machine's first address on its first network interface, as the API gives it."""
    nics = items(get(f"{machine}/networkInterfaces"))
    if not nics: return None
    addresses = items(get(nics[0]["addresses"]["href"]))
    return get(addresses[0]["address"]["href"]).get("ip") if addresses else None


def container_pid(machine):
    name = container_of(machine)
    if not name: return None
    return subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", name], capture_output=True, text=True).stdout.strip()


def reaches(machine, ip, timeout=60):
    """An ICMP echo from the container's own network namespace (the demo containers have no NET_RAW, so the host's
    ping runs there: the same veth, bridge and rules as the workload's packets) to ip, answered."""
    pid = container_pid(machine)
    end = time.time() + timeout
    while pid and time.time() < end:
        if subprocess.run(["nsenter", "-n", "-t", pid, "ping", "-c", "1", "-W", "1", ip], capture_output=True).returncode == 0:
            return True
        time.sleep(1)
    return False


def nothing_left(before, what):
    after = host_counts()
    check(after == before, f"{what}: the host holds what it held before the System", {"before": before, "after": after})


def whole_life():
    before = host_counts()
    system, job = create("walk-shop")
    done = wait_job("demo", DEMO, job, 420)
    check(done.get("state") == "SUCCESS", "the System's Job succeeds", done.get("statusMessage"))
    doc = wait_system(system, {"STARTED"}, 60)
    check(doc.get("state") == "STARTED", "the System is STARTED", doc.get("state"))
    ms, started = machines_in(system, "STARTED")
    check(len(ms) == 3 and started == 3, "its three Machines (web x2, db) are STARTED", (len(ms), started))
    vols, nets = members(system, "volumes"), members(system, "networks")
    check(len(vols) == 1, "its Volume is there", vols)
    attached = [m for m in ms if any(rel(v.get("volume", {}).get("href", "")) == vols[0]
                                     for v in items(get(f"{m}/volumes")))]
    check(len(attached) == 1, "the Volume is attached to the database Machine", attached)
    check(len(nets) == 1, "its private Network is there", nets)
    print("     Machines on hosts:", ", ".join(f"{get(m).get('name')} on {get(m).get('host')}" for m in ms))
    # Working together: each web container reaches the database over the System's Network.
    db = next((m for m in ms if get(m).get("name") == "db"), None)
    db_ip = address_of(db) if db else None
    webs = [m for m in ms if m != db]
    check(db_ip and len(webs) == 2 and all(reaches(w, db_ip) for w in webs),
          "both web Machines reach the database over the System's Network", (db, db_ip, webs))
    counts = host_counts()
    check(counts["containers"] - before["containers"] + counts["vms"] - before["vms"] == 3,
          "the host runs exactly three workloads for it", {"before": before, "now": counts})
    s, j = action(system, "stop")
    ms, stopped = machines_in(system, "STOPPED")
    check(j.get("state") == "SUCCESS" and stopped == 3 and get(system).get("state") == "STOPPED",
          "stop reaches every Machine and the System is STOPPED", (j.get("statusMessage"), stopped))
    s, j = action(system, "start")
    ms, started = machines_in(system, "STARTED")
    check(j.get("state") == "SUCCESS" and started == 3 and get(system).get("state") == "STARTED",
          "start reaches every Machine and the System is STARTED", (j.get("statusMessage"), started))
    s, h, _, _ = demo("DELETE", system)
    dj = wait_job("demo", DEMO, h.get("CIMI-Job-URI"), 300) if h.get("CIMI-Job-URI") else {}
    check(s == 202 and dj.get("state") == "SUCCESS", "DELETE of the System succeeds", (s, dj.get("statusMessage")))
    check(demo("GET", system)[0] == 404, "the System is gone (404)")
    gone = [r for r in ms + vols + nets if demo("GET", r)[0] != 404]
    check(not gone, "every member it made is gone (404)", gone)
    nothing_left(before, "after the delete")


def kill_mid_create():
    before = host_counts()
    system, job = create("walk-killed")
    end = time.time() + 300
    while time.time() < end:
        made = sum(get(m).get("state") in ("STARTED", "CREATING", "STOPPED") for m in members(system, "machines"))
        if made >= 1 and get(job).get("state") not in ("SUCCESS", "FAILED"): break
        time.sleep(0.2)
    json.dump({"system": system, "job": job, "before": before}, open(STATE, "w"))
    # Everything: the gateway/silo, the agent, PostgreSQL; the workloads themselves are the host's and stay.
    kill_everything()
    print(f"killed -9 everything during the create of {system}, with {made} Machine(s) made")
    print("Now start ./run.sh again, then run: tests/walks/system.py after")


def after_kill():
    saved = json.load(open(STATE))
    system, job, before = saved["system"], saved["job"], saved["before"]
    done = wait_job("demo", DEMO, job, 420)
    check(done.get("state") in ("SUCCESS", "FAILED"), "the create's Job ends after the restart", done.get("state"))
    doc = wait_system(system, SETTLED, 120) if demo("GET", system)[0] == 200 else {}
    if done.get("state") == "SUCCESS":
        ms, started = machines_in(system, "STARTED")
        check(doc.get("state") == "STARTED" and len(ms) == 3 and started == 3, "the System is complete: STARTED, 3 Machines",
              (doc.get("state"), len(ms), started))
        counts = host_counts()
        check(counts["containers"] - before["containers"] + counts["vms"] - before["vms"] == 3,
              "exactly three workloads for it: nothing made twice", {"before": before, "now": counts})
        s, h, _, _ = demo("DELETE", system)
        wait_job("demo", DEMO, h.get("CIMI-Job-URI"), 300)
    else:
        print("     rolled back:", done.get("statusMessage"))
        # A rollback ends the System in ERROR with nothing of its members left; deleting it removes the record.
        if demo("GET", system)[0] == 200:
            s, h, _, _ = demo("DELETE", system)
            wait_job("demo", DEMO, h.get("CIMI-Job-URI"), 300)
    check(demo("GET", system)[0] == 404, "the System is gone once deleted")
    nothing_left(before, "after the restart and the delete")
    os.remove(STATE)


{"kill": kill_mid_create, "after": after_kill}.get(sys.argv[1] if len(sys.argv) > 1 else "", whole_life)()
sys.exit(summary())
