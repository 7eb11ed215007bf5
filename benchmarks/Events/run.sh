#!/usr/bin/env bash
# Change -> live stream latency benchmark (issue 15: p99 <= 100 ms with 100 subscribers). Starts a private
# PostgreSQL and one Release gateway on 127.0.0.1, opens the subscribers, makes the changes, prints a table
# (benchmarks/Events/bench.py says how it measures). Everything started here is stopped on exit.
# Usage: benchmarks/Events/run.sh      Knobs: BENCH_SUBSCRIBERS (100) BENCH_EVENTS (50) BENCH_GAP_MS (200)
#   BENCH_KEEP=1 keeps the work folder; CIMI_PG_FSYNC (on) as for the other benchmarks.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
source benchmarks/bench-lib.sh
bench_begin cimi-events-bench
pg_port=$(free_port 57432); http_port=$(free_port 19180); silo_port=$(free_port 22211); gateway_port=$(free_port 32100)

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ); main at $(git rev-parse --short HEAD)"
echo "== building (Release)"
dotnet build CimiGrains.sln -c Release -nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
export CIMI_PG_FSYNC=${CIMI_PG_FSYNC:-on}
postgres=$(scripts/postgres.sh start "$work/pg" "$pg_port" cimieventsbench)
password=bench-$RANDOM$RANDOM
env CIMI_POSTGRES="$postgres" CIMI_HTTP_PORT="$http_port" CIMI_SILO_PORT="$silo_port" CIMI_GATEWAY_PORT="$gateway_port" \
  CIMI_DEMO_PASSWORD="$password" CIMI_DEMO_VM_IMAGE= CIMI_CLUSTER_ID="eventsbench$$" Logging__LogLevel__Default=Warning \
  CIMI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
  dotnet src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll >"$work/gateway.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$http_port/health/ready" >/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/gateway.log"; exit 1; }
  sleep 0.2
done
echo "== gateway on 127.0.0.1:$http_port; PostgreSQL fsync=$CIMI_PG_FSYNC"
BENCH_PORT=$http_port BENCH_PASSWORD=$password python3 benchmarks/Events/bench.py
