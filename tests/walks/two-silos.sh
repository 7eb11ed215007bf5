#!/usr/bin/env bash
# Starts one part of a two-silo cloud from this checkout's Release build and the .data that ./run.sh
# made (its passwords, keys and host id): PostgreSQL, silo a (CIMI 8080, agent API 8081), silo b
# (8090, 8091), and one agent that lists both silos. Used by kills.py; see README.md.
#   tests/walks/two-silos.sh pg|a|b|agent|stop   (log /tmp/cimi-walk-<part>.log, pid /tmp/cimi-walk-<part>.pid)
set -euo pipefail
co=$(cd "$(dirname "$0")/../.." && pwd); part=$1; data=${CIMI_WALK_DATA:-$co/.data}
export CIMI_DEMO_PASSWORD=$(cat $data/demo-password) CIMI_ADMIN_PASSWORD=$(cat $data/admin-password) CIMI_AGENT_SECRET=$(cat $data/agent-secret)
export CIMI_SECRET_KEY_FILE=$data/secret-key
export CIMI_POSTGRES="Host=127.0.0.1;Port=55432;Username=postgres;Database=cimigrains;Maximum Pool Size=100"
cd $co
case $part in
  pg) scripts/postgres.sh start $data/postgres 55432 cimigrains ;;
  a|b)
    if [ $part = a ]; then h=8080 ag=8081 s=11111 g=30000; else h=8090 ag=8091 s=11112 g=30001; fi
    CIMI_HTTP_PORT=$h CIMI_AGENT_PORT=$ag CIMI_SILO_PORT=$s CIMI_GATEWAY_PORT=$g \
      setsid dotnet src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll >>/tmp/cimi-walk-$part.log 2>&1 &
    echo $! > /tmp/cimi-walk-$part.pid
    for _ in $(seq 1 120); do curl -sf http://127.0.0.1:$h/health/ready >/dev/null 2>&1 && break; sleep 0.5; done ;;
  agent)
    CIMI_AGENT_STATE_DIR=$data/agent CIMI_AGENT_QEMU_IMAGES=$data/images CIMI_AGENT_QEMU_DIR=$data/qemu \
    CIMI_AGENT_VOLUME_POOL=$data/volumes CIMI_AGENT_UNDERLAY_ADDRESS=127.0.0.1 \
    CIMI_AGENT_HOST_ID=$(cat $data/agent-host-id) CIMI_AGENT_CONTROLLERS="http://127.0.0.1:8081,http://127.0.0.1:8091" \
      setsid dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll >>/tmp/cimi-walk-agent.log 2>&1 &
    echo $! > /tmp/cimi-walk-agent.pid ;;
  stop)
    for p in agent a b; do [ -f /tmp/cimi-walk-$p.pid ] && kill -TERM "$(cat /tmp/cimi-walk-$p.pid)" 2>/dev/null || true; done
    sleep 5
    scripts/postgres.sh stop $data/postgres ;;
esac
