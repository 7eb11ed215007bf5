#!/usr/bin/env bash
# Local PostgreSQL for run.sh and test.sh: a private cluster under a data folder, on loopback only.
# Usage: scripts/postgres.sh start DATA_DIR PORT DBNAME   (prints the Npgsql connection string)
#        scripts/postgres.sh stop DATA_DIR
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?start|stop}; data=$(realpath -m "${2:?data dir}")

as_postgres() {
  # initdb and postgres refuse to run as root; on a developer's own account they run as that user.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

# A postmaster runs on the data dir: its pid file names a live process that is not a zombie (after a
# kill -9, an init that reaps late leaves a zombie that pg_ctl status still counts as running, and
# the pid may since belong to another program).
postmaster_running() {
  local pid
  [ -f "$data/postmaster.pid" ] || return 1
  pid=$(head -1 "$data/postmaster.pid")
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  [ "$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)" != Z ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q postgres || return 1   # the pid was reused
  as_postgres "$PG_BIN/pg_ctl -D '$data' status" >/dev/null 2>&1
}

case "$cmd" in
  start)
    port=${3:?port}; db=${4:-cimigrains}
    if [ ! -x "$PG_BIN/initdb" ]; then
      echo "PostgreSQL 15 is not installed; installing it from Debian's packages" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >&2
    fi
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data" && chmod 700 "$data"
    if [ ! -f "$data/PG_VERSION" ]; then
      as_postgres "$PG_BIN/initdb -D '$data' -U postgres --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
    fi
    if ! postmaster_running; then
      # After a kill -9 the lock files name a pid that may since belong to another process, which
      # makes PostgreSQL refuse to start. No postmaster runs on this data dir, so they are stale.
      rm -f "$data/postmaster.pid" "$data"/.s.PGSQL.*.lock
      # The killed server's backends notice its death on their own within moments; until they
      # have, its shared memory is still attached and a new server refuses to start. So retry.
      for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if as_postgres "$PG_BIN/pg_ctl -D '$data' -l '$data/postgres.log' -w -t 60 \
          -o \"-c listen_addresses=127.0.0.1 -p $port -k '$data' -c max_connections=300 -c fsync=${CIMI_PG_FSYNC:-on}\" start" >/dev/null; then
          break
        fi
        [ "$attempt" = 10 ] && { echo "PostgreSQL did not start; see $data/postgres.log" >&2; exit 1; }
        echo "PostgreSQL did not start yet (attempt $attempt); retrying" >&2
        rm -f "$data/postmaster.pid"
        sleep 3
      done
    fi
    if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" postgres | grep -q 1; then
      "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db"
    fi
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=$db;Maximum Pool Size=100"
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ]; then as_postgres "$PG_BIN/pg_ctl -D '$data' -m fast -w stop" >/dev/null 2>&1 || true; fi
    ;;
  *) echo "usage: $0 start DATA_DIR PORT [DB] | stop DATA_DIR" >&2; exit 2 ;;
esac
