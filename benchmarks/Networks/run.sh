#!/usr/bin/env bash
# Runs bench.py on the multi-host rig (scripts/hosts.sh: 3 hosts as network namespaces on an underlay of
# their own, each with its own agent and network plane) against a private PostgreSQL and one Release
# gateway/silo whose agent API listens on the rig's 10.251.0.1 (rig_begin in benchmarks/bench-lib.sh); then
# removes everything it made: Machines (through the API, and any container of the rig's host ids by hand after
# a failure), agents, hosts, underlay, gateway, PostgreSQL and the work folder. Needs root (namespaces, nsenter).
# Usage: benchmarks/Networks/run.sh [ROUNDS=7] [MACHINES=100] [STEPS=pair,three,many]
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/bench-lib.sh
rig_begin cimi-bench-networks bench-net-host
python3 benchmarks/Networks/bench.py "http://127.0.0.1:$http" demo demo "$host_prefix" "$agent_pids" "${1:-7}" "${2:-100}" "${3:-pair,three,many}"
