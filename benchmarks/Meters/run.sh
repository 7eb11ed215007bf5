#!/usr/bin/env bash
# Meter benchmarks against a private PostgreSQL and one Release gateway/silo (no Docker: the hosts are SIMULATED
# agent sessions that send real SampleBatch messages over the agent gRPC stream), then stops them all.
# Usage: benchmarks/Meters/run.sh [HOSTS] [MACHINES_PER_HOST] [SECONDS] [CLIENTS] [REQUESTS]
#   defaults: 10 hosts x 20 Machines (200 Machines at 1 s), 60 s window; 8 clients, 4000 requests.
#   BENCH_GATEWAY_DLL: another build of the gateway (e.g. an earlier commit's) to compare, side by side.
#   BENCH_METER_SERIES: how many series the read part's hour interleaves (200).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
dotnet build benchmarks/Meters/CimiGrains.Benchmarks.Meters.csproj -c Release -v quiet -nologo -clp:NoSummary
. benchmarks/bench-lib.sh
bench_begin cimi-bench-meters
pg=$(free_port 56432); http=$(free_port 18680); silo=$(free_port 21611); gw=$(free_port 31600); agent=$(free_port 18681)
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
bench_gateway CIMI_DEMO_VM_IMAGE=
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
bench=benchmarks/Meters/bin/Release/net10.0/CimiGrains.Benchmarks.Meters.dll
echo "== ingest (SIMULATED hosts) =="
dotnet "$bench" ingest "http://127.0.0.1:$http" demo demo "http://127.0.0.1:$agent" bench "$conn" "$gateway_pid" "${1:-10}" "${2:-20}" "${3:-60}"
echo "== samples query =="
dotnet "$bench" query "http://127.0.0.1:$http" demo demo "$conn" "${4:-8}" "${5:-4000}"
