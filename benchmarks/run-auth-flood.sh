#!/usr/bin/env bash
# Login-flood benchmark (issue 9, finding 10): a legitimate client's GET latency (median, p99) with no
# flood, with 16 clients sending wrong passwords from one address, and from 16 addresses, side by side in
# one run against one gateway. Everything runs on 127.0.0.0/8 and everything started here is stopped on exit.
#
# Usage: benchmarks/run-auth-flood.sh
# Knobs (environment): BENCH_FLOOD (16 clients) BENCH_DURATION (15 s per phase) BENCH_KEEP (1: keep the temp dir)
#   BENCH_GATEWAY_DLL (another build of the gateway, e.g. main's, to compare)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

source benchmarks/bench-lib.sh
bench_begin cimi-auth-bench
pg_port=$(free_port 56432); http_port=$(free_port 19080); silo_port=$(free_port 22111); gateway_port=$(free_port 32000)

echo "== machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
export CIMI_PG_FSYNC=${CIMI_PG_FSYNC:-off}
postgres=$(scripts/postgres.sh start "$work/pg" "$pg_port" cimiauthbench)
gateway_dll=${BENCH_GATEWAY_DLL:-$repo/src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll}
if [ -z "${BENCH_GATEWAY_DLL:-}" ]; then
  echo "== building (Release)"
  dotnet build CimiGrains.sln -c Release -nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
fi

password=bench-$RANDOM$RANDOM
env CIMI_POSTGRES="$postgres" CIMI_HTTP_PORT="$http_port" CIMI_SILO_PORT="$silo_port" CIMI_GATEWAY_PORT="$gateway_port" \
  CIMI_DEMO_PASSWORD="$password" CIMI_CLUSTER_ID="authbench$$" Logging__LogLevel__Default=Warning \
  CIMI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)" \
  dotnet "$gateway_dll" >"$work/gateway.log" 2>&1 &
pids+=("$!")
deadline=$((SECONDS + 120))
until curl -fsS -o /dev/null -u "demo:$password" "http://127.0.0.1:$http_port/cimi/machineConfigs/small" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/gateway.log"; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { echo "gateway not up after 120 s" >&2; exit 1; }
  sleep 0.5
done
echo "== gateway $gateway_dll on 127.0.0.1:$http_port; GET /cimi/machineConfigs/small as demo"
python3 benchmarks/Auth/flood.py --port "$http_port" --user demo --password "$password" \
  --flood "${BENCH_FLOOD:-16}" --duration "${BENCH_DURATION:-15}"
