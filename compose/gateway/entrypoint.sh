#!/bin/sh
# Every silo container advertises its own bridge address, so its peers (found through the
# PostgreSQL membership table) can reach it; the HTTP API listens on all of the container's addresses.
set -eu
if [ -z "${CIMI_ADVERTISED_ADDRESS:-}" ]; then
  for a in $(hostname -i); do
    case "$a" in *.*.*.*) CIMI_ADVERTISED_ADDRESS=$a; break ;; esac   # the first IPv4 address
  done
fi
: "${CIMI_ADVERTISED_ADDRESS:?cannot determine the container address (hostname -i)}"
export CIMI_ADVERTISED_ADDRESS
export CIMI_HTTP_ADDRESS="${CIMI_HTTP_ADDRESS:-0.0.0.0}"
echo "cimi-gateway: advertising $CIMI_ADVERTISED_ADDRESS (silo ${CIMI_SILO_PORT:-11111}), HTTP on $CIMI_HTTP_ADDRESS:${CIMI_HTTP_PORT:-8080}" >&2
exec /app/CimiGrains.Gateway "$@"
