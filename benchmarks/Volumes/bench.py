#!/usr/bin/env python3
"""Volumes over the CIMI API vs the same work done by hand on the same host, side by side in one run.

Usage: bench.py BASE_URL USER PASSWORD POOL_DIR [N=10] [ROUNDS=3] [VM_HOSTS=POOL_HOST,OTHER_HOST]
1. Create of a 1 GiB ext4 Volume -> AVAILABLE over the API, vs `truncate` + `mkfs.ext4` by hand (the
   pool's own mkfs options) in the same directory.
2. Attach to a running container -> usable in the workload (the Job SUCCESS and the mount point seen in
   the container): median, p90.
3. Sequential write and read (256 MiB, fdatasync; page cache dropped before the read) inside a container
   on its Volume vs on the host's file system in the pool directory, median of ROUNDS.
With VM_HOSTS (two host ids: the one with the pool, and one that exports nothing and has no room for the
Volumes, see run.sh):
4. Attach to a running VM -> the guest sees the new disk (its console shows it): median, p90.
5. Sequential write and read of the raw disk (128 MiB, O_DIRECT both ways) inside a VM (TCG) on a Volume of its
   own host and on one attached over NBD from the other host; reported, with the VM's own view of the time.
benchmarks/Volumes/run.sh sets everything up. Removes every Volume, Machine and file it made.
"""
import base64, json, os, statistics, subprocess, sys, time, urllib.request, urllib.error

base, user, password, pool_dir = sys.argv[1:5]
n = int(sys.argv[5]) if len(sys.argv) > 5 else 10
rounds = int(sys.argv[6]) if len(sys.argv) > 6 else 3
vm_hosts = sys.argv[7].split(",") if len(sys.argv) > 7 and sys.argv[7] else None
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
GIB_KB = 1024 * 1024
MKFS = ["mkfs.ext4", "-F", "-q", "-m", "0", "-E", "lazy_itable_init=0,lazy_journal_init=0"]  # the pool's own options
SIZE_MB = 256

def call(method, url, body=None):
    req = urllib.request.Request(url if url.startswith("http") else base + url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, dict(r.headers), json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        e.msg = f"{e.msg}: {method} {url}: {e.read().decode(errors='replace')[:500]}"
        raise

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
    # 1 GiB ("medium"): the page cache of the file read back counts against the container's memory limit, and
    # the demo's 256 MiB would measure reclaim inside the cgroup rather than the Volume.
    _, _, demo = call("GET", "/cimi/machineTemplates/demo")
    _, h, _ = call("POST", "/cimi/machines", {"machineTemplate": {"machineImage": {"href": demo["machineImage"]["href"]},
                                                                  "machineConfig": {"href": "machineConfigs/medium"}}})
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

def launch_cost(run):
    """Seconds it takes to run a command that does nothing through run (`docker exec` costs tens of ms),
    median of 3: taken off each timed command, so both sides time the transfer only."""
    xs = []
    for _ in range(3):
        t0 = time.perf_counter(); subprocess.run(run + ["true"], check=True); xs.append(time.perf_counter() - t0)
    return statistics.median(xs)

def dd_rate(run, path):
    """MB/s of writing then reading SIZE_MB at path, through run (a command prefix)."""
    cost = launch_cost(run)
    t0 = time.perf_counter()
    subprocess.run(run + ["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={SIZE_MB}", "conv=fsync"], check=True, capture_output=True)
    write = SIZE_MB / max(1e-6, time.perf_counter() - t0 - cost)
    drop_caches()
    t0 = time.perf_counter()
    subprocess.run(run + ["dd", f"if={path}", "of=/dev/null", "bs=1M"], check=True, capture_output=True)
    read = SIZE_MB / max(1e-6, time.perf_counter() - t0 - cost)
    subprocess.run(run + ["rm", "-f", path], check=True)
    return write, read

def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]


# The VM side. The guest (the demo VM) runs this as userData: it announces every disk that appears
# ("CIMIGRAINS-BENCH NEW vdX"), and on a disk of exactly DD_BYTES (the throughput Volume, so the attach series
# is not slowed by it) writes then reads DD_MB with O_DIRECT and prints the seconds by its own clock.
DD_MB = 128
DD_KB = 2 * GIB_KB
GUEST_SCRIPT = r"""#!/bin/sh
(
  known=" $(ls /sys/block | tr '\n' ' ') "
  while :; do
    now=" $(ls /sys/block | tr '\n' ' ') "
    for b in $now; do
      case "$known" in *" $b "*) continue ;; esac
      echo "CIMIGRAINS-BENCH NEW $b"
      if [ "$(cat /sys/block/$b/size)" = "%d" ]; then
        t0=$(cut -d' ' -f1 /proc/uptime)
        dd if=/dev/zero of=/dev/$b bs=1M count=%d oflag=direct 2>/dev/null; sync
        t1=$(cut -d' ' -f1 /proc/uptime)
        dd if=/dev/$b of=/dev/null bs=1M count=%d iflag=direct 2>/dev/null
        t2=$(cut -d' ' -f1 /proc/uptime)
        echo "CIMIGRAINS-BENCH DD $b write_s=$(awk "BEGIN{print $t1-$t0}") read_s=$(awk "BEGIN{print $t2-$t1}")"
      fi
    done
    # A disk that appears while the loop runs is not in $now, so the next round announces it; one detached
    # and attached again under the same name is announced again.
    known=$now
    sleep 0.05
  done
) </dev/null &
""" % (DD_KB * 2, DD_MB, DD_MB)

def console(machine):
    req = urllib.request.Request(machine + "/console", headers={"Authorization": auth, "Accept": "text/plain"})
    with urllib.request.urlopen(req) as r:
        return r.read().decode(errors="replace")

def wait_console(machine, predicate, what, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = console(machine)
        if predicate(text): return text
        time.sleep(0.05)
    raise TimeoutError(f"{machine}: never saw {what}")

def start_vm():
    _, h, _ = call("POST", "/cimi/machines", {"machineTemplate": {"href": "machineTemplates/demo-vm",
                                                                  "userData": base64.b64encode(GUEST_SCRIPT.encode()).decode()}})
    return h["Location"]

def vms_on(hosts):
    """One running VM on each of the hosts: placement takes no hint, so VMs are made until each host has one."""
    placed, extra = {}, []
    for _ in range(6):
        m = start_vm(); doc = wait(m, "state", ("STARTED",))
        host = doc.get("host", "").rstrip("/").split("/")[-1]
        if host in hosts and host not in placed: placed[host] = m
        else: extra.append(m)
        if len(placed) == len(hosts): break
    for m in extra: delete(m)
    if len(placed) != len(hosts): raise RuntimeError(f"placement never put a VM on each of {hosts}: {placed}")
    for m in placed.values(): wait_console(m, lambda c: "CIMIGRAINS-DEMO-VM UP" in c, "the guest up")
    return [placed[h] for h in hosts]

def vm_attach(machine, volume):
    """Seconds from the POST until the guest announces one more disk; the attachment's href."""
    seen = console(machine).count("CIMIGRAINS-BENCH NEW ")
    t0 = time.perf_counter()
    _, h, doc = call("POST", machine + "/volumes", {"volume": {"href": volume}})
    wait_console(machine, lambda c: c.count("CIMIGRAINS-BENCH NEW ") > seen, "the new disk in the guest")
    took = time.perf_counter() - t0
    job = h.get("CIMI-Job-URI") or doc.get("job", {}).get("href")
    if job: wait(job, "state", ("SUCCESS",))
    return took, h["Location"]

def vm_detach(attachment):
    _, h, doc = call("DELETE", attachment)
    job = h.get("CIMI-Job-URI") or doc.get("job", {}).get("href")
    if job: wait(job, "state", ("SUCCESS",))

def raw_volume(kb):
    _, h, _ = call("POST", "/cimi/volumes", {"name": "bench-vm", "volumeTemplate": {"volumeConfig": {"capacity": kb, "format": "raw"}}})
    return wait(h["Location"], "state", ("AVAILABLE",)), h["Location"]

def vm_dd(machine, volume, where):
    seen = console(machine).count("CIMIGRAINS-BENCH DD ")
    took, attachment = vm_attach(machine, volume)
    text = wait_console(machine, lambda c: c.count("CIMIGRAINS-BENCH DD ") > seen, "the guest's dd figures", timeout=600)
    line = text[text.rindex("CIMIGRAINS-BENCH DD "):].split("\n")[0]
    fields = dict(f.split("=") for f in line.split()[3:])
    w, r = float(fields["write_s"]), float(fields["read_s"])
    print(f"inside a VM (TCG), {DD_MB} MiB raw O_DIRECT on a Volume {where}: attach->disk seen {took*1000:.0f} ms; "
          f"write {DD_MB/max(w, 0.01):.0f} MB/s read {DD_MB/max(r, 0.01):.0f} MB/s (guest clock: {w:.2f} s / {r:.2f} s)")
    vm_detach(attachment)

def vm_part(volumes):
    local_vm, remote_vm = vms_on(vm_hosts)
    made = []
    try:
        attaches = []
        for i in range(n):
            doc, v = raw_volume(GIB_KB); made.append(v)
            took, attachment = vm_attach(local_vm, v); attaches.append(took)
            vm_detach(attachment)
        m, p = stats(attaches)
        print(f"attach to a running VM -> the guest sees the disk, n={len(attaches)}: median {m*1000:.0f} ms p90 {p*1000:.0f} ms")
        _, big = raw_volume(DD_KB); made.append(big)
        vm_dd(local_vm, big, f"of its own host ({vm_hosts[0]})")
        vm_dd(remote_vm, big, f"of another host over NBD ({vm_hosts[0]} -> {vm_hosts[1]})")
    finally:
        for machine in (local_vm, remote_vm): delete(machine)
        for v in made: delete(v)

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
        for _ in range(rounds):
            rates["volume"].append(dd_rate(["docker", "exec", cid, "busybox"], "/mnt/v0/bench.bin"))
            rates["host"].append(dd_rate([], os.path.join(pool_dir, "bench-host.bin")))
        vw = statistics.median(r[0] for r in rates["volume"]); vr = statistics.median(r[1] for r in rates["volume"])
        hw = statistics.median(r[0] for r in rates["host"]); hr = statistics.median(r[1] for r in rates["host"])
        print(f"sequential {SIZE_MB} MiB, median of {rounds}: container on its volume write {vw:.0f} MB/s read {vr:.0f} MB/s; "
              f"host file system write {hw:.0f} MB/s read {hr:.0f} MB/s; ratio write {vw/hw:.2f}x read {vr/hr:.2f}x")
        delete(machine)
        if vm_hosts: vm_part(volumes)
    finally:
        for v in volumes: delete(v)

if __name__ == "__main__":
    main()
