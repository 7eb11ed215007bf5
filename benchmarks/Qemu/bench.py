#!/usr/bin/env python3
"""VM Machines over the CIMI API vs plain qemu-system-x86_64 started by hand on the same demo image.

Usage: bench.py BASE_URL USER PASSWORD QEMU_DIR IMAGE_DIR [N_SEQUENTIAL=10] [N_PARALLEL=10]
Two points per VM, the same on both sides: STARTED (the API shows STARTED / QMP query-status says running)
and guest-up (the demo image's "CIMIGRAINS-DEMO-VM UP" line on the serial console). The plain side does
what an operator would by hand: a qcow2 overlay on the image, a NoCloud seed with the same admin
credential, and the driver's own QEMU flags (without its per-VM uid), daemonized with a QMP socket.
benchmarks/Qemu/run.sh sets everything up. Removes every VM it made.
"""
import base64, glob, json, os, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

base, user, password, qemu_dir, image_dir = sys.argv[1:6]
n_seq = int(sys.argv[6]) if len(sys.argv) > 6 else 10
n_par = int(sys.argv[7]) if len(sys.argv) > 7 else 10
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
MARKER = b"CIMIGRAINS-DEMO-VM UP"
image = json.load(open(os.path.join(image_dir, "image.json")))

def call(method, url, body=None):
    req = urllib.request.Request(url if url.startswith("http") else base + url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status, dict(r.headers), json.loads(r.read() or b"{}")

def console_of(machine_key):
    """The console log of the Machine's VM: the driver keeps each Machine's record (m-*.json) beside its directory."""
    for record in glob.glob(os.path.join(qemu_dir, "m-*.json")):
        try:
            if json.load(open(record)).get("machineKey") == machine_key:
                return os.path.join(record[:-len(".json")], "console.log")
        except (OSError, ValueError):
            pass
    return None

def has_marker(path):
    try:
        with open(path, "rb") as f:
            return MARKER in f.read()
    except OSError:
        return False

def api_vm():
    t0 = time.perf_counter()
    _, headers, _ = call("POST", "/cimi/machines", {"machineTemplate": {"href": "machineTemplates/demo-vm"}})
    machine = headers["Location"]
    key = f"{user}/{machine.rstrip('/').split('/')[-1]}"
    started = up = None
    console = None
    while up is None:
        if started is None:
            _, _, m = call("GET", machine)
            if m.get("state") == "STARTED":
                started = time.perf_counter() - t0
            elif m.get("state") in ("ERROR", "FAILED"):
                raise RuntimeError(f"{machine} is {m.get('state')}")
        console = console or console_of(key)
        if console and has_marker(console):
            up = time.perf_counter() - t0
        time.sleep(0.02)
    while started is None:
        _, _, m = call("GET", machine)
        if m.get("state") == "STARTED": started = time.perf_counter() - t0
        time.sleep(0.02)
    return started, up, machine

def qmp(path, command):
    s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(path)
    f = s.makefile("rwb")
    f.readline()
    for c in ({"execute": "qmp_capabilities"}, {"execute": command}):
        f.write(json.dumps(c).encode() + b"\n"); f.flush()
        while True:
            reply = json.loads(f.readline())
            if "return" in reply or "error" in reply: break
    s.close()
    return reply.get("return")

def plain_vm(root):
    t0 = time.perf_counter()
    d = tempfile.mkdtemp(dir=root)
    disk = os.path.join(image_dir, image["disk"])
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", disk, "-F", "qcow2", f"{d}/overlay.qcow2"], check=True)
    os.mkdir(f"{d}/seed")
    open(f"{d}/seed/meta-data", "w").write(f"instance-id: bench-{os.path.basename(d)}\nlocal-hostname: bench\n")
    open(f"{d}/seed/user-data", "w").write("#cloud-config\nusers:\n  - name: cimi\n    lock_passwd: false\n    plain_text_passwd: bench\nssh_pwauth: true\n")
    subprocess.run(["genisoimage", "-quiet", "-output", f"{d}/seed.iso", "-volid", "cidata", "-joliet", "-rock",
                    f"{d}/seed/meta-data", f"{d}/seed/user-data"], check=True)
    subprocess.run(["qemu-system-x86_64", "-name", "bench", "-nodefaults", "-no-user-config", "-display", "none",
                    "-machine", "q35,accel=tcg", "-cpu", "max", "-smp", "1", "-m", "256", "-nic", "none",
                    "-qmp", f"unix:{d}/qmp.sock,server=on,wait=off",
                    "-chardev", f"file,id=console,path={d}/console.log,append=on", "-serial", "chardev:console",
                    "-pidfile", f"{d}/pid", "-daemonize",
                    "-drive", f"file={d}/overlay.qcow2,format=qcow2,if=virtio,id=root",
                    "-drive", f"file={d}/seed.iso,format=raw,if=virtio,readonly=on,id=cidata",
                    "-kernel", os.path.join(image_dir, image["kernel"]), "-initrd", os.path.join(image_dir, image["initrd"]),
                    "-append", image["cmdline"]], check=True)
    started = up = None
    while up is None:
        if started is None and (qmp(f"{d}/qmp.sock", "query-status") or {}).get("status") == "running":
            started = time.perf_counter() - t0
        if has_marker(f"{d}/console.log"):
            up = time.perf_counter() - t0
        time.sleep(0.02)
    return started or up, up, d

def plain_cleanup(d):
    try: qmp(f"{d}/qmp.sock", "quit")
    except OSError: pass
    try:
        pid = int(open(f"{d}/pid").read())
    except (OSError, ValueError):
        pid = None  # QEMU removes its pidfile as it exits: already gone
    for _ in range(100):
        if pid is None or not os.path.exists(f"/proc/{pid}"): break
        time.sleep(0.05)
    shutil.rmtree(d, ignore_errors=True)

def api_cleanup(machines):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda m: call("DELETE", m), machines))
    deadline = time.time() + 120
    while glob.glob(os.path.join(qemu_dir, "m-*.json")) and time.time() < deadline: time.sleep(0.2)

def rss_kib(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    total = 0
    for pid in out:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"): total += int(line.split()[1])
        except OSError: pass
    return total

def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[max(0, int(round(0.9 * len(xs))) - 1)]

def main():
    root = tempfile.mkdtemp(prefix="cimi-bench-qemu-")
    try:
        s, u, warm = api_vm(); api_cleanup([warm])            # warm-up, not counted
        api_s, api_u, plain_s, plain_u = [], [], [], []
        for _ in range(n_seq):
            s, u, m = api_vm(); api_s.append(s); api_u.append(u); api_cleanup([m])
            s, u, d = plain_vm(root); plain_s.append(s); plain_u.append(u); plain_cleanup(d)
        control = ["CimiGrains.Gateway.dll", "CimiGrains.Agents.dll"]
        rss_before = {p: rss_kib(p) for p in control}
        t0 = time.perf_counter()
        with ThreadPoolExecutor(n_par) as pool:
            results = list(pool.map(lambda _: api_vm(), range(n_par)))
        api_burst = time.perf_counter() - t0
        rss_after = {p: rss_kib(p) for p in control}
        api_cleanup([m for _, _, m in results])
        t0 = time.perf_counter()
        with ThreadPoolExecutor(n_par) as pool:
            plains = list(pool.map(lambda _: plain_vm(root), range(n_par)))
        plain_burst = time.perf_counter() - t0
        for _, _, d in plains: plain_cleanup(d)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for name, a, p in (("create->STARTED", api_s, plain_s), ("create->guest up", api_u, plain_u)):
        am, ap = stats(a); pm, pp = stats(p)
        print(f"{name}, sequential n={n_seq}: API median {am:.2f} s p90 {ap:.2f} s; plain qemu median {pm:.2f} s p90 {pp:.2f} s; "
              f"ratio median {am/pm:.2f}x p90 {ap/pp:.2f}x")
    print(f"{n_par} at once until every guest up: API {api_burst:.2f} s; plain qemu {plain_burst:.2f} s; ratio {api_burst/plain_burst:.2f}x")
    for p in control:
        print(f"{p} RSS with 0 VMs {rss_before[p]/1024:.0f} MB, with {n_par} VMs {rss_after[p]/1024:.0f} MB: "
              f"{(rss_after[p]-rss_before[p])/n_par:.0f} KiB per VM")

main()
