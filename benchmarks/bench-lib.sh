# Sourced by the benchmark scripts: a private work folder and the processes a run starts, all stopped
# and removed on exit (BENCH_KEEP=1 keeps the folder), and free loopback ports.
# Usage: bench_begin PREFIX   then append each started process's pid to the array `pids`.

bench_begin() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$work"
  pids=()
  trap bench_stop_all EXIT
  trap 'exit 130' INT TERM
}

bench_stop_all() {
  local rc=${1:-$?}  # rig_down passes the script's status: it has run commands since
  # Children by their own pids, politely first: the silo marks itself dead in the membership table.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  scripts/postgres.sh stop "$work/pg" || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}

# A port nobody on this machine is listening on, starting from a base (several runs may coexist).
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# How the bench's gateways and agents log: BENCH_LOGLEVEL (default Warning), with millisecond timestamps so that
# one operation can be followed across the gateway's and the agent's logs. Pass as "${bench_log_env[@]}".
bench_log_env=("Logging__LogLevel__Default=${BENCH_LOGLEVEL:-Warning}" "Logging__Console__FormatterOptions__TimestampFormat=HH:mm:ss.fff ")

# Starts the Release gateway/silo (BENCH_GATEWAY_DLL: another build's) against PostgreSQL $conn on the ports $http,
# $silo, $gw and $agent (its agent API), with agent secret and demo password "bench"/"demo" and the given NAME=value
# settings on top; waits until it is ready (showing its log if it dies first). Sets gateway_pid; logs to $work/gateway.log.
# Usage: bench_gateway [NAME=value ...]
bench_gateway() {
  env CIMI_POSTGRES="$conn" CIMI_HTTP_PORT="$http" CIMI_SILO_PORT="$silo" CIMI_GATEWAY_PORT="$gw" CIMI_AGENT_PORT="$agent"     CIMI_AGENT_SECRET=bench CIMI_DEMO_PASSWORD=demo CIMI_ADMIN_PASSWORD=bench CIMI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" "${bench_log_env[@]}" "$@"     dotnet "${BENCH_GATEWAY_DLL:-src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll}" >"$work/gateway.log" 2>&1 &
  gateway_pid=$!
  pids+=("$gateway_pid")
  until curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null; do
    kill -0 "$gateway_pid" 2>/dev/null || { echo "$0: the gateway exited; its log:" >&2; cat "$work/gateway.log" >&2; exit 1; }
    sleep 0.2
  done
}

# The multi-host rig (scripts/hosts.sh: 3 hosts as network namespaces on an underlay of their own, each with
# its own agent) against a private PostgreSQL and one Release gateway/silo whose agent API listens on the rig's
# 10.251.0.1. Builds, then sets work, pids, host_prefix, http (the gateway's HTTP port), pg (PostgreSQL's),
# gateway_pid and agent_pids (comma-separated, host order); on exit rig_down removes all of it.
# Usage: rig_begin WORK_PREFIX HOST_PREFIX   (needs root: namespaces, nsenter)
#   RIG_AGENT_CPU (default 64): the CPUs each agent offers, so that 100 demo Machines (1 CPU each) fit on three.
rig_begin() {
  [ "$(id -u)" -eq 0 ] || { echo "$0: needs root (network namespaces, nsenter)" >&2; exit 1; }
  # The rig's names and addresses are fixed: a rig someone else runs is theirs, never taken down by us.
  [ ! -e /run/netns/cimi-underlay ] || { echo "$0: a multi-host rig is already up (scripts/hosts.sh status); not touching it" >&2; exit 1; }
  scripts/docker.sh ensure
  scripts/network.sh ensure
  dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
  bench_begin "$1"
  host_prefix=$2
  export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
  trap rig_down EXIT

  CIMI_RIG_DIR="$work/rig" scripts/hosts.sh up 3
  local silo gw agent conn i
  pg=$(free_port 58432); http=$(free_port 18380); silo=$(free_port 21311); gw=$(free_port 31200); agent=$(free_port 18381)
  conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
  bench_gateway CIMI_AGENT_ADDRESS=10.251.0.1 CIMI_DEMO_VM_IMAGE=
  for i in 1 2 3; do
    CIMI_RIG_DIR="$work/rig" CIMI_RIG_HOST_ID_PREFIX=$host_prefix CIMI_RIG_CONTROLLERS="http://10.251.0.1:$agent" \
      CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=${RIG_AGENT_CPU:-64} Logging__LogLevel__Default=Warning scripts/hosts.sh agent "$i"
  done
  until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
  sleep 3  # let the three agents register before the first placement (start-up only, not measured)
  agent_pids=$(for i in 1 2 3; do cat "$work/rig/host$i/agent.pid"; done | paste -sd,)
}

# A script's own leftovers go first when it defines rig_extra_down.
rig_down() {
  local rc=$? i ids
  set +e  # every step is tried, whatever the one before it did
  if declare -F rig_extra_down >/dev/null; then rig_extra_down || true; fi
  # Containers first (a failed run may leave some): the agents would otherwise adopt nothing, and the engine
  # keeps them; their veths' inner ends go with them, the outer ends with the host namespaces. Then what the
  # Docker driver made beside them for those hosts: the tenant bridges (cimi… links) and Machine-file volumes.
  for i in 1 2 3; do bench_remove_containers "$host_prefix$i"; done
  CIMI_RIG_DIR="$work/rig" scripts/hosts.sh down >/dev/null || true
  for i in 1 2 3; do bench_remove_docker_leftovers "$host_prefix$i"; done
  bench_stop_all "$rc"
}

# The containers the Docker driver made for a host id (a failed run may leave some, and with the agent gone
# nobody else removes them).
bench_remove_containers() {
  local ids
  ids=$(docker ps -aq --filter "label=cimigrains.host=$1" 2>/dev/null || true)
  if [ -n "$ids" ]; then docker rm -f -v $ids >/dev/null 2>&1 || true; fi
}

# What the Docker driver made beside a host id's containers: its tenant bridges and Machine-file volumes.
bench_remove_docker_leftovers() {
  local ids
  ids=$(docker network ls -q --filter "label=cimigrains.host=$1" 2>/dev/null || true)
  if [ -n "$ids" ]; then docker network rm $ids >/dev/null 2>&1 || true; fi
  # Docker 20.10 can keep stale endpoints on a network after many containers are removed at once ("has active
  # endpoints" with none listed; moby/moby#42119): said out loud, since only a restart of dockerd clears them.
  ids=$(docker network ls -q --filter "label=cimigrains.host=$1" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    echo "$0: LEFT: Docker networks of host $1 that the engine will not remove (stale endpoints; restarting dockerd clears them): $ids" >&2
  fi
  ids=$(docker volume ls -q --filter "label=cimigrains.host=$1" 2>/dev/null || true)
  if [ -n "$ids" ]; then docker volume rm -f $ids >/dev/null 2>&1 || true; fi
}

# Mounts under a folder (deepest first) and the loop devices backed by its files: what an agent killed with
# its Volumes attached leaves, and what the folder cannot be removed with.
bench_release_mounts() {
  local dir=$1 m d
  for m in $(findmnt -rn -o TARGET | grep "^$dir/" | sort -r); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  for d in $(losetup -a | grep "($dir/" | cut -d: -f1); do losetup -d "$d" || true; done
}
