#!/usr/bin/env bash
# HTTP read benchmark (issue 2): GET of one Machine and pages of 100 from a collection of 10,000,
# at 32 concurrent clients, side by side with a bare ASP.NET Core endpoint serving the same bytes.
# Everything runs on 127.0.0.1 from a clean checkout and everything started here is stopped on exit.
#
# Usage: benchmarks/run-http.sh
# Knobs (environment): BENCH_MACHINES (10000) BENCH_CONCURRENCY (32) BENCH_ROUNDS (3) BENCH_WARMUP (2 s)
#   BENCH_DURATION (8 s) BENCH_MAX_REQUESTS (500000 per measurement) BENCH_PROFILE (1: also run the
#   breakdown scenarios) BENCH_OUT (copy the markdown table there) BENCH_KEEP (1: keep the temp dir)
#   BENCH_GATEWAY_LOGLEVEL (unset: the gateway's default logging, as shipped)
#   BENCH_PG_OPTIONS (appended to the gateway's connection string, e.g. ";Maximum Pool Size=8")
#   BENCH_WRITE_INTERVAL (unset: reads only; N seconds: during the load, a writer alternately creates a
#     Machine and deletes it every N seconds, so the collection's membership keeps changing)
#   CIMI_PG_FSYNC (off: the private cluster is thrown away, and the reads measured never wait on fsync)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

machines=${BENCH_MACHINES:-10000}
concurrency=${BENCH_CONCURRENCY:-32}
rounds=${BENCH_ROUNDS:-3}
warmup=${BENCH_WARMUP:-2}
duration=${BENCH_DURATION:-8}
max_requests=${BENCH_MAX_REQUESTS:-500000}
profile=${BENCH_PROFILE:-1}

source benchmarks/bench-lib.sh
bench_begin cimi-bench
pg_port=$(free_port "${BENCH_PG_PORT:-55432}")
http_port=$(free_port "${BENCH_HTTP_PORT:-18080}")
silo_port=$(free_port "${BENCH_SILO_PORT:-21111}")
gateway_port=$(free_port "${BENCH_GATEWAY_PORT:-31000}")
bare_port=$(free_port $((http_port + 1)))

wait_http() { # url seconds pid
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    kill -0 "$3" 2>/dev/null || { echo "process $3 died while starting; see $work" >&2; return 1; }
    [ "$SECONDS" -lt "$deadline" ] || { echo "$1 not up after $2 s" >&2; return 1; }
    sleep 0.5
  done
}

echo "== machine: $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%FT%TZ)"
echo "== PostgreSQL on 127.0.0.1:$pg_port (fsync=${CIMI_PG_FSYNC:-off})"
export CIMI_PG_FSYNC=${CIMI_PG_FSYNC:-off}
postgres=$(scripts/postgres.sh start "$work/pg" "$pg_port" cimibench)

echo "== building (Release)"
dotnet build CimiGrains.sln -c Release -nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
bin=net10.0
gateway_dll=$repo/src/Gateway/bin/Release/$bin/CimiGrains.Gateway.dll
bare_dll=$repo/benchmarks/Http/BareEndpoint/bin/Release/$bin/CimiGrains.Benchmarks.BareEndpoint.dll
loadgen=(dotnet "$repo/benchmarks/Http/LoadGenerator/bin/Release/$bin/CimiGrains.Benchmarks.LoadGenerator.dll")

echo "== gateway on 127.0.0.1:$http_port"
password=bench-$RANDOM$RANDOM
gateway_env=(CIMI_POSTGRES="$postgres${BENCH_PG_OPTIONS:-}" CIMI_HTTP_PORT="$http_port" CIMI_SILO_PORT="$silo_port"
  CIMI_GATEWAY_PORT="$gateway_port" CIMI_DEMO_PASSWORD="$password" CIMI_CLUSTER_ID="bench$$"
  CIMI_SECRET_KEY="$(head -c 32 /dev/urandom | base64)")
[ -n "${BENCH_GATEWAY_LOGLEVEL:-}" ] && gateway_env+=(Logging__LogLevel__Default="$BENCH_GATEWAY_LOGLEVEL")
env "${gateway_env[@]}" dotnet "$gateway_dll" >"$work/gateway.log" 2>&1 &
gateway_pid=$!; pids+=("$gateway_pid")
wait_http "http://127.0.0.1:$http_port/health/ready" 120 "$gateway_pid"
# The demo tenant is seeded by a hosted service; the template is there once the entry point answers.
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null -u "demo:$password" "http://127.0.0.1:$http_port/cimi/machineTemplates/demo"; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "the demo MachineTemplate never appeared" >&2; exit 1; }
  sleep 0.5
done

echo "== seeding $machines Machines"
base=http://127.0.0.1:$http_port/cimi
"${loadgen[@]}" seed --base "$base/" --user "demo:$password" --count "$machines" --concurrency 16 --out "$work"
id=$(cat "$work/machine-id.txt")

echo "== bare endpoint on 127.0.0.1:$bare_port"
dotnet "$bare_dll" --port "$bare_port" --doc /machine="$work/machine.json" \
  --doc /page-first="$work/page-first.json" --doc /page-deep="$work/page-deep.json" >"$work/bare.log" 2>&1 &
bare_pid=$!; pids+=("$bare_pid")
wait_http "http://127.0.0.1:$bare_port/machine" 60 "$bare_pid"
bare=http://127.0.0.1:$bare_port
echo "   document sizes: machine $(wc -c <"$work/machine.json") B, page-first $(wc -c <"$work/page-first.json") B, page-deep $(wc -c <"$work/page-deep.json") B"

scenarios=(
  --scenario "bare-machine=$bare/machine,server=bare"
  --scenario "gw-machine=$base/machines/$id,vs=bare-machine,server=gateway"
  --scenario "bare-page-first=$bare/page-first,server=bare"
  --scenario "gw-page-first=$base/machines?\$first=1&\$last=100,vs=bare-page-first,server=gateway"
  --scenario "bare-page-deep=$bare/page-deep,server=bare"
  --scenario "gw-page-deep=$base/machines?\$first=5001&\$last=5100,vs=bare-page-deep,server=gateway"
)
if [ "$profile" = 1 ]; then
  # The breakdown: each adds one layer to the one before it.
  scenarios+=(
    --scenario "gw-health-live=http://127.0.0.1:$http_port/health/live,anon,vs=bare-machine,server=gateway"  # pipeline, no auth
    --scenario "gw-anon-401=$base/machines/$id,anon,status=401,vs=bare-machine,server=gateway"             # + authorization refusal
    --scenario "gw-auth-404=$base/machines/not.an.id,status=404,vs=bare-machine,server=gateway"            # + Basic auth, route, error
    --scenario "gw-machine-random=$base/machines/{id},vs=gw-machine,server=gateway"                         # one grain of 10,000 per call
    --scenario "gw-page-one=$base/machines?\$first=1&\$last=1,vs=bare-machine,server=gateway"              # read model: count + 1 row
  )
fi

if [ -n "${BENCH_WRITE_INTERVAL:-}" ]; then
  echo "== writer: a create or a delete every ${BENCH_WRITE_INTERVAL} s"
  (
    while :; do
      location=$(curl -fsS -o /dev/null -D - -u "demo:$password" -H 'Content-Type: application/json' \
        -d "{\"name\":\"writer\",\"machineTemplate\":{\"href\":\"$base/machineTemplates/demo\"}}" "$base/machines" \
        | awk 'tolower($1) == "location:" {print $2}' | tr -d '\r')
      sleep "$BENCH_WRITE_INTERVAL"
      [ -n "$location" ] && curl -fsS -o /dev/null -u "demo:$password" -X DELETE "$location"
      sleep "$BENCH_WRITE_INTERVAL"
    done
  ) >"$work/writer.log" 2>&1 &
  pids+=("$!")
fi

echo "== load: $concurrency clients, $rounds rounds"
"${loadgen[@]}" run "${scenarios[@]}" --user "demo:$password" --ids "$work/machine-ids.txt" \
  --pid gateway="$gateway_pid" --pid bare="$bare_pid" \
  --concurrency "$concurrency" --warmup "$warmup" --duration "$duration" --max-requests "$max_requests" \
  --rounds "$rounds" --markdown "$work/table.md"
echo "   gateway RSS at the end: $(awk '/VmRSS/ {print $2 " " $3}' "/proc/$gateway_pid/status")"
[ -n "${BENCH_OUT:-}" ] && cp "$work/table.md" "$BENCH_OUT"
exit 0
