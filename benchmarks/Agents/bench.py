#!/usr/bin/env python3
"""Create->STARTED latency of container Machines over the CIMI API vs plain `docker run -d` of the same image.

Usage: bench.py BASE_URL USER PASSWORD HOST_ID [N_SEQUENTIAL=20] [N_PARALLEL=50]
Expects a gateway with the demo tenant seeded and one agent with host id HOST_ID connected (run.sh-style);
benchmarks/Agents/run.sh sets all of that up. Removes every container it made.
"""
import base64, json, os, statistics, subprocess, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, user, password, host_id = sys.argv[1:5]
n_seq = int(sys.argv[5]) if len(sys.argv) > 5 else 20
n_par = int(sys.argv[6]) if len(sys.argv) > 6 else 50
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
env = dict(os.environ, DOCKER_API_VERSION="1.41")
IMAGE = "cimigrains/demo:latest"

def call(method, url, body=None):
    req = urllib.request.Request(url if url.startswith("http") else base + url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status, dict(r.headers), json.loads(r.read() or b"{}")

def create_until_started():
    t0 = time.perf_counter()
    _, headers, _ = call("POST", "/cimi/machines", {"machineTemplate": {"href": "machineTemplates/demo"}})
    machine = headers["Location"]
    while True:
        _, _, m = call("GET", machine)
        if m.get("state") == "STARTED":
            return time.perf_counter() - t0, machine
        if m.get("state") in ("ERROR", "FAILED"):
            raise RuntimeError(f"{machine} is {m.get('state')}")
        time.sleep(0.01)

def docker_run():
    t0 = time.perf_counter()
    subprocess.run(["docker", "run", "-d", "--label", "cimigrains.bench=1", "--cpus", "1", "--memory", "256m", IMAGE],
                   check=True, env=env, capture_output=True)
    return time.perf_counter() - t0

def cleanup(machines):
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda m: call("DELETE", m), machines))
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", "label=cimigrains.bench=1"], env=env, capture_output=True, text=True).stdout.split()
    if ids: subprocess.run(["docker", "rm", "-f", *ids], env=env, capture_output=True)

def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[max(0, int(round(0.9 * len(xs))) - 1)]

def main():
    _, warm = create_until_started()  # warm-up (JIT, grain activations), not counted
    api, docker = [], []
    machines = [warm]
    for _ in range(n_seq):
        dt, m = create_until_started(); api.append(dt); machines.append(m)
        docker.append(docker_run())
    cleanup(machines); machines.clear()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(n_par) as pool:
        results = list(pool.map(lambda _: create_until_started(), range(n_par)))
    api_burst = time.perf_counter() - t0
    machines = [m for _, m in results]
    cleanup(machines)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(n_par) as pool:
        list(pool.map(lambda _: docker_run(), range(n_par)))
    docker_burst = time.perf_counter() - t0
    cleanup([])
    am, ap = stats(api); dm, dp = stats(docker)
    print(f"sequential n={n_seq}: API create->STARTED median {am*1000:.0f} ms p90 {ap*1000:.0f} ms; "
          f"docker run -d median {dm*1000:.0f} ms p90 {dp*1000:.0f} ms; ratio(median) {am/dm:.2f}x")
    print(f"burst n={n_par}: API all STARTED {api_burst:.2f} s; parallel docker run {docker_burst:.2f} s; ratio {api_burst/docker_burst:.2f}x")

main()
