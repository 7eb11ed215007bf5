#!/bin/bash
# Initialises the data volume on first start, then runs PostgreSQL in the foreground (as postgres).
#   POSTGRES_PASSWORD  password of role postgres for TCP clients (scram-sha-256); when empty, TCP
#                      clients are trusted (acceptable only on a private compose network)
#   POSTGRES_DB        database to create on first start (default cimigrains)
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
db=${POSTGRES_DB:-cimigrains}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  auth=scram-sha-256; pwopt=()
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then
    pwfile=$(mktemp); printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"; pwopt=(--pwfile="$pwfile")
  else
    echo "cimi-postgres: POSTGRES_PASSWORD is empty: TCP clients are trusted" >&2; auth=trust
  fi
  initdb -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host="$auth" "${pwopt[@]}" >/dev/null
  [ -n "${pwfile:-}" ] && rm -f "$pwfile"
  # initdb only admits loopback over TCP; the silos come from the compose network.
  printf 'host all all 0.0.0.0/0 %s\nhost all all ::/0 %s\n' "$auth" "$auth" >>"$PGDATA/pg_hba.conf"
  echo "CREATE DATABASE \"$db\"" | postgres --single -D "$PGDATA" -j postgres >/dev/null
  echo "cimi-postgres: initialised $PGDATA with database $db" >&2
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c max_connections="${POSTGRES_MAX_CONNECTIONS:-300}" "$@"
