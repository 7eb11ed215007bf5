#!/usr/bin/env bash
# Runs bench.py against a private PostgreSQL, a Release gateway and one agent with the QEMU driver, on the
# demo VM image built by scripts/demo-vm.sh, then stops them all.
# Usage: benchmarks/Qemu/run.sh [N_SEQUENTIAL] [N_PARALLEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/qemu.sh ensure
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
. benchmarks/bench-lib.sh
bench_begin cimi-bench-qemu
pg=$(free_port 56432); http=$(free_port 18180); silo=$(free_port 21111); gw=$(free_port 31000); agent=$(free_port 18181)
images=${CIMI_BENCH_IMAGES:-$PWD/.data/bench-images}
scripts/demo-vm.sh "$images" >&2
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
bench_gateway
# Ten 256 MiB VMs at once need an agent that offers that much CPU (TCG shares the 2 cores).
env CIMI_AGENT_HOST_ID=bench-qemu CIMI_AGENT_CONTROLLERS="http://127.0.0.1:$agent" CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=64 \
  CIMI_AGENT_STATE_DIR="$work/agent" CIMI_AGENT_QEMU_IMAGES="$images" CIMI_AGENT_QEMU_DIR="$work/qemu" \
  "${bench_log_env[@]}" dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll >"$work/agent.log" 2>&1 & pids+=($!)
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo-vm" >/dev/null; do sleep 0.2; done
sleep 2  # let the agent register before the first placement (start-up only, not measured)
python3 benchmarks/Qemu/bench.py "http://127.0.0.1:$http" demo demo "$work/qemu" "$images/demo-vm" "${1:-10}" "${2:-10}"
