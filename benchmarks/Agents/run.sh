#!/usr/bin/env bash
# Runs bench.py against a private PostgreSQL, a Release gateway and one agent, then stops them all.
# Usage: benchmarks/Agents/run.sh [N_SEQUENTIAL] [N_PARALLEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/docker.sh ensure
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
. benchmarks/bench-lib.sh
bench_begin cimi-bench-agents
pg=$(free_port 55432); http=$(free_port 18080); silo=$(free_port 21011); gw=$(free_port 30900); agent=$(free_port 18081)
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
bench_gateway
# The demo template asks 1 CPU and 256 MiB; 50 at once need an agent that offers that much.
CIMI_AGENT_HOST_ID=bench CIMI_AGENT_CONTROLLERS="http://127.0.0.1:$agent" CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=64 \
  Logging__LogLevel__Default=Warning dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll >"$work/agent.log" 2>&1 & pids+=($!)
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
sleep 2  # let the agent register before the first placement (start-up only, not measured)
python3 benchmarks/Agents/bench.py "http://127.0.0.1:$http" demo demo bench "${1:-20}" "${2:-50}"
