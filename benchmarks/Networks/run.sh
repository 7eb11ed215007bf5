#!/usr/bin/env bash
# Runs bench.py on the multi-host rig (scripts/hosts.sh: 3 hosts as network namespaces on an underlay of
# their own, each with its own agent and network plane) against a private PostgreSQL and one Release
# gateway/silo whose agent API listens on the rig's 10.251.0.1; then removes everything it made: Machines
# (through the API, and any container of the rig's host ids by hand after a failure), agents, hosts,
# underlay, gateway, PostgreSQL and the work folder. Needs root (namespaces, nsenter).
# Usage: benchmarks/Networks/run.sh [ROUNDS=7] [MACHINES=100] [STEPS=pair,three,many]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "run.sh: needs root (network namespaces, nsenter)" >&2; exit 1; }
# The rig's names and addresses are fixed: a rig someone else runs is theirs, never taken down by us.
[ ! -e /run/netns/cimi-underlay ] || { echo "run.sh: a multi-host rig is already up (scripts/hosts.sh status); not touching it" >&2; exit 1; }
scripts/docker.sh ensure
scripts/network.sh ensure
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
. benchmarks/bench-lib.sh
bench_begin cimi-bench-networks
host_prefix=bench-net-host
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}

rig_down() {
  local rc=$? i ids
  # Containers first (a failed run may leave some): the agents would otherwise adopt nothing, and the engine
  # keeps them; their veths' inner ends go with them, the outer ends with the host namespaces.
  for i in 1 2 3; do
    ids=$(docker ps -aq --filter "label=cimigrains.host=$host_prefix$i" 2>/dev/null || true)
    if [ -n "$ids" ]; then docker rm -f $ids >/dev/null 2>&1 || true; fi
  done
  CIMI_RIG_DIR="$work/rig" scripts/hosts.sh down >/dev/null || true
  (exit "$rc"); bench_stop_all
}
trap rig_down EXIT

CIMI_RIG_DIR="$work/rig" scripts/hosts.sh up 3
pg=$(free_port 58432); http=$(free_port 18380); silo=$(free_port 21311); gw=$(free_port 31200); agent=$(free_port 18381)
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
CIMI_POSTGRES="$conn" CIMI_HTTP_PORT=$http CIMI_SILO_PORT=$silo CIMI_GATEWAY_PORT=$gw CIMI_AGENT_PORT=$agent \
  CIMI_AGENT_ADDRESS=10.251.0.1 CIMI_AGENT_SECRET=bench CIMI_DEMO_PASSWORD=demo CIMI_DEMO_VM_IMAGE= \
  Logging__LogLevel__Default=Warning CIMI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
  dotnet src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll >"$work/gateway.log" 2>&1 & pids+=($!)
until curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null; do sleep 0.2; done
# Each host offers 64 CPUs so that 100 demo Machines (1 CPU, 256 MiB each) fit on three of them.
for i in 1 2 3; do
  CIMI_RIG_DIR="$work/rig" CIMI_RIG_HOST_ID_PREFIX=$host_prefix CIMI_RIG_CONTROLLERS="http://10.251.0.1:$agent" \
    CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=64 Logging__LogLevel__Default=Warning scripts/hosts.sh agent "$i"
done
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
sleep 3  # let the three agents register before the first placement (start-up only, not measured)
agent_pids=$(for i in 1 2 3; do cat "$work/rig/host$i/agent.pid"; done | paste -sd,)
python3 benchmarks/Networks/bench.py "http://127.0.0.1:$http" demo demo "$host_prefix" "$agent_pids" "${1:-7}" "${2:-100}" "${3:-pair,three,many}"
