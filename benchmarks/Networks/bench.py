#!/usr/bin/env python3
"""CIMI Networks across hosts (issue 13) on the multi-host rig, side by side with the underlay in one run.

Usage: bench.py BASE_URL USER PASSWORD HOST_PREFIX AGENT_PIDS ROUNDS MACHINES [STEPS=pair,three,many]
  HOST_PREFIX: the rig's host ids are HOST_PREFIX1..3 (container label cimigrains.host), in namespaces
  cimi-host1..3 at 10.251.0.11..13; AGENT_PIDS: the three agents' pids, comma-separated, in host order.
1. Two container Machines on one Network on hosts 1 and 2: TCP throughput (iperf3, 5 s per round) and
   round-trip latency (ICMP echo, and TCP request/response of 1 byte) between them, vs the same tools
   between the two host namespaces over the underlay, interleaved round by round. The tools run from the
   host in each container's network namespace (nsenter -n): the demo containers have no NET_RAW and no
   iperf3, and the network namespace is the whole data path (veth, bridge, rules, VXLAN).
2. POST a Network and one Machine on each of the 3 hosts (at once), until all three reach each other
   (every ordered pair answers an ICMP echo): median, p90.
3. MACHINES Machines on one Network over the 3 hosts: until all are reachable (from one Machine on each
   host, every other Machine answers), agent CPU (/proc/PID/stat) and nftables rules / fdb entries per host.
Removes every Machine and Network it made.
"""
import base64, json, os, re, statistics, subprocess, sys, time, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor

base, user, password, host_prefix, agent_pids, rounds, n_many = sys.argv[1:8]
agent_pids = [int(p) for p in agent_pids.split(",")]
rounds, n_many = int(rounds), int(n_many)
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
env = dict(os.environ, DOCKER_API_VERSION=os.environ.get("DOCKER_API_VERSION", "1.41"))
HOSTS = [1, 2, 3]
UNDERLAY = {i: f"10.251.0.{10 + i}" for i in HOSTS}
TICKS = os.sysconf("SC_CLK_TCK")
made_machines, made_networks = [], []

def call(method, url, body=None):
    req = urllib.request.Request(url if url.startswith("http") else base + url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, dict(r.headers), json.loads(r.read() or b"{}")

def stats(xs):
    xs = sorted(xs)
    return statistics.median(xs), xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]

def log(msg):
    print(msg, flush=True)

# ---- resources -----------------------------------------------------------------------------------------

def create_network(name):
    _, h, doc = call("POST", "/cimi/networks", {"name": name, "networkTemplate": {"networkConfig": {"networkType": "PRIVATE"}}})
    url = h.get("Location") or doc["id"]
    made_networks.append(url)
    return url

def create_machine(network, name):
    _, h, _ = call("POST", "/cimi/machines", {"name": name, "machineTemplate": {
        "href": "machineTemplates/demo", "networkInterfaces": [{"network": {"href": network}}]}})
    made_machines.append(h["Location"])
    return h["Location"]

def wait_started(machine, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, m = call("GET", machine)
        if m.get("state") == "STARTED": return
        if m.get("state") in ("ERROR", "FAILED"): raise RuntimeError(f"{machine} is {m.get('state')}")
        time.sleep(0.05)
    raise TimeoutError(f"{machine} never reached STARTED")

def addresses_of(network):
    """ip -> Machine href, for the leases of the Network (the Addresses it made, read from the API)."""
    out, first = {}, 1
    while True:
        _, _, doc = call("GET", f"/cimi/addresses?$first={first}&$last={first + 99}")
        items = doc.get("addresses", [])
        for a in items:
            if a.get("network", {}).get("href", "").rstrip("/").endswith(network.rstrip("/").split("/cimi/")[-1]) and a.get("resource"):
                out[a["ip"]] = a["resource"]["href"]
        if len(items) < 100: return out
        first += 100

def container_of(machine):
    key = f"{user}/{machine.rstrip('/').split('/')[-1]}"
    out = subprocess.run(["docker", "ps", "-q", "--filter", f"label=cimigrains.machine={key}"], env=env, capture_output=True, text=True).stdout.split()
    return out[0] if out else None

def inspect(cid):
    """(pid, host number) of a running container."""
    doc = json.loads(subprocess.run(["docker", "inspect", cid], env=env, capture_output=True, text=True, check=True).stdout)[0]
    host = doc["Config"]["Labels"].get("cimigrains.host", "")
    return doc["State"]["Pid"], int(host[len(host_prefix):]) if host.startswith(host_prefix) else None

def delete_all():
    def gone(url):
        try:
            call("DELETE", url)
        except urllib.error.HTTPError as e:
            if e.code == 404: return
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try: call("GET", url)
            except urllib.error.HTTPError as e:
                if e.code == 404: return
            time.sleep(0.2)
        raise TimeoutError(f"{url} was not deleted")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(gone, made_machines))
    made_machines.clear()
    for n in made_networks:
        for _ in range(100):  # the Network's ports go with their Machines' releases, just after the deletes
            try:
                call("DELETE", n); break
            except urllib.error.HTTPError as e:
                if e.code == 404: break
                if e.code != 409: raise
                time.sleep(0.2)
    made_networks.clear()

# ---- measuring tools -----------------------------------------------------------------------------------

def in_container(pid): return ["nsenter", "-n", "-t", str(pid), "--"]
def in_host(i): return ["ip", "netns", "exec", f"cimi-host{i}"]

def ping_once(prefix, ip, wait_s="0.2"):
    return subprocess.run(prefix + ["ping", "-n", "-c", "1", "-W", wait_s, ip], capture_output=True).returncode == 0

def listening(prefix, port):
    out = subprocess.run(prefix + ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, timeout=10).stdout
    return out.strip() != ""

def serve(prefix, command, port):
    """A server started in the namespace, returned once it listens on port."""
    srv = subprocess.Popen(prefix + command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not listening(prefix, port):
        if time.monotonic() > deadline or srv.poll() is not None: raise RuntimeError(f"{command[0]} never listened on {port}")
        time.sleep(0.05)
    return srv

def iperf(server, client, ip, seconds=5):
    """Gbit/s received, one TCP stream for `seconds`."""
    srv = serve(server, ["iperf3", "-s", "-B", ip], 5201)
    try:
        out = subprocess.run(client + ["iperf3", "-c", ip, "-t", str(seconds), "-J"], capture_output=True, text=True, check=True,
                             timeout=seconds + 30).stdout
        return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    finally:
        srv.kill(); srv.wait()

def ping_rtt(prefix, ip, count=200):
    out = subprocess.run(prefix + ["ping", "-n", "-c", str(count), "-i", "0.01", ip], capture_output=True, text=True, timeout=60).stdout
    times = [float(t) for t in re.findall(r"time=([\d.]+) ms", out)]
    if len(times) < count * 0.95: raise RuntimeError(f"ping {ip}: {len(times)} of {count} answered")
    return statistics.median(times)

TCP_RR = r"""
import socket, statistics, sys, time
mode, ip, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "server":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((ip, 5299)); s.listen(1)
    c, _ = s.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while (b := c.recv(1)): c.sendall(b)
else:
    c = socket.create_connection((ip, 5299), timeout=10); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); c.sendall(b"x"); c.recv(1); ts.append(time.perf_counter() - t0)
    print(statistics.median(ts) * 1e3)
"""

def tcp_rr(server, client, ip, n=2000):
    """Median ms of a 1-byte request and its 1-byte answer on one TCP connection."""
    srv = serve(server, ["python3", "-c", TCP_RR, "server", ip, "0"], 5299)
    try:
        return float(subprocess.run(client + ["python3", "-c", TCP_RR, "client", ip, str(n)], capture_output=True, text=True, check=True,
                                    timeout=120).stdout)
    finally:
        srv.kill(); srv.wait()

def reach_all(sources, targets, deadline):
    """Waits until each source (a namespace prefix and its own ip) has had an answer from every target ip but its own."""
    pairs = [(prefix, ip) for prefix, own in sources for ip in targets if ip != own]
    def probe(k):
        prefix, ip = pairs[k]
        while time.monotonic() < deadline:
            if ping_once(prefix, ip): return
        raise TimeoutError(f"{ip} never answered")
    with ThreadPoolExecutor(min(24, len(pairs))) as pool:
        list(pool.map(probe, range(len(pairs))))

# ---- the three measurements ----------------------------------------------------------------------------

def placed(machines, timeout=600):
    """Per Machine: (container pid, host number), once its container runs."""
    out = {}
    for m in machines:
        wait_started(m, timeout)
        cid = container_of(m)
        out[m] = inspect(cid)
    return out

def pair_on_two_hosts():
    """A Network with one Machine on host 1 and one on host 2 (Machines on host 3, if placement puts them
    there, are created again until the two hosts are covered; all stay on the Network until the end)."""
    net = create_network("bench-pair")
    by_host = {}
    for k in range(8):
        m = create_machine(net, f"bench-pair-{k}")
        pid, host = placed([m])[m]
        by_host.setdefault(host, (m, pid))
        if 1 in by_host and 2 in by_host: break
    else:
        raise RuntimeError(f"placement never put Machines on hosts 1 and 2: {sorted(by_host)}")
    ips = {m: ip for ip, m in addresses_of(net).items()}
    (ma, pa), (mb, pb) = by_host[1], by_host[2]
    return (pa, ips[ma]), (pb, ips[mb])

def measure_pair():
    (pa, ipa), (pb, ipb) = pair_on_two_hosts()
    a, b = in_container(pa), in_container(pb)
    h1, h2 = in_host(1), in_host(2)
    deadline = time.monotonic() + 120
    reach_all([(a, ipa), (b, ipb)], [ipa, ipb], deadline)
    log(f"pair: Machine on host 1 at {ipa}, on host 2 at {ipb}; underlay {UNDERLAY[1]} -> {UNDERLAY[2]}")
    tput = {"net": [], "under": []}; icmp = {"net": [], "under": []}; rr = {"net": [], "under": []}
    for r in range(rounds):  # interleaved, so both sides see the same machine load
        tput["net"].append(iperf(b, a, ipb)); tput["under"].append(iperf(h2, h1, UNDERLAY[2]))
        icmp["net"].append(ping_rtt(a, ipb)); icmp["under"].append(ping_rtt(h1, UNDERLAY[2]))
        rr["net"].append(tcp_rr(b, a, ipb)); rr["under"].append(tcp_rr(h2, h1, UNDERLAY[2]))
        log(f"  round {r + 1}: iperf3 {tput['net'][-1]:.2f} vs {tput['under'][-1]:.2f} Gbit/s; "
            f"ping {icmp['net'][-1]:.3f} vs {icmp['under'][-1]:.3f} ms; tcp rr {rr['net'][-1]:.3f} vs {rr['under'][-1]:.3f} ms")
    tn, tu = statistics.median(tput["net"]), statistics.median(tput["under"])
    pn, pu = statistics.median(icmp["net"]), statistics.median(icmp["under"])
    rn, ru = statistics.median(rr["net"]), statistics.median(rr["under"])
    log(f"(a) TCP throughput, iperf3 5 s, median of {rounds}: CIMI Network {tn:.2f} Gbit/s, underlay {tu:.2f} Gbit/s, ratio {tn / tu:.2f}x")
    log(f"(a) ICMP echo RTT, median of {rounds} medians of 200: CIMI Network {pn * 1000:.0f} us, underlay {pu * 1000:.0f} us, ratio {pn / pu:.2f}x")
    log(f"(a) TCP 1-byte request/response, median of {rounds} medians of 2000: CIMI Network {rn * 1000:.0f} us, underlay {ru * 1000:.0f} us, ratio {rn / ru:.2f}x")
    delete_all()

def measure_three():
    times, started, spread = [], [], 0
    for r in range(rounds):
        t0 = time.perf_counter()
        net = create_network(f"bench-three-{r}")
        with ThreadPoolExecutor(3) as pool:
            machines = list(pool.map(lambda k: create_machine(net, f"bench-three-{r}-{k}"), range(3)))
        ips = {m: ip for ip, m in addresses_of(net).items()}
        where = placed(machines)
        started.append(time.perf_counter() - t0)
        hosts = {h for _, h in where.values()}
        sources = [(in_container(where[m][0]), ips[m]) for m in machines]
        reach_all(sources, list(ips.values()), time.monotonic() + 120)
        took = time.perf_counter() - t0
        times.append(took); spread += len(hosts) == 3
        log(f"  round {r + 1}: {took:.2f} s (Machines on hosts {sorted(h for _, h in where.values())})")
        delete_all()
    m, p = stats(times); sm, sp = stats(started)
    log(f"(b) POST Network + 3 Machines until all 3 STARTED (API), n={rounds}: median {sm:.2f} s p90 {sp:.2f} s")
    log(f"(b) POST Network + 3 Machines (one per host when placement spreads them: {spread} of {rounds} rounds) "
        f"until all 6 ordered pairs answer ICMP echo, n={rounds}: median {m:.2f} s p90 {p:.2f} s")

def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICKS  # utime, stime (fields 14 and 15)

def plane_counts(i):
    rules = json.loads(subprocess.run(in_host(i) + ["nft", "-j", "list", "ruleset"], capture_output=True, text=True).stdout or "{}")
    # The plane's own tables only (cimigrains_*); the Docker driver's host guard (iptables-nft) is not the plane's.
    n_rules = sum(1 for o in rules.get("nftables", []) if "rule" in o and o["rule"].get("table", "").startswith("cimigrains"))
    fdb = subprocess.run(in_host(i) + ["bridge", "fdb", "show"], capture_output=True, text=True).stdout.splitlines()
    n_fdb = sum(1 for l in fdb if " dev cimix" in l and " dst " in l)
    return n_rules, n_fdb

def measure_many():
    cpu0 = [cpu_seconds(p) for p in agent_pids]
    t0 = time.perf_counter()
    net = create_network("bench-many")
    with ThreadPoolExecutor(8) as pool:
        machines = list(pool.map(lambda k: create_machine(net, f"bench-many-{k}"), range(n_many)))
    posted = time.perf_counter() - t0
    where = placed(machines)
    started = time.perf_counter() - t0
    ips = {m: ip for ip, m in addresses_of(net).items()}
    if len(ips) != n_many: raise RuntimeError(f"{len(ips)} leases for {n_many} Machines")
    probes = {}
    for m in machines: probes.setdefault(where[m][1], m)
    sources = [(in_container(where[m][0]), ips[m]) for m in probes.values()]
    reach_all(sources, list(ips.values()), time.monotonic() + 600)
    reachable = time.perf_counter() - t0
    cpu1 = [cpu_seconds(p) for p in agent_pids]
    per_host = {h: sum(1 for _, hh in where.values() if hh == h) for h in HOSTS}
    counts = {h: plane_counts(h) for h in HOSTS}
    log(f"(c) {n_many} Machines on one Network over 3 hosts (per host {per_host[1]}/{per_host[2]}/{per_host[3]}): "
        f"all POSTed {posted:.1f} s, all STARTED {started:.1f} s, all reachable from one Machine per host "
        f"({len(sources)} x {n_many - 1} ICMP echoes) {reachable:.1f} s")
    log("(c) agent CPU over that time (utime+stime): " + ", ".join(
        f"host {h} {cpu1[k] - cpu0[k]:.1f} s" for k, h in enumerate(HOSTS)) + f" (wall {reachable:.1f} s)")
    log("(c) per host: " + "; ".join(f"host {h}: {counts[h][0]} plane nft rules, {counts[h][1]} fdb entries on the VXLAN device"
                                     for h in HOSTS))
    idle0 = [cpu_seconds(p) for p in agent_pids]; time.sleep(30); idle1 = [cpu_seconds(p) for p in agent_pids]
    log("(c) agent CPU idle afterwards, 30 s: " + ", ".join(f"host {h} {idle1[k] - idle0[k]:.2f} s" for k, h in enumerate(HOSTS)))
    t1 = time.perf_counter()
    delete_all()
    log(f"(c) deleting the {n_many} Machines and the Network: {time.perf_counter() - t1:.1f} s; "
        "afterwards per host: " + "; ".join(f"host {h}: {r} nft rules, {f} fdb" for h in HOSTS for r, f in [plane_counts(h)]))

def plane_devices(i):
    out = subprocess.run(["ip", "-n", f"cimi-host{i}", "-br", "link"], capture_output=True, text=True).stdout.split("\n")
    return [l.split()[0].split("@")[0] for l in out if l.startswith(("cimin", "cimix", "cimiv", "cimit"))]

def check_planes_empty(timeout=60):
    """After every Machine and Network is deleted, each host's plane must drop its devices, rules and entries:
    how long that took, or what is left after the timeout."""
    t0 = time.perf_counter()
    while True:
        left = {h: (plane_devices(h), *plane_counts(h)) for h in HOSTS}
        if all(not d and r == 0 and f == 0 for d, r, f in left.values()):
            log(f"cleanup: every host's plane empty (no cimi* devices, plane nft rules or fdb entries) "
                f"{time.perf_counter() - t0:.1f} s after the last delete")
            return
        if time.perf_counter() - t0 > timeout:
            log("cleanup: LEFT after %d s: " % timeout + "; ".join(
                f"host {h}: devices {d}, {r} plane nft rules, {f} fdb" for h, (d, r, f) in left.items()))
            for h in HOSTS:
                log(subprocess.run(in_host(h) + ["nft", "list", "ruleset"], capture_output=True, text=True).stdout)
            return
        time.sleep(0.5)

def main():
    steps = sys.argv[8].split(",") if len(sys.argv) > 8 else ["pair", "three", "many"]
    try:
        if "pair" in steps: measure_pair()
        if "three" in steps: measure_three()
        if "many" in steps and n_many > 0: measure_many()
    finally:
        delete_all()
    check_planes_empty()

if __name__ == "__main__":
    main()
