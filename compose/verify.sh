#!/usr/bin/env bash
# End-to-end check of the compose deployment, against the locally built images (run build-images.sh
# first). Uses its own project name, env file (random passwords) and port range, and removes
# everything it created (containers, network, volume) on exit. Traffic: loopback only (published
# ports) plus `docker-compose exec` into its own postgres container.
#   up with 1 silo -> create a Machine via silo 1 -> scale to 3 -> read it via silos 2 and 3
#   -> 3 active rows (status 3) in orleansmembershiptable -> scale to 1 -> silo 1 still serves it
#   -> down -v
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}
export COMPOSE_PROJECT_NAME=${VERIFY_PROJECT:-cimiverify}
ports=${VERIFY_PORTS:-18180-18189}
env_file=$(mktemp)
rnd() { head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
demo_pw=$(rnd)
cat >"$env_file" <<ENV
COMPOSE_PROJECT_NAME=$COMPOSE_PROJECT_NAME
POSTGRES_PASSWORD=$(rnd)
CIMI_ADMIN_PASSWORD=$(rnd)
CIMI_SECRET_KEY=$(head -c 32 /dev/urandom | base64)
CIMI_DEMO_PASSWORD=$demo_pw
CIMI_CLUSTER_ID=verify
CIMI_HTTP_PORTS=$ports
ENV
dc() { docker-compose --env-file "$env_file" "$@"; }
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then echo "FAILED; last silo logs:" >&2; dc logs --tail=40 silo >&2 || true; fi
  dc down -v --remove-orphans >/dev/null 2>&1 || true
  rm -f "$env_file"
  exit $rc
}
trap cleanup EXIT
t0=$(date +%s.%N)
step() { printf '[verify %6.1fs] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
timed() { local s; s=$(date +%s.%N); "$@"; printf '  (%.1f s: %s)\n' "$(echo "$(date +%s.%N) - $s" | bc)" "$*"; }

silo_ids() { dc ps -q silo; }
silo_port() {  # silo_port CONTAINER_ID -> its host port on 127.0.0.1
  docker inspect -f '{{(index (index .NetworkSettings.Ports "8080/tcp") 0).HostPort}}' "$1"
}
wait_healthy() {  # wait_healthy N: N silo containers, all healthy
  local n=$1
  for _ in $(seq 1 120); do
    local ids healthy=0 total=0
    ids=$(silo_ids)
    for id in $ids; do
      total=$((total+1))
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] && healthy=$((healthy+1))
    done
    [ "$total" = "$n" ] && [ "$healthy" = "$n" ] && return 0
    sleep 1
  done
  fail "expected $n healthy silos"
}
psql_q() { dc exec -T postgres psql -U postgres -d cimigrains -tAc "$1"; }
active_silos() { psql_q "SELECT count(*) FROM orleansmembershiptable WHERE deploymentid='verify' AND status=3"; }
wait_active() {  # wait_active N: the membership table shows exactly N active silos
  for _ in $(seq 1 90); do [ "$(active_silos)" = "$1" ] && return 0; sleep 1; done
  fail "expected $1 active silos, table says $(active_silos)"
}

step "up: postgres + 1 silo"
timed dc up -d --scale silo=1
timed wait_healthy 1
wait_active 1
p1=$(silo_port "$(silo_ids | head -1)")
if dc exec -T postgres sh -c 'psql -w -h "$(hostname -i)" -U postgres -d cimigrains -c "SELECT 1"' >/dev/null 2>&1; then
  fail "postgres admits a network client without a password"
fi
step "postgres refuses a network client without a password (scram-sha-256)"
step "silo 1 on 127.0.0.1:$p1; creating a Machine as demo"
hdrs=$(mktemp); body=$(mktemp)
code=$(curl -sS -o "$body" -D "$hdrs" -w '%{http_code}' -u "demo:$demo_pw" -H 'Content-Type: application/json' \
  -d "{\"name\":\"compose-vm\",\"machineTemplate\":{\"href\":\"http://127.0.0.1:$p1/cimi/machineTemplates/demo\"}}" \
  "http://127.0.0.1:$p1/cimi/machines")
[ "$code" = 202 ] || fail "POST /cimi/machines answered $code: $(cat "$body")"
location=$(tr -d '\r' <"$hdrs" | sed -n 's/^[Ll]ocation: *//p')
path=${location#http://127.0.0.1:$p1}
rm -f "$hdrs" "$body"
step "created $location (202)"

step "scale to 3 silos"
timed dc up -d --no-recreate --scale silo=3
timed wait_healthy 3
timed wait_active 3
step "membership table: $(psql_q "SELECT string_agg(address||':'||port||' status '||status, ', ' ORDER BY address) FROM orleansmembershiptable WHERE deploymentid='verify' AND status=3")"
for id in $(silo_ids); do
  p=$(silo_port "$id"); [ "$p" = "$p1" ] && continue
  got=$(curl -sS -u "demo:$demo_pw" -w ' %{http_code}' "http://127.0.0.1:$p$path")
  case "$got" in *'"compose-vm"'*' 200') step "read via silo on 127.0.0.1:$p: 200, name compose-vm" ;;
                 *) fail "GET $path via port $p: $got" ;; esac
done

step "scale down to 1 silo"
timed dc up -d --no-recreate --scale silo=1
timed wait_active 1
left=$(silo_port "$(silo_ids | head -1)")
got=$(curl -sS -u "demo:$demo_pw" -w ' %{http_code}' "http://127.0.0.1:$left$path")
case "$got" in *'"compose-vm"'*' 200') step "after scale-down, 127.0.0.1:$left serves $path: 200" ;;
               *) fail "after scale-down: $got" ;; esac
step "membership rows by status: $(psql_q "SELECT string_agg(status||'x'||n, ' ') FROM (SELECT status, count(*) n FROM orleansmembershiptable WHERE deploymentid='verify' GROUP BY status ORDER BY status) s") (3=active, 6=dead)"

step "down -v"
timed dc down -v --remove-orphans
trap - EXIT; rm -f "$env_file"
left_over=$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"; docker volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"; docker network ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
[ -z "$left_over" ] || fail "left over: $left_over"
step "PASS: nothing of project $COMPOSE_PROJECT_NAME is left"
