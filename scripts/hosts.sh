#!/usr/bin/env bash
# Test hosts on one machine (docs/NETWORKS.md "Test hosts on one machine"): each host is a network
# namespace with its own underlay address, joined by an underlay this script makes, so the network plane's
# VXLAN between hosts runs for real on one kernel. Needs root. Every command is idempotent.
#
#   scripts/hosts.sh up N          make hosts 1..N (more later: up with a larger N; nothing is remade)
#   scripts/hosts.sh down          stop the rig's agents and remove every host, the underlay and the rig's files
#   scripts/hosts.sh status        hosts, addresses, whether each host's agent runs
#   scripts/hosts.sh exec I CMD…   run CMD in host I's network namespace
#   scripts/hosts.sh agent I       start host I's agent in its namespace (in the background; log and pid under
#                                  $CIMI_RIG_DIR/hostI); the silos' agent API must listen on 10.251.0.1
#                                  (CIMI_AGENT_ADDRESS=10.251.0.1 or 0.0.0.0) and CIMI_AGENT_SECRET be set
#   scripts/hosts.sh agent-stop I  stop host I's agent (by its pid file)
#
# Layout: the underlay is a bridge "sw" inside a namespace of its own (cimi-underlay); the machine itself
# reaches it by the veth cg-underlay, address 10.251.0.1/24 (where the silos listen); host I is namespace
# cimi-hostI with a veth "underlay", address 10.251.0.(10+I)/24, and lo up. No host has a default route:
# traffic stays on the underlay. The bridge is not in the machine's own namespace because Docker's FORWARD
# policy there (DROP, with br_netfilter on) would drop the frames between hosts; and the machine's end is
# not named cimi… because the Docker driver's host guard drops what enters the machine from cimi+ devices.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

switch=cimi-underlay
uplink=cg-underlay
prefix=cimi-host
rig_dir=${CIMI_RIG_DIR:-$root/.data/hosts}

die() { echo "hosts.sh: $*" >&2; exit 1; }
quiet() { "$@" >/dev/null 2>&1; }
need_root() { [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces and devices)"; }
has_ns() { [ -e "/run/netns/$1" ]; }
host_ns() { echo "$prefix$1"; }
address() { echo "10.251.0.$((10 + $1))"; }
check_index() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 200 ] || die "'$1' is not a host number (1–200)"; }

ensure_underlay() {
  has_ns "$switch" || ip netns add "$switch"
  quiet ip -n "$switch" link show sw || ip -n "$switch" link add sw type bridge
  ip -n "$switch" link set sw up
  ip -n "$switch" link set lo up
  if ! quiet ip link show "$uplink"; then
    ip link add "$uplink" type veth peer name machine netns "$switch"
  fi
  ip -n "$switch" link set machine master sw up
  ip addr replace 10.251.0.1/24 dev "$uplink"
  ip link set "$uplink" up
}

ensure_host() {
  local i=$1 ns
  ns=$(host_ns "$i")
  has_ns "$ns" || ip netns add "$ns"
  if ! quiet ip -n "$ns" link show underlay; then
    # Made in place: one end in the host, one on the underlay's bridge (no name ever appears in the machine's namespace).
    ip link add underlay netns "$ns" type veth peer name "h$i" netns "$switch"
  fi
  ip -n "$switch" link set "h$i" master sw up
  ip -n "$ns" addr replace "$(address "$i")/24" dev underlay
  ip -n "$ns" link set underlay up
  ip -n "$ns" link set lo up
}

hosts() { for f in /run/netns/"$prefix"*; do [ -e "$f" ] && basename "$f" | sed "s/^$prefix//"; done | sort -n; }

agent_pid() { local f="$rig_dir/host$1/agent.pid"; [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }

start_agent() {
  local i=$1 ns dir dll pid
  ns=$(host_ns "$i")
  has_ns "$ns" || die "host $i is not up (scripts/hosts.sh up $i)"
  if pid=$(agent_pid "$i"); then echo "host $i: agent already running (pid $pid)"; return; fi
  [ -n "${CIMI_AGENT_SECRET:-}" ] || die "set CIMI_AGENT_SECRET (the silos' enrollment secret)"
  dll=${CIMI_RIG_AGENT_DLL:-$root/src/Agents/bin/Release/net10.0/CimiGrains.Agents.dll}
  [ -f "$dll" ] || die "no agent at $dll (dotnet build -c Release, or set CIMI_RIG_AGENT_DLL)"
  dir="$rig_dir/host$i"
  mkdir -p "$dir/state"
  # The host's settings (docs/AGENTS.md); anything else the caller exports (CIMI_AGENT_QEMU_…, …) passes through.
  # PUBLIC Networks masquerade onto the underlay: the rig has no way out, by design.
  CIMI_AGENT_HOST_ID=${CIMI_RIG_HOST_ID_PREFIX:-rig-host}$i \
    CIMI_AGENT_CONTROLLERS=${CIMI_RIG_CONTROLLERS:-http://10.251.0.1:${CIMI_AGENT_PORT:-8081}} \
    CIMI_AGENT_STATE_DIR="$dir/state" \
    CIMI_AGENT_UNDERLAY_ADDRESS="$(address "$i")" CIMI_AGENT_UNDERLAY_DEVICE=underlay CIMI_AGENT_EXTERNAL_DEVICE=underlay \
    setsid ip netns exec "$ns" dotnet "$dll" >"$dir/agent.log" 2>&1 < /dev/null &
  echo $! > "$dir/agent.pid"
  echo "host $i: agent started (pid $!, log $dir/agent.log)"
}

stop_agent() {
  local i=$1 pid
  if pid=$(agent_pid "$i"); then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "host $i: agent stopped"
  fi
  rm -f "$rig_dir/host$i/agent.pid"
}

case "${1:-}" in
  up)
    need_root
    n=${2:-2}; check_index "$n"
    ensure_underlay
    for i in $(seq 1 "$n"); do ensure_host "$i"; done
    echo "$n hosts up: $(for i in $(seq 1 "$n"); do printf '%s=%s ' "$(host_ns "$i")" "$(address "$i")"; done)"
    ;;
  down)
    need_root
    for i in $(hosts); do stop_agent "$i"; done
    for i in $(hosts); do ip netns del "$(host_ns "$i")"; done
    if quiet ip link show "$uplink"; then ip link del "$uplink"; fi
    if has_ns "$switch"; then ip netns del "$switch"; fi
    rm -rf "$rig_dir"
    echo "rig removed"
    ;;
  status)
    has_ns "$switch" && echo "underlay: namespace $switch, machine at 10.251.0.1 ($uplink)" || echo "underlay: down"
    for i in $(hosts); do
      if pid=$(agent_pid "$i"); then agent="agent pid $pid"; else agent="no agent"; fi
      echo "host $i: namespace $(host_ns "$i"), $(address "$i"), $agent"
    done
    ;;
  exec)
    need_root
    [ $# -ge 3 ] || die "usage: $0 exec I CMD…"
    check_index "$2"; has_ns "$(host_ns "$2")" || die "host $2 is not up"
    ns=$(host_ns "$2"); shift 2
    exec ip netns exec "$ns" "$@"
    ;;
  agent) need_root; check_index "${2:-}"; start_agent "$2" ;;
  agent-stop) need_root; check_index "${2:-}"; stop_agent "$2" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
