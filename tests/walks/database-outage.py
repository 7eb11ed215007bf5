#!/usr/bin/env python3
"""Issue 9 finding 5 against ./run.sh: PostgreSQL's postmaster killed -9 for 10 s under load, then
creates right after. Usage: tests/walks/database-outage.py RUN_LOG   (run.sh's output, to measure the log)"""
import collections, os, subprocess, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cimiwalk import *  # noqa: F401,F403
import cimiwalk

checkout, runlog = cimiwalk.CHECKOUT, sys.argv[1]
data = cimiwalk.data
codes = collections.Counter()
stop = False
def load():
    while not stop:
        try:
            s = demo("GET", "/cimi/machineConfigs")[0] if time.time() % 2 < 1 else demo("POST", "/cimi/machineConfigs", {"name": "o", "cpu": 1, "memory": 65536})[0]
            codes[s] += 1
        except Exception as e:
            codes[type(e).__name__] += 1
        time.sleep(0.02)
threads = [threading.Thread(target=load) for _ in range(4)]
[t.start() for t in threads]
time.sleep(3)
log0 = os.path.getsize(runlog)
pid = open(os.path.join(data, "postgres/postmaster.pid")).readline().strip()
subprocess.run(["kill", "-9", pid])
time.sleep(10)
subprocess.run(["pkill", "-9", "-f", "postgres: "])  # the backends the postmaster left
time.sleep(0.5)
out = subprocess.run([os.path.join(checkout, "scripts/postgres.sh"), "start", os.path.join(data, "postgres"), os.environ.get("CIMI_WALK_PG_PORT", "55432"), "cimigrains"], capture_output=True, text=True)
print("postgres restart:", out.returncode, out.stderr[-300:])
time.sleep(8)
stop = True
[t.join() for t in threads]
grew = os.path.getsize(runlog) - log0
print("codes during/around the outage:", dict(codes))
check(codes.get(500, 0) == 0, "5: no 500 during the outage", dict(codes))
check(codes.get(503, 0) > 0, "5: 503s during the outage", dict(codes))
# Every successful write logs its domain event at info: count the warnings and errors instead.
window = open(runlog, errors="replace").read()[log0:log0 + grew]
noisy = [l for l in window.splitlines() if " warn: " in l or " fail: " in l]
check(len(noisy) <= 6, f"5: {len(noisy)} warning/error lines over the outage (log grew {grew} bytes)", "\n".join(noisy[:10]))
# 30 creates right after
jobs = []
# Six: the demo host's default capacity (2 CPUs at ratio 4) with room left for what the tenant runs.
for i in range(6):
    s, h, t, d = demo("POST", "/cimi/machines", {"name": f"after-{i}", "machineTemplate": {"href": "http://127.0.0.1:8080/cimi/machineTemplates/demo"}})
    if s != 202: print("create", s, t[:200])
    else: jobs.append((h["CIMI-Job-URI"], h["Location"]))
check(len(jobs) == 6, f"5: 6 creates accepted ({len(jobs)})")
ok = 0
for job, m in jobs:
    j = wait_job("demo", DEMO, job, 180)
    st = demo("GET", m)[3].get("state")
    if j.get("state") == "SUCCESS" and st == "STARTED": ok += 1
    else: print("job", j.get("state"), j.get("statusMessage"), "machine", st)
check(ok == len(jobs), f"5: every create SUCCESS and its Machine STARTED ({ok}/{len(jobs)})")
for job, m in jobs: demo("DELETE", m)
sys.exit(summary())
