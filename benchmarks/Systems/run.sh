#!/usr/bin/env bash
# Runs bench.py (Systems over the cluster, issue 14) on the multi-host rig of scripts/hosts.sh: 3 hosts, one agent
# each offering RIG_AGENT_CPU CPUs (default 64), a private PostgreSQL and one Release gateway/silo (rig_begin in
# benchmarks/bench-lib.sh); then removes everything it made: Systems (through the API), the plain-Docker baseline's
# containers and bridge, any container of the rig's host ids by hand after a failure, agents, hosts, underlay,
# gateway, PostgreSQL and the work folder. Needs root (namespaces, nsenter).
# Usage: benchmarks/Systems/run.sh [ROUNDS=3] [MACHINES=100] [SIZES=10,100] [STEPS=lifecycle,cost]
#   A size of 1000 needs hosts that offer 1,000 CPUs in all: RIG_AGENT_CPU=400.
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/bench-lib.sh
# The baseline's own containers and bridge (bench.py removes them; this is for a run cut short).
rig_extra_down() {
  local ids
  ids=$(docker ps -aq --filter label=cimibench=systems 2>/dev/null || true)
  if [ -n "$ids" ]; then docker rm -f -v $ids >/dev/null 2>&1 || true; fi
  ids=$(docker network ls -q --filter label=cimibench=systems 2>/dev/null || true)
  if [ -n "$ids" ]; then docker network rm $ids >/dev/null 2>&1 || true; fi
}
rig_begin cimi-bench-systems bench-sys-host
python3 benchmarks/Systems/bench.py "http://127.0.0.1:$http" demo demo "$host_prefix" "$gateway_pid" "$pg" \
  "${1:-3}" "${2:-100}" "${3:-10,100}" "${4:-lifecycle,cost}"
