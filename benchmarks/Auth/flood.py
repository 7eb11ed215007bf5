#!/usr/bin/env python3
"""A legitimate client's GET latency with and without a flood of wrong passwords, side by side in one run.

Phases (each BENCH_DURATION seconds, the legitimate client runs sequential GETs throughout):
  quiet        no flood
  one-source   FLOOD clients on one loopback address send wrong passwords for the legitimate user
  many-sources FLOOD clients on FLOOD distinct loopback addresses send wrong passwords for unknown users
               (what a single source's throttle cannot stop: the hashing gate has to)
The legitimate client is on 127.0.0.1, the flooders on other 127.0.0.0/8 addresses: the gateway sees
them as different machines. Prints one markdown table.
"""
import argparse, base64, http.client, random, statistics, string, threading, time

def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

def legit(host, port, path, auth, stop, out):
    conn = http.client.HTTPConnection(host, port, timeout=30, source_address=("127.0.0.1", 0))
    while not stop.is_set():
        t = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Authorization": auth})
            r = conn.getresponse(); r.read()
            out.append(((time.perf_counter() - t) * 1000, r.status))
        except (OSError, http.client.HTTPException):
            conn.close(); conn = http.client.HTTPConnection(host, port, timeout=30, source_address=("127.0.0.1", 0))
            out.append(((time.perf_counter() - t) * 1000, 0))

def flooder(host, port, path, source, user, stop, counts, lock):
    conn = http.client.HTTPConnection(host, port, timeout=60, source_address=(source, 0))
    while not stop.is_set():
        name = user or "ghost-" + "".join(random.choices(string.ascii_lowercase, k=10))
        try:
            conn.request("GET", path, headers={"Authorization": basic(name, "wrong-" + str(random.random()))})
            r = conn.getresponse(); r.read(); status = r.status
        except (OSError, http.client.HTTPException):
            conn.close(); conn = http.client.HTTPConnection(host, port, timeout=60, source_address=(source, 0)); status = 0
        with lock:
            counts[status] = counts.get(status, 0) + 1

def phase(args, name, flood_sources, flood_user):
    stop, samples, counts, lock = threading.Event(), [], {}, threading.Lock()
    threads = [threading.Thread(target=flooder, args=(args.host, args.port, args.path, s, flood_user, stop, counts, lock), daemon=True)
               for s in flood_sources]
    for t in threads: t.start()
    if threads: time.sleep(args.warmup)  # the flood is on before the measurement starts
    lt = threading.Thread(target=legit, args=(args.host, args.port, args.path, basic(args.user, args.password), stop, samples), daemon=True)
    lt.start()
    time.sleep(args.duration)
    stop.set(); lt.join(35)
    for t in threads: t.join(65)
    ok = [ms for ms, st in samples if st == 200]
    bad = len(samples) - len(ok)
    q = statistics.quantiles(ok, n=100, method="inclusive") if len(ok) >= 2 else [float("nan")] * 99
    return name, len(ok), bad, statistics.median(ok) if ok else float("nan"), q[98], max(ok) if ok else float("nan"), counts

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1"); p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/cimi/machineConfigs/small")
    p.add_argument("--user", required=True); p.add_argument("--password", required=True)
    p.add_argument("--flood", type=int, default=16); p.add_argument("--duration", type=float, default=15)
    p.add_argument("--warmup", type=float, default=3)
    args = p.parse_args()
    # Warm the legitimate login (one PBKDF2 check), as a real session would be.
    phase(argparse.Namespace(**{**vars(args), "duration": 2}), "warm", [], None)
    rows = [phase(args, "quiet", [], None),
            phase(args, "one-source", ["127.0.0.2"] * args.flood, args.user),
            phase(args, "many-sources", [f"127.0.1.{i + 1}" for i in range(args.flood)], None)]
    print(f"| phase | legit 200s | legit errors | median ms | p99 ms | max ms | flood answers |")
    print(f"|---|---|---|---|---|---|---|")
    for name, n, bad, med, p99, mx, counts in rows:
        flood = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "-"
        print(f"| {name} | {n} | {bad} | {med:.2f} | {p99:.2f} | {mx:.2f} | {flood} |")

if __name__ == "__main__":
    main()
