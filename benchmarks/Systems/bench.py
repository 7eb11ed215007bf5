#!/usr/bin/env python3
"""CIMI Systems over the cluster (issue 14) on the multi-host rig, side by side with plain Docker in one run.

Usage: bench.py BASE_URL USER PASSWORD HOST_PREFIX GATEWAY_PID PG_PORT ROUNDS MACHINES [SIZES=10,100] [STEPS=lifecycle,cost]
  HOST_PREFIX: the rig's host ids are HOST_PREFIX1..3 (container label cimigrains.host); GATEWAY_PID: the silo
  (gateway) process; PG_PORT: its private PostgreSQL on 127.0.0.1 (psql from $PG_BIN).
1. lifecycle, ROUNDS rounds: a System of one Machine component (the demo template, quantity MACHINES, no
   Network) over the 3 hosts, POST to its Job SUCCESS (and then every Machine is checked STARTED, its container
   running); stop, start (POST the action to Job SUCCESS, then every container is checked stopped / running) and
   delete (to Job SUCCESS, then zero containers of the rig's hosts are left). Beside it, in the same round, the
   same with MACHINES parallel `docker` commands (run -d, stop, start, rm -f) of the same image with the flags the
   agent's Docker driver gives a Machine, twice: with `--network none` and on a bridge network of their own (what
   the driver gives a Machine without CIMI Networks: its tenant's bridge). The order alternates round by round.
   Medians, ratios; how the Machines spread over the hosts (their `host` attribute).
2. cost: per size in SIZES, ROUNDS creates and deletes of a System of that many Machines: silo CPU seconds
   (/proc/PID/stat utime+stime) and PostgreSQL writes (rows inserted+updated+deleted, commits, WAL bytes) per
   Machine, less the idle rate measured first. (The lifecycle's own creates are measured the same way.)
Deletes every System and container it made.
"""
import base64, collections, json, os, statistics, subprocess, sys, time, urllib.request, urllib.error
from concurrent.futures import ThreadPoolExecutor

base, user, password, host_prefix, gateway_pid, pg_port, rounds, n = sys.argv[1:9]
gateway_pid, rounds, n = int(gateway_pid), int(rounds), int(n)
sizes = [int(s) for s in (sys.argv[9] if len(sys.argv) > 9 else "10,100").split(",") if s]
steps = (sys.argv[10] if len(sys.argv) > 10 else "lifecycle,cost").split(",")
auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
env = dict(os.environ, DOCKER_API_VERSION=os.environ.get("DOCKER_API_VERSION", "1.41"))
psql = os.path.join(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"), "psql")
CIMI = "http://schemas.dmtf.org/cimi/1/"
TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_S = 5  # after an operation's Job ends, what it set going (read model, timers) is let finish before sampling
IMAGE = "cimigrains/demo:latest"
BASELINE_LABEL = "cimibench=systems"
BRIDGE = "sysbench-net"
made_systems = []

def log(msg):
    print(msg, flush=True)

busy_answers = collections.Counter()  # GETs answered 503 (the cluster busy) and asked again, per phase
phase = "start-up"

def call(method, url, body=None, authorization=None):
    req = urllib.request.Request(url if url.startswith("http") else base + url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": authorization or auth, "Content-Type": "application/json", "Accept": "application/json"})
    for attempt in range(60):
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            # A 503 says "retry after Retry-After"; a GET is safe to ask again, anything else is reported.
            if e.code != 503 or method != "GET" or attempt == 59: raise
            busy_answers[phase] += 1
            time.sleep(float(e.headers.get("Retry-After") or 1))

def absolute(href):
    return href if href.startswith("http") else base + "/cimi/" + href.lstrip("/").removeprefix("cimi/")

def wait_job(job, timeout=1800):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, _, j = call("GET", absolute(job))
        if j.get("state") in ("SUCCESS", "FAILED", "STOPPED"):
            if j["state"] != "SUCCESS": raise RuntimeError(f"Job {job} is {j['state']}: {j.get('statusMessage', '')}")
            return
        time.sleep(0.1)
    raise TimeoutError(f"Job {job} did not finish within {timeout} s")

# ---- control-plane samples -----------------------------------------------------------------------------

def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICKS  # utime, stime (fields 14 and 15)

def pg_sample():
    """(rows inserted+updated+deleted in the user tables, commits in the database, WAL bytes so far)."""
    q = ("SELECT (SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables), "
         "(SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()), pg_current_wal_lsn() - '0/0'")
    out = subprocess.run([psql, "-h", "127.0.0.1", "-p", pg_port, "-U", "postgres", "-d", "cimigrains", "-tAF", " ", "-c", q],
                         capture_output=True, text=True, check=True).stdout.split()
    return [float(x) for x in out]

admin_auth = "Basic " + base64.b64encode(f"admin:{os.environ.get('BENCH_ADMIN_PASSWORD', 'bench')}".encode()).decode()

def grain_calls():
    """Every grain call the silo has received so far (GET /admin/grain-calls; reading it makes none), and per interface."""
    _, _, counts = call("GET", "/admin/grain-calls", authorization=admin_auth)
    return counts["total"], counts["byInterface"]

def sample():
    """[time, then the METRICS below, then the grain calls per interface]."""
    total, per_interface = grain_calls()
    return [time.monotonic(), cpu_seconds(gateway_pid), *pg_sample(), total, per_interface]

METRICS = 5  # CPU s, rows, commits, WAL bytes, grain calls
idle_rate = [0.0] * METRICS  # per second (the sampler adds one commit per sample)

def measure_idle(seconds=30):
    a = sample(); time.sleep(seconds); b = sample()
    for k in range(METRICS): idle_rate[k] = (b[k + 1] - a[k + 1]) / (b[0] - a[0])
    log(f"idle silo and database over {seconds} s: CPU {idle_rate[0] * 1000:.1f} ms/s, {idle_rate[1]:.2f} rows/s, "
        f"{idle_rate[2]:.2f} commits/s, {idle_rate[3]:.0f} WAL bytes/s, {idle_rate[4]:.2f} grain calls/s (subtracted below)")

def cost(a, b):
    """The control plane's cost between two samples: CPU s, rows, commits, WAL bytes, grain calls, the seconds between,
    and the grain calls per interface."""
    before, after = a[METRICS + 1], b[METRICS + 1]
    per_interface = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
    return [b[k + 1] - a[k + 1] for k in range(METRICS)] + [b[0] - a[0], per_interface]

# ---- Systems -------------------------------------------------------------------------------------------

def system_create(quantity, name):
    return {"resourceURI": CIMI + "SystemCreate", "name": name, "systemTemplate": {
        "resourceURI": CIMI + "SystemTemplate", "name": name, "componentDescriptors": [
            {"name": "web", "type": CIMI + "Machine", "quantity": quantity,
             "machineTemplate": {"href": base + "/cimi/machineTemplates/demo"}}]}}

def create_system(quantity, name):
    """(System href, seconds from POST to its Job SUCCESS)."""
    t0 = time.perf_counter()
    status, h, doc = call("POST", "/cimi/systems", system_create(quantity, name))
    url = absolute(h.get("Location") or doc["id"])
    made_systems.append(url)
    if status != 202: raise RuntimeError(f"POST systems answered {status}")
    wait_job(h["CIMI-Job-URI"])
    return url, time.perf_counter() - t0

def act(system, action):
    t0 = time.perf_counter()
    status, h, _ = call("POST", system, {"resourceURI": CIMI + "Action", "action": CIMI + "action/" + action})
    if status != 202: raise RuntimeError(f"{action} answered {status}")
    wait_job(h["CIMI-Job-URI"])
    return time.perf_counter() - t0

def delete_system(system):
    t0 = time.perf_counter()
    status, h, _ = call("DELETE", system)
    if status != 202: raise RuntimeError(f"DELETE answered {status}")
    wait_job(h["CIMI-Job-URI"])
    took = time.perf_counter() - t0
    made_systems.remove(system)
    return took

def machines_of(system):
    _, _, s = call("GET", system)
    _, _, coll = call("GET", absolute(s["machines"]["href"]) + "?$first=1&$last=1000")
    hrefs = [absolute(m["machine"]["href"]) for m in coll.get("systemMachines", [])]
    with ThreadPoolExecutor(8) as pool:
        return s, list(pool.map(lambda u: call("GET", u)[2], hrefs))

# BENCH_SIMULATED=1: the hosts are SIMULATED agent sessions (run-simulated.sh), so there are no containers to count.
simulated = os.environ.get("BENCH_SIMULATED") == "1"

def rig_containers():
    """host id -> {state: count} of the containers of the rig's hosts (label cimigrains.host)."""
    if simulated: return {}
    out = subprocess.run(["docker", "ps", "-a", "--filter", "label=cimigrains.machine", "--format", '{{.Label "cimigrains.host"}} {{.State}}'],
                         env=env, capture_output=True, text=True, check=True).stdout.split("\n")
    per = collections.defaultdict(collections.Counter)
    for line in out:
        if line.startswith(host_prefix):
            host, state = line.split()
            per[host][state] += 1
    return per

def check(system, quantity, machine_state, container_state):
    """After a Job's SUCCESS: the System, its Machines and their containers are where the Job says."""
    s, machines = machines_of(system)
    states = collections.Counter(m.get("state") for m in machines)
    if len(machines) != quantity or states != {machine_state: quantity}:
        raise RuntimeError(f"System {s.get('state')}: {len(machines)} Machines, states {dict(states)}, not {quantity} {machine_state}")
    running = sum(c[container_state] for c in rig_containers().values())
    if running != quantity and not simulated: raise RuntimeError(f"{running} containers {container_state}, not {quantity}")
    return s.get("state"), collections.Counter(m.get("host") for m in machines)

def containers_left(timeout=30):
    """Seconds after the delete's Job until no container of the rig's hosts is left (0 when none already)."""
    t0 = time.perf_counter()
    while (left := sum(sum(c.values()) for c in rig_containers().values())) > 0:
        if time.perf_counter() - t0 > timeout: raise RuntimeError(f"{left} containers left {timeout} s after the delete")
        time.sleep(0.2)
    return time.perf_counter() - t0

def settled_sample():
    time.sleep(SETTLE_S)
    return sample()

def cimi_round(r, out):
    global phase
    a = settled_sample()
    phase = "create"
    system, t = create_system(n, f"bench-sys-{r}")
    out["create"].append(t); out["create_cost"].append(cost(a, settled_sample()))
    state, spread = check(system, n, "STARTED", "running")
    spread_s = ", ".join(f"{h}: {c}" for h, c in sorted(spread.items()))
    out["spread"].append(spread)
    a = sample(); phase = "stop"
    out["stop"].append(act(system, "stop"))
    out["stop_cost"].append(cost(a, settled_sample())); check(system, n, "STOPPED", "exited")
    a = sample(); phase = "start"
    out["start"].append(act(system, "start"))
    out["start_cost"].append(cost(a, settled_sample())); check(system, n, "STARTED", "running")
    a = sample(); phase = "delete"
    out["delete"].append(delete_system(system)); out["left_after"].append(containers_left())
    out["delete_cost"].append(cost(a, settled_sample()))
    log(f"  round {r + 1} CIMI: create {out['create'][-1]:.1f} s (System {state} {SETTLE_S} s after its Job, spread {spread_s}); "
        f"stop {out['stop'][-1]:.1f} s, start {out['start'][-1]:.1f} s, delete {out['delete'][-1]:.1f} s "
        f"(containers gone {out['left_after'][-1]:.1f} s after its Job)")

# ---- plain Docker --------------------------------------------------------------------------------------

def docker(*args):
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True)

def run_flags(k, network):
    """What the agent's Docker driver (src/Agents/Docker/DockerDriver.cs, ContainerDefaults.cs, AgentOptions defaults)
    gives a demo Machine: 1 CPU, 256 MiB without extra swap, no restart, 10 s stop timeout, a pids limit, no new
    privileges, every capability dropped but the default few, a volume at /run/cimi for its files."""
    caps = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "AUDIT_WRITE"]
    return ["run", "-d", "--name", f"sysbench-{k}", "--hostname", f"sysbench-{k}", "--label", BASELINE_LABEL,
            "--network", network, "--cpus", "1", "--memory", "256m", "--memory-swap", "256m", "--restart", "no",
            "--stop-timeout", "10", "--pids-limit", "256", "--security-opt", "no-new-privileges:true", "--cap-drop", "ALL",
            *[f for c in caps for f in ("--cap-add", c)], "-e", f"CIMI_MACHINE=sysbench/{k}", "-e", "CIMI_DIR=/run/cimi",
            "--mount", "type=volume,dst=/run/cimi,volume-nocopy", IMAGE]

def parallel(commands):
    """Seconds until every one of the docker commands, all started at once, has returned (each must succeed)."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(commands)) as pool:
        results = list(pool.map(lambda c: docker(*c), commands))
    took = time.perf_counter() - t0
    bad = [r.stderr.strip() for r in results if r.returncode != 0]
    if bad: raise RuntimeError(f"{len(bad)} of {len(commands)} docker commands failed: {bad[0]}")
    return took

def baseline_containers():
    return collections.Counter(docker("ps", "-a", "--filter", f"label={BASELINE_LABEL}", "--format", "{{.State}}").stdout.split())

def docker_round(r, network, out):
    names = [f"sysbench-{k}" for k in range(n)]
    out["create"].append(parallel([run_flags(k, network) for k in range(n)]))
    if baseline_containers() != {"running": n}: raise RuntimeError(f"docker run: {dict(baseline_containers())}")
    out["stop"].append(parallel([["stop", c] for c in names]))
    if baseline_containers() != {"exited": n}: raise RuntimeError(f"docker stop: {dict(baseline_containers())}")
    out["start"].append(parallel([["start", c] for c in names]))
    if baseline_containers() != {"running": n}: raise RuntimeError(f"docker start: {dict(baseline_containers())}")
    out["delete"].append(parallel([["rm", "-f", "-v", c] for c in names]))
    if baseline_containers(): raise RuntimeError(f"docker rm: {dict(baseline_containers())} left")
    log(f"  round {r + 1} docker --network {network}: run {out['create'][-1]:.1f} s, stop {out['stop'][-1]:.1f} s, "
        f"start {out['start'][-1]:.1f} s, rm -f {out['delete'][-1]:.1f} s")

def baseline_down():
    ids = docker("ps", "-aq", "--filter", f"label={BASELINE_LABEL}").stdout.split()
    if ids: docker("rm", "-f", "-v", *ids)
    if docker("network", "inspect", BRIDGE).returncode == 0 and docker("network", "rm", BRIDGE).returncode != 0:
        # Docker 20.10's stale endpoints after 100 removals at once (moby/moby#42119): only a dockerd restart clears them.
        log(f"cleanup: LEFT: the baseline network {BRIDGE}, which the engine will not remove (stale endpoints)")

# ---- the measurements ----------------------------------------------------------------------------------

def med(xs): return statistics.median(xs)

def cost_line(what, costs, count):
    """Medians per Machine, as measured and less the idle rate over the same time (the silo's timers, the sampler)."""
    raw = [med([c[k] for c in costs]) for k in range(METRICS + 1)]
    net = [raw[k] - idle_rate[k] * raw[METRICS] for k in range(METRICS)]
    interfaces = collections.Counter()
    for c in costs: interfaces.update(c[METRICS + 1])
    top = ", ".join(f"{name.rsplit('.', 1)[-1]} {calls / len(costs) / count:.1f}" for name, calls in interfaces.most_common(6))
    return (f"{what}: per Machine silo CPU {raw[0] / count * 1000:.1f} ms ({net[0] / count * 1000:.1f} less idle), "
            f"{raw[1] / count:.1f} rows written ({net[1] / count:.1f}), {raw[2] / count:.1f} commits ({net[2] / count:.1f}), "
            f"{raw[3] / count / 1024:.1f} KiB WAL; whole System {raw[0]:.2f} s CPU, {raw[1]:.0f} rows, {raw[2]:.0f} commits, "
            f"{raw[3] / 1048576:.1f} MiB WAL, {raw[4]:.0f} grain calls over {raw[5]:.1f} s; "
            f"per Machine {raw[4] / count:.1f} grain calls ({net[4] / count:.1f} less idle), most: {top}")

def lifecycle():
    docker("network", "create", "--internal", "--label", BASELINE_LABEL, "-o", "com.docker.network.bridge.enable_icc=true",
           "-o", "com.docker.network.bridge.enable_ip_masquerade=false", "-o", "com.docker.network.bridge.name=cg-sysbench", BRIDGE)
    ops = ["create", "stop", "start", "delete"]
    cimi = collections.defaultdict(list)
    plain = {net: collections.defaultdict(list) for net in ("none", BRIDGE)}
    for r in range(rounds):
        if r % 2 == 0: cimi_round(r, cimi)
        for net in plain: docker_round(r, net, plain[net])
        if r % 2 == 1: cimi_round(r, cimi)
    docker("network", "rm", BRIDGE)
    log(f"(1) and (2): a System of {n} demo Machines over 3 hosts vs {n} parallel docker commands, median of {rounds} rounds")
    log(f"    {'':8} {'CIMI System':>12} {'docker none':>12} {'docker bridge':>14} {'ratio none':>11} {'ratio bridge':>13}")
    for op, label in zip(ops, ["create", "stop", "start", "delete"]):
        c, dn, db = med(cimi[op]), med(plain["none"][op]), med(plain[BRIDGE][op])
        log(f"    {label:8} {c:>10.1f} s {dn:>10.1f} s {db:>12.1f} s {c / dn:>10.2f}x {c / db:>12.2f}x")
    log(f"    (CIMI create = POST to Job SUCCESS; docker = run -d / stop / start / rm -f -v, all {n} at once; "
        f"every round checked: {n} Machines STARTED / STOPPED and their containers running / exited, none left after delete)")
    log(f"    containers all gone {med(cimi['left_after']):.2f} s after the delete Job (median)")
    for r, spread in enumerate(cimi["spread"]):
        log(f"    spread, round {r + 1}: " + ", ".join(f"{h}: {c}" for h, c in sorted(spread.items())))
    for op in ("stop", "start"):
        log("(3) " + cost_line(f"{n}-Machine System {op}", cimi[op + "_cost"], n))
    return cimi["create_cost"], cimi["delete_cost"]

def cost_of(size):
    global phase
    phase = f"{size}-Machine create/delete"
    creates, deletes, times = [], [], []
    for r in range(rounds):
        a = settled_sample()
        system, t = create_system(size, f"bench-cost-{size}-{r}")
        creates.append(cost(a, settled_sample())); times.append(t)
        check(system, size, "STARTED", "running")
        a = sample()
        delete_system(system); containers_left()
        deletes.append(cost(a, settled_sample()))
        log(f"  {size} Machines, round {r + 1}: create {t:.1f} s, silo CPU {creates[-1][0]:.2f} s, {creates[-1][1]:.0f} rows written")
    return creates, deletes, med(times)

def main():
    try:
        # The silo's first minute (JIT, caches) is not its idle rate: one small System first, not counted.
        warm, _ = create_system(10, "bench-warm-up"); delete_system(warm); containers_left()
        time.sleep(10)
        measure_idle(20)
        measured = {}
        if "lifecycle" in steps: measured[n] = lifecycle()
        if "cost" in steps:
            for size in sizes:
                if size in measured: continue
                creates, deletes, t = cost_of(size)
                measured[size] = (creates, deletes)
                log(f"    {size} Machines: create to Job SUCCESS {t:.1f} s (median)")
        for size in sorted(measured):
            creates, deletes = measured[size]
            log("(3) " + cost_line(f"{size}-Machine System create", creates, size))
            log("(3) " + cost_line(f"{size}-Machine System delete", deletes, size))
    finally:
        for system in list(made_systems):
            try: delete_system(system)
            except Exception as e: log(f"cleanup: could not delete {system}: {e}")
        baseline_down()
    if busy_answers: log("GETs answered 503 (cluster busy) and asked again, per operation: " + ", ".join(f"{k} {v}" for k, v in busy_answers.items()))
    left = rig_containers()
    log("cleanup: " + ("no container of the rig's hosts left" if not left else f"LEFT: {dict(left)}"))

if __name__ == "__main__":
    main()
