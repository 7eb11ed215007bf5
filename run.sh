#!/usr/bin/env bash
# Runs a local CimiGrains cloud in the foreground: PostgreSQL (under .data/, unless CIMI_POSTGRES is
# set), the Docker engine and demo image, QEMU and the demo VM image, one Gateway (silo + CIMI HTTP
# API) and one host agent running both drivers.
# Ctrl-C or SIGTERM stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
data="$root/.data"
mkdir -p "$data"
chmod 755 "$data"

command -v dotnet >/dev/null || { echo "The .NET 10 SDK is required (dotnet not found)." >&2; exit 1; }

pids=()
started_postgres=""
stopping=""
stop_all() {
  [ -n "$stopping" ] && return
  stopping=1
  echo "Stopping CimiGrains..." >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$started_postgres" ]; then scripts/postgres.sh stop "$data/postgres"; fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

# Secrets that are generated once and kept, so a restart keeps the same logins.
secret() {
  local file="$data/$1"
  [ -s "$file" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$file")
  cat "$file"
}
export CIMI_DEMO_PASSWORD=${CIMI_DEMO_PASSWORD:-$(secret demo-password)}
export CIMI_ADMIN_PASSWORD=${CIMI_ADMIN_PASSWORD:-$(secret admin-password)}
export CIMI_AGENT_SECRET=${CIMI_AGENT_SECRET:-$(secret agent-secret)}
# The key that seals Credential passwords and user-data in the database (docs/SECURITY.md): 32 random
# bytes, made once and kept in .data/, never in the database.
[ -s "$data/secret-key" ] || (umask 077; head -c 32 /dev/urandom | base64 > "$data/secret-key")
[ -n "${CIMI_SECRET_KEY:-}" ] || export CIMI_SECRET_KEY_FILE=${CIMI_SECRET_KEY_FILE:-$data/secret-key}
export CIMI_HTTP_PORT=${CIMI_HTTP_PORT:-8080}
export CIMI_AGENT_PORT=${CIMI_AGENT_PORT:-8081}

# A port another program holds would make the readiness check below succeed against that program.
# The silo's own ports too: a second cloud on this machine needs CIMI_SILO_PORT and CIMI_GATEWAY_PORT.
for port in "$CIMI_HTTP_PORT" "$CIMI_AGENT_PORT" "${CIMI_SILO_PORT:-11111}" "${CIMI_GATEWAY_PORT:-30000}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use; set CIMI_HTTP_PORT / CIMI_AGENT_PORT / CIMI_SILO_PORT / CIMI_GATEWAY_PORT to free ports." >&2
    exit 1
  fi
done

if [ -z "${CIMI_POSTGRES:-}" ]; then
  started_postgres=1
  CIMI_POSTGRES=$(scripts/postgres.sh start "$data/postgres" "${CIMI_PG_PORT:-55432}" cimigrains)
  export CIMI_POSTGRES
fi

if [ -x scripts/docker.sh ]; then scripts/docker.sh ensure; fi

# The host's network plane (CIMI Networks: a bridge per Network, VXLAN between hosts, nftables rules;
# docs/NETWORKS.md) needs nft and iproute2. One host here, so its VXLAN endpoint is loopback: nothing
# leaves the machine. Without the tools the cloud still runs, without Networks.
if scripts/network.sh ensure; then
  export CIMI_AGENT_UNDERLAY_ADDRESS=${CIMI_AGENT_UNDERLAY_ADDRESS-127.0.0.1}
else
  echo "The network plane's tools are missing (see above): continuing without CIMI Networks." >&2
fi

# QEMU and the demo VM image (scripts/demo-vm.sh: a Debian cloud kernel and busybox, built once into
# the agent's QEMU image store, where the location qemu:demo-vm finds it). Without them the cloud
# still runs, with Docker Machines only, and offers no demo VM.
# Each VM runs as an unprivileged uid of its own that must reach its files by path, so the QEMU
# directories go under .data/ only when every directory above it lets others pass (o+x); a checkout
# under a private home directory keeps them in /var/lib/cimigrains instead (one place per checkout).
traversable() {
  local d=$1
  while [ "$d" != "/" ]; do
    [ $(( 0$(stat -c %a "$d") & 1 )) -ne 0 ] || return 1
    d=$(dirname "$d")
  done
}
qemu_root=$data
if ! traversable "$data"; then
  qemu_root=/var/lib/cimigrains/run-$(printf '%s' "$root" | sha256sum | head -c 12)
  mkdir -p "$qemu_root" && chmod 711 /var/lib/cimigrains "$qemu_root"
fi
qemu_images=${CIMI_AGENT_QEMU_IMAGES:-$qemu_root/images}
export CIMI_AGENT_QEMU_DIR=${CIMI_AGENT_QEMU_DIR:-$qemu_root/qemu}
# The volume pool too: a VM opens an attached Volume's file as its own uid (docs/VOLUMES.md).
export CIMI_AGENT_VOLUME_POOL=${CIMI_AGENT_VOLUME_POOL:-$qemu_root/volumes}
mkdir -p "$CIMI_AGENT_VOLUME_POOL" && chmod 711 "$CIMI_AGENT_VOLUME_POOL"
demo_vm=""
if scripts/qemu.sh ensure && CIMI_DEMO_VM_DEBS=${CIMI_DEMO_VM_DEBS:-$data/demo-vm-debs} scripts/demo-vm.sh "$qemu_images" >/dev/null; then
  demo_vm=1
else
  echo "QEMU or the demo VM image is not available (see above): continuing with Docker Machines only." >&2
  [ -n "${CIMI_DEMO_VM_IMAGE+set}" ] || export CIMI_DEMO_VM_IMAGE=""
fi

echo "Building..." >&2
dotnet build CimiGrains.sln -c Release -v quiet -nologo -clp:NoSummary >&2

dotnet src/Gateway/bin/Release/net10.0/CimiGrains.Gateway.dll &
pids+=($!)

base="http://127.0.0.1:$CIMI_HTTP_PORT"
for _ in $(seq 1 120); do
  curl -sf "$base/health/ready" >/dev/null 2>&1 && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "The gateway exited; see its output above." >&2; exit 1; }
  sleep 0.5
done

# One host agent for this machine (docs/AGENTS.md describes the rest of its settings). Its host id is
# made once per .data/ and kept: an agent removes the containers of its host id that its cluster does
# not know, so two clouds sharing this Docker engine must not share a host id.
[ -s "$data/agent-host-id" ] || echo "local-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$data/agent-host-id"
CIMI_AGENT_STATE_DIR=${CIMI_AGENT_STATE_DIR:-$data/agent} CIMI_AGENT_QEMU_IMAGES=$qemu_images \
  CIMI_AGENT_HOST_ID=${CIMI_AGENT_HOST_ID:-$(cat "$data/agent-host-id")} CIMI_AGENT_CONTROLLERS="http://127.0.0.1:$CIMI_AGENT_PORT" \
  dotnet src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll &
pids+=($!)

cat >&2 <<INFO

CimiGrains is running.
  CloudEntryPoint: $base/cimi/cloudEntryPoint
  Demo tenant:     user 'demo', password '$CIMI_DEMO_PASSWORD'
  Operator:        user 'admin', password '$CIMI_ADMIN_PASSWORD' (POST $base/admin/tenants)
  Try:             curl -u demo:$CIMI_DEMO_PASSWORD $base/cimi/cloudEntryPoint
INFO
if [ -n "$demo_vm" ] && [ -n "${CIMI_DEMO_VM_IMAGE-x}" ]; then
  cat >&2 <<INFO
  Demo VM:         machineTemplates/demo-vm (a QEMU virtual machine; image in $qemu_images/demo-vm)
INFO
fi
cat >&2 <<INFO
Press Ctrl-C to stop.
INFO

# Stay in the foreground until a child exits or a signal arrives.
wait -n "${pids[@]}" || true
