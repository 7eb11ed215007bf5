#!/usr/bin/env bash
# The control-plane cost part of bench.py (issue 14) at sizes no host here can run: against a private PostgreSQL
# and one Release gateway/silo, with SIMULATED hosts (benchmarks/Meters' `hosts` mode: real gRPC agent sessions
# that take every command as done, no containers) in place of agents. What it measures is the control plane alone
# (grains, database, the agent stream), named SIMULATED in its output; then it stops and removes everything.
# Usage: benchmarks/Systems/run-simulated.sh [ROUNDS=1] [SIZES=10,100,1000] [HOSTS=20] [CPU_PER_HOST=64]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
dotnet build benchmarks/Meters/CimiGrains.Benchmarks.Meters.csproj -c Release -v quiet -nologo -clp:NoSummary
. benchmarks/bench-lib.sh
bench_begin cimi-bench-systems-sim
pg=$(free_port 56532); http=$(free_port 18780); silo=$(free_port 21711); gw=$(free_port 31700); agent=$(free_port 18781)
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
bench_gateway CIMI_DEMO_VM_IMAGE=
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
dotnet benchmarks/Meters/bin/Release/net10.0/CimiGrains.Benchmarks.Meters.dll hosts "http://127.0.0.1:$agent" bench \
  "${3:-20}" "${4:-64}" >"$work/hosts.log" 2>&1 & pids+=($!)
sleep 5  # every simulated session registered (start-up only, not measured)
echo "SIMULATED hosts: $(cat "$work/hosts.log")"
BENCH_SIMULATED=1 python3 benchmarks/Systems/bench.py "http://127.0.0.1:$http" demo demo sim- "$gateway_pid" "$pg" \
  "${1:-1}" 0 "${2:-10,100,1000}" cost
