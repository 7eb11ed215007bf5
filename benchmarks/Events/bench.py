#!/usr/bin/env python3
"""Change -> live stream latency (issue 15): SUBSCRIBERS consumers of one tenant's event stream
(text/event-stream), EVENTS changes made one after another through the API; for every delivery, the time
from the change's answer (the change is committed when the API answers) to the event's arrival at the
subscriber. Standard library only. Env: BENCH_PORT, BENCH_PASSWORD (user demo), BENCH_SUBSCRIBERS (100),
BENCH_EVENTS (50), BENCH_GAP_MS (200)."""
import base64, http.client, json, os, statistics, threading, time

port = int(os.environ["BENCH_PORT"])
auth = "Basic " + base64.b64encode(f"demo:{os.environ['BENCH_PASSWORD']}".encode()).decode()
subscribers = int(os.environ.get("BENCH_SUBSCRIBERS", "100"))
events = int(os.environ.get("BENCH_EVENTS", "50"))
gap = int(os.environ.get("BENCH_GAP_MS", "200")) / 1000.0

arrivals = [dict() for _ in range(subscribers)]  # per subscriber: resource href -> arrival time
ready = threading.Barrier(subscribers + 1)
done = threading.Event()


def subscribe(i):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", "/cimi/eventLogs/tenant/stream", headers={"Authorization": auth, "Accept": "text/event-stream"})
    r = conn.getresponse()  # http.client undoes the chunked framing: readline gives whole SSE lines
    assert r.status == 200, (r.status, r.read()[:200])
    signalled = False
    while not done.is_set():
        line = r.readline()
        if not line:
            break
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if not signalled and text.startswith(":"):
            signalled = True
            ready.wait()
        elif text.startswith("data: "):
            try:
                href = json.loads(text[6:])["content"]["resource"]["href"]
                arrivals[i].setdefault(href, time.monotonic())
            except (ValueError, KeyError):
                pass
    conn.close()


# One login first: it is verified (PBKDF2) once and cached, so the subscribers do not queue at the hashing gate.
warm = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
warm.request("GET", "/cimi/cloudEntryPoint", headers={"Authorization": auth, "Accept": "application/json"})
assert warm.getresponse().status == 200
threads = [threading.Thread(target=subscribe, args=(i,), daemon=True) for i in range(subscribers)]
for t in threads:
    t.start()
ready.wait(timeout=120)

made = []  # (href, answered at)
api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for k in range(events):
    body = json.dumps({"name": f"e{k}", "cpu": 1, "memory": 65536})
    api.request("POST", "/cimi/machineConfigs", body=body, headers={"Authorization": auth, "Content-Type": "application/json",
                                                                     "Accept": "application/json"})
    r = api.getresponse()
    doc = json.loads(r.read())
    answered = time.monotonic()
    assert r.status == 201, (r.status, doc)
    made.append((doc["id"], answered))
    time.sleep(gap)

deadline = time.monotonic() + 30
while time.monotonic() < deadline and any(len(a) < events for a in arrivals):
    time.sleep(0.1)
done.set()

latencies = []
missing = 0
for a in arrivals:
    for href, answered in made:
        if href in a:
            latencies.append((a[href] - answered) * 1000)
        else:
            missing += 1
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))]
print(f"| subscribers | changes | deliveries | missing | median ms | p99 ms | max ms |")
print(f"|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {subscribers} | {events} | {len(latencies)} | {missing} | {statistics.median(latencies):.1f} | {q(0.99):.1f} | {latencies[-1]:.1f} |")
