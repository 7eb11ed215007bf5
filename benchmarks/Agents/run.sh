#!/usr/bin/env bash
# Runs bench.py against a private PostgreSQL, a Release gateway and one agent, then stops them all.
# Usage: benchmarks/Agents/run.sh [N_SEQUENTIAL] [N_PARALLEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/docker.sh ensure
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
work=$(mktemp -d); chmod 755 "$work"
pg=$(port); http=$(port); silo=$(port); gw=$(port); agent=$(port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; scripts/postgres.sh stop "$work/pg"; rm -rf "$work"; }
trap cleanup EXIT
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
CIMI_POSTGRES="$conn" CIMI_HTTP_PORT=$http CIMI_SILO_PORT=$silo CIMI_GATEWAY_PORT=$gw CIMI_AGENT_PORT=$agent \
  CIMI_AGENT_SECRET=bench CIMI_DEMO_PASSWORD=demo Logging__LogLevel__Default=Warning CIMI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
  dotnet src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll >"$work/gateway.log" 2>&1 & pids+=($!)
until curl -sf "http://127.0.0.1:$http/health/ready" >/dev/null; do sleep 0.2; done
# The demo template asks 1 CPU and 256 MiB; 50 at once need an agent that offers that much.
CIMI_AGENT_HOST_ID=bench CIMI_AGENT_CONTROLLERS="http://127.0.0.1:$agent" CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=64 \
  Logging__LogLevel__Default=Warning dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll >"$work/agent.log" 2>&1 & pids+=($!)
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
sleep 2  # let the agent register before the first placement (start-up only, not measured)
python3 benchmarks/Agents/bench.py "http://127.0.0.1:$http" demo demo bench "${1:-20}" "${2:-50}"
