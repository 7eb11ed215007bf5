# Sourced by the benchmark scripts: a private work folder and the processes a run starts, all stopped
# and removed on exit (BENCH_KEEP=1 keeps the folder), and free loopback ports.
# Usage: bench_begin PREFIX   then append each started process's pid to the array `pids`.

bench_begin() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  chmod 755 "$work"
  pids=()
  trap bench_stop_all EXIT
  trap 'exit 130' INT TERM
}

bench_stop_all() {
  local rc=$?
  # Children by their own pids, politely first: the silo marks itself dead in the membership table.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  scripts/postgres.sh stop "$work/pg" || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  exit "$rc"
}

# A port nobody on this machine is listening on, starting from a base (several runs may coexist).
free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
