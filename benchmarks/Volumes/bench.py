#!/usr/bin/env python3
"""Volumes over the CIMI API vs the same work done by hand on the same host, side by side in one run.

Usage: bench.py BASE_URL USER PASSWORD POOL_DIR [N=10]
1. Create of a 1 GiB ext4 Volume -> AVAILABLE over the API, vs `truncate` + `mkfs.ext4` by hand (the
   pool's own mkfs options) in the same directory.
2. Attach to a running container -> usable in the workload (the Job SUCCESS and the mount point seen in
   the container): median, p90.
3. Sequential write and read (256 MiB, fdatasync; page cache dropped before the read) inside a container
   on its Volume vs on the host's file system in the pool directory.
benchmarks/Volumes/run.sh sets everything up. Removes every Volume, Machine and file it made.
"""
import base64, json, os, statistics, subprocess, sys, time, urllib.request, urllib.error

base, user, password, pool_dir = sys.argv[1:5]
n = int(sys.argv[5]) if len(sys.argv) > 5 else 10
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
GIB_KB = 1024 * 1024
MKFS = ["mkfs.ext4", "-F", "-q", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0"]  # the pool's own options
SIZE_MB = 256

def call(method, url, body=None):
    req = urllib.request.Request(url if url.startswith("http") else base + url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status, dict(r.headers), json.loads(r.read() or b"{}")

def wait(url, field, want, bad=("ERROR", "FAILED"), timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, doc = call("GET", url)
        if doc.get(field) in want: return doc
        if doc.get(field) in bad: raise RuntimeError(f"{url} is {doc.get(field)}: {doc.get('statusMessage', '')}")
        time.sleep(0.02)
    raise TimeoutError(f"{url} never reached {want}")

def job_of(headers, doc):
    return doc.get("id") if "job" in doc.get("resourceURI", "").lower() else headers.get("CIMI-Job-URI") or doc.get("job", {}).get("href")

def api_volume():
    t0 = time.perf_counter()
    _, h, _ = call("POST", "/cimi/volumes", {"name": "bench", "volumeTemplate": {"volumeConfig": {"capacity": GIB_KB, "format": "ext4"}}})
    wait(h["Location"], "state", ("AVAILABLE",))
    return time.perf_counter() - t0, h["Location"]

def hand_volume(i):
    path = os.path.join(pool_dir, f"bench-hand-{i}.img")
    t0 = time.perf_counter()
    subprocess.run(["truncate", "-s", "1G", path], check=True)
    subprocess.run(MKFS + [path], check=True, capture_output=True)
    took = time.perf_counter() - t0
    os.remove(path)
    return took

def delete(url):
    try:
        _, h, _ = call("DELETE", url)
    except urllib.error.HTTPError as e:
        if e.code != 404: raise
        return
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try: call("GET", url)
        except urllib.error.HTTPError as e:
            if e.code == 404: return
        time.sleep(0.1)

def container_of(machine_url):
    key = f"{user}/{machine_url.rstrip('/').split('/')[-1]}"
    out = subprocess.run(["docker", "ps", "-q", "--filter", f"label=cimigrains.machine={key}"], capture_output=True, text=True).stdout.split()
    return out[0]

def start_container():
    _, h, _ = call("POST", "/cimi/machines", {"machineTemplate": {"href": "machineTemplates/demo"}})
    wait(h["Location"], "state", ("STARTED",))
    return h["Location"]

def attach(machine, volume, where):
    t0 = time.perf_counter()
    _, h, doc = call("POST", machine + "/volumes", {"volume": {"href": volume}, "initialLocation": where})
    job = h.get("CIMI-Job-URI") or doc.get("job", {}).get("href")
    if job: wait(job, "state", ("SUCCESS",))
    cid = container_of(machine)
    while subprocess.run(["docker", "exec", cid, "sh", "-c", f"grep -q ' {where} ' /proc/mounts"]).returncode != 0:
        if time.perf_counter() - t0 > 120: raise TimeoutError("the volume never appeared in the container")
        time.sleep(0.02)
    return time.perf_counter() - t0

def drop_caches():
    subprocess.run(["sync"]); open("/proc/sys/vm/drop_caches", "w").write("3\n")

def dd_rate(run, path):
    """MB/s of writing then reading SIZE_MB at path, through run (a command prefix)."""
    t0 = time.perf_counter()
    subprocess.run(run + ["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={SIZE_MB}", "conv=fsync"], check=True, capture_output=True)
    write = SIZE_MB / (time.perf_counter() - t0)
    drop_caches()
    t0 = time.perf_counter()
    subprocess.run(run + ["dd", f"if={path}", "of=/dev/null", "bs=1M"], check=True, capture_output=True)
    read = SIZE_MB / (time.perf_counter() - t0)
    subprocess.run(run + ["rm", "-f", path], check=True)
    return write, read

def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]

def main():
    api, hand, volumes = [], [], []
    try:
        for i in range(n):  # interleaved, so both sides see the same machine load
            took, url = api_volume(); api.append(took); volumes.append(url)
            hand.append(hand_volume(i))
        am, ap = stats(api); hm, hp = stats(hand)
        print(f"create 1 GiB ext4 n={n}: API->AVAILABLE median {am*1000:.0f} ms p90 {ap*1000:.0f} ms; "
              f"truncate+mkfs.ext4 median {hm*1000:.0f} ms p90 {hp*1000:.0f} ms; ratio(median) {am/hm:.2f}x")
        machine = start_container()
        attaches = []
        for i, v in enumerate(volumes):
            attaches.append(attach(machine, v, f"/mnt/v{i}"))
        m, p = stats(attaches)
        print(f"attach to a running container -> mounted in it, n={len(attaches)}: median {m*1000:.0f} ms p90 {p*1000:.0f} ms")
        cid = container_of(machine)
        rates = {"volume": [], "host": []}
        for _ in range(3):
            rates["volume"].append(dd_rate(["docker", "exec", cid], "/mnt/v0/bench.bin"))
            rates["host"].append(dd_rate([], os.path.join(pool_dir, "bench-host.bin")))
        vw = statistics.median(r[0] for r in rates["volume"]); vr = statistics.median(r[1] for r in rates["volume"])
        hw = statistics.median(r[0] for r in rates["host"]); hr = statistics.median(r[1] for r in rates["host"])
        print(f"sequential {SIZE_MB} MiB, median of 3: container on its volume write {vw:.0f} MB/s read {vr:.0f} MB/s; "
              f"host file system write {hw:.0f} MB/s read {hr:.0f} MB/s; ratio write {vw/hw:.2f}x read {vr/hr:.2f}x")
        delete(machine)
    finally:
        for v in volumes: delete(v)

if __name__ == "__main__":
    main()
