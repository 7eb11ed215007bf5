#!/usr/bin/env bash
# Runs bench.py against a private PostgreSQL, a Release gateway and one agent with a volume pool in the
# run's work folder (on the same file system the host-side figures are taken on), then stops them all.
# Usage: benchmarks/Volumes/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/docker.sh ensure
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
. benchmarks/bench-lib.sh
bench_begin cimi-bench-volumes
pg=$(free_port 57432); http=$(free_port 18280); silo=$(free_port 21211); gw=$(free_port 31100); agent=$(free_port 18281)
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
CIMI_POSTGRES="$conn" CIMI_HTTP_PORT=$http CIMI_SILO_PORT=$silo CIMI_GATEWAY_PORT=$gw CIMI_AGENT_PORT=$agent \
  CIMI_AGENT_SECRET=bench CIMI_DEMO_PASSWORD=demo CIMI_DEMO_VM_IMAGE= Logging__LogLevel__Default=Warning \
  CIMI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
  dotnet src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll >"$work/gateway.log" 2>&1 & pids+=($!)
until curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null; do sleep 0.2; done
mkdir -p "$work/pool"
CIMI_AGENT_HOST_ID=bench-volumes CIMI_AGENT_CONTROLLERS="http://127.0.0.1:$agent" CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=16 \
  CIMI_AGENT_STATE_DIR="$work/agent" CIMI_AGENT_VOLUME_POOL="$work/pool" \
  Logging__LogLevel__Default=Warning dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll >"$work/agent.log" 2>&1 & pids+=($!)
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
sleep 2  # let the agent register before the first placement (start-up only, not measured)
python3 benchmarks/Volumes/bench.py "http://127.0.0.1:$http" demo demo "$work/pool" "${1:-10}"
