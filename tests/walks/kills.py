#!/usr/bin/env python3
"""Issue 9 findings 6 (the agent killed -9 and back after 3 s) and 7 (a silo killed -9: the one holding
the agent's stream, then the other) on the two-silo rig of two-silos.sh. Usage: tests/walks/kills.py"""
import collections, os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cimiwalk import *  # noqa: F401,F403
import cimiwalk

RIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "two-silos.sh")
port = cimiwalk.use_port
def pid(part): return open(f"/tmp/cimi-walk-{part}.pid").read().strip()
def kill(part): subprocess.run(["kill", "-9", pid(part)])
def start(part): subprocess.run([RIG, part], check=True)
TEMPLATE = {"href": "http://127.0.0.1:8080/cimi/machineTemplates/demo"}

def create(name):
    s, h, t, d = demo("POST", "/cimi/machines", {"name": name, "machineTemplate": TEMPLATE})
    return (s, h.get("CIMI-Job-URI"), h.get("Location"), t)

def agree(pairs, label):
    ok, bad = 0, []
    for job, m in pairs:
        j = wait_job("demo", DEMO, job, 240)
        st = demo("GET", m)[3].get("state")
        if j.get("state") == "SUCCESS" and st in ("STARTED", "STOPPED"): ok += 1
        else: bad.append((j.get("state"), j.get("statusMessage"), st))
    check(not bad, f"{label}: {ok}/{len(pairs)} Jobs SUCCESS, each Machine as its Job says", bad[:3])

# ---- finding 6: the agent is killed -9 and back after 3 s
port(8080)
made = []
for i in range(2):
    s, job, m, t = create(f"f6-pre-{i}"); made.append((job, m))
agree(made, "6: before")
# an action in flight at the kill, creates accepted while the agent is away
act = demo("POST", made[0][1], {"action": "http://schemas.dmtf.org/cimi/1/action/stop"})
kill("agent")
during = []
for i in range(3):
    s, job, m, t = create(f"f6-during-{i}")
    check(s == 202, f"6: create {i} accepted while the agent is away", (s, t[:200]))
    if s == 202: during.append((job, m))
time.sleep(3)
start("agent")
agree(during, "6: creates made while the agent was away")
if act[0] == 202:
    j = wait_job("demo", DEMO, act[1]["CIMI-Job-URI"], 120)
    st = demo("GET", made[0][1])[3].get("state")
    check((j.get("state") == "SUCCESS" and st == "STOPPED") or (j.get("state") == "FAILED" and st == "STARTED"),
          f"6: the stop in flight at the kill: Job {j.get('state')}, Machine {st}", j.get("statusMessage"))
for _, m in made + during: demo("DELETE", m)
time.sleep(5)

# ---- finding 7a: kill -9 the silo that holds the agent's stream; the survivor keeps serving
log = open("/tmp/cimi-walk-agent.log").read()
holder = "a" if log.rfind("Connected to http://127.0.0.1:8081") > log.rfind("Connected to http://127.0.0.1:8091") else "b"
survivor = "b" if holder == "a" else "a"
port(8090 if survivor == "b" else 8080)
print("agent stream on silo", holder, "; the survivor is", survivor)
kill(holder)
t0 = time.time()
codes, slow, accepted = collections.Counter(), [], []
while time.time() - t0 < 20:
    a = time.time()
    try:
        s, job, m, t = create(f"f7-{len(accepted)}") if len(accepted) < 5 else (demo("GET", "/cimi/machines")[0], None, None, "")
    except Exception as e:
        s, job, m = type(e).__name__, None, None
    slow.append(time.time() - a)
    codes[s] += 1
    if s == 202: accepted.append((job, m))
    time.sleep(0.2)
print("7a: answers on the survivor over 20 s:", dict(codes), "max latency %.1f s" % max(slow))
check(codes.get(503, 0) + codes.get(500, 0) < 5 * 4, f"7a: survivor answered {dict(codes)}")
check(codes.get(500, 0) == 0, "7a: no 500 on the survivor")
check(max(slow) < 12, f"7a: no request on the survivor waited more than 12 s ({max(slow):.1f} s)")
agree(accepted, "7a: creates through the survivor")
for _, m in accepted: demo("DELETE", m)
start(holder)
time.sleep(10)

# ---- finding 7b: kill -9 the silo that does not hold the stream while requests run on the other
log = open("/tmp/cimi-walk-agent.log").read()
holder = "a" if log.rfind("Connected to http://127.0.0.1:8081") > log.rfind("Connected to http://127.0.0.1:8091") else "b"
other = "b" if holder == "a" else "a"
port(8090 if holder == "b" else 8080)
ids = []
for i in range(20):
    s, h, t, d = demo("POST", "/cimi/machineConfigs", {"name": f"c{i}", "cpu": 1, "memory": 65536})
    ids.append(d["id"][d["id"].index("/cimi/"):])
kill(other)
t0, slow, codes = time.time(), [], collections.Counter()
while time.time() - t0 < 15:
    for path in ids:
        a = time.time()
        s = demo("GET", path)[0]
        slow.append(time.time() - a); codes[s] += 1
print("7b: GETs by id on the stream's silo while the other dies:", dict(codes), "max %.1f s" % max(slow))
check(codes.get(500, 0) == 0, "7b: no 500")
check(max(slow) < 12, f"7b: the longest wait on the dead silo's grains was {max(slow):.1f} s (bound: declared dead ~6 s)")
start(other)
sys.exit(summary())
