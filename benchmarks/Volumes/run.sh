#!/usr/bin/env bash
# Runs bench.py against a private PostgreSQL, a Release gateway and one agent with a volume pool in the
# run's work folder (on the same file system the host-side figures are taken on), then stops them all.
# With `vm`, that agent runs the QEMU driver too and exports its Volumes over NBD on 127.0.0.1, and a second
# agent (QEMU only, a pool too small for any bench Volume) is the "other host" a VM attaches them from.
# Usage: benchmarks/Volumes/run.sh [N] [ROUNDS] [vm]
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/docker.sh ensure
vm=${3:-}
if [ "$vm" = vm ]; then scripts/qemu.sh ensure; fi
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary
. benchmarks/bench-lib.sh
bench_begin cimi-bench-volumes
# On exit, also after a failure: the agent's containers, mounts and loop devices go before the work folder.
volumes_down() {
  local rc=$?
  set +e
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  bench_remove_containers bench-volumes
  # VMs and NBD export daemons outlive their agent by design (they are adopted by the next one): the run's own
  # are every process whose command line names a path of its work folder.
  pkill -KILL -f -- "$work/" && sleep 0.5
  bench_release_mounts "$work"
  bench_remove_docker_leftovers bench-volumes
  bench_stop_all "$rc"
}
trap volumes_down EXIT
pg=$(free_port 57432); http=$(free_port 18280); silo=$(free_port 21211); gw=$(free_port 31100); agent=$(free_port 18281)
conn=$(CIMI_PG_FSYNC=on scripts/postgres.sh start "$work/pg" "$pg" cimigrains)
bench_gateway CIMI_DEMO_VM_IMAGE=${vm:+qemu:demo-vm}
mkdir -p "$work/pool"
qemu_env=()
vm_hosts=""
if [ "$vm" = vm ]; then
  images=${CIMI_BENCH_IMAGES:-$PWD/.data/bench-images}
  scripts/demo-vm.sh "$images" >&2
  qemu_env=(CIMI_AGENT_QEMU_IMAGES="$images" CIMI_AGENT_QEMU_DIR="$work/qemu" CIMI_AGENT_NBD_HOST=127.0.0.1)
  vm_hosts=bench-volumes,bench-volumes-b
fi
env CIMI_AGENT_HOST_ID=bench-volumes CIMI_AGENT_CONTROLLERS="http://127.0.0.1:$agent" CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=16 \
  CIMI_AGENT_STATE_DIR="$work/agent" CIMI_AGENT_VOLUME_POOL="$work/pool" "${qemu_env[@]}" \
  "${bench_log_env[@]}" dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll >"$work/agent.log" 2>&1 & pids+=($!)
if [ "$vm" = vm ]; then
  # The other host: VMs only (its Docker endpoint is a socket that does not exist, so the driver is unavailable
  # there and the bench's container lands on the pool's host), a 1 MiB pool (every bench Volume is made on the
  # first host), its own uids for its VMs.
  mkdir -p "$work/pool-b"
  env CIMI_AGENT_HOST_ID=bench-volumes-b CIMI_AGENT_CONTROLLERS="http://127.0.0.1:$agent" CIMI_AGENT_SECRET=bench CIMI_AGENT_CPU=16 \
    CIMI_AGENT_STATE_DIR="$work/agent-b" CIMI_AGENT_VOLUME_POOL="$work/pool-b" CIMI_AGENT_VOLUME_POOL_KIB=1024 \
    CIMI_AGENT_DOCKER=unix://$work/no-docker.sock CIMI_AGENT_QEMU_IMAGES="$images" CIMI_AGENT_QEMU_DIR="$work/qemu-b" \
    CIMI_AGENT_QEMU_UID_BASE=210000 \
    "${bench_log_env[@]}" dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll >"$work/agent-b.log" 2>&1 & pids+=($!)
  until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo-vm" >/dev/null; do sleep 0.2; done
fi
until curl -sf -u demo:demo "http://127.0.0.1:$http/cimi/machineTemplates/demo" >/dev/null; do sleep 0.2; done
sleep 2  # let the agents register before the first placement (start-up only, not measured)
python3 benchmarks/Volumes/bench.py "http://127.0.0.1:$http" demo demo "$work/pool" "${1:-10}" "${2:-3}" "$vm_hosts"
