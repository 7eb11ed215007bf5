#!/usr/bin/env bash
# What the host's network plane (src/Agents/Networks, docs/NETWORKS.md) and its tests need, idempotently:
#   scripts/network.sh ensure   install Debian's nftables (nft), iproute2 (ip, bridge), iputils-ping (the
#                               tests' ping) and iperf3 (benchmarks) when any is missing. Prints nothing
#                               when all are present; exits non-zero, saying why, when they cannot be
#                               installed (callers decide whether that is fatal).
#   scripts/network.sh check    exit 0 when all are present, 1 (naming what is missing) otherwise.
# Needs root only when something must be installed. The kernel parts (bridge, VXLAN, veth, tun/tap, network
# namespaces, nf_tables) are the kernel's; `check` also says when one of them is missing.
set -euo pipefail

# package:command pairs: the command, not the dpkg status, is what the plane runs.
required=(nftables:nft iproute2:ip iproute2:bridge iputils-ping:ping iperf3:iperf3 util-linux:nsenter)

quiet() { "$@" >/dev/null 2>&1; }

missing_packages() {
  local pair
  for pair in "${required[@]}"; do
    command -v "${pair#*:}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "${pair#*:}" >/dev/null 2>&1 || echo "${pair%%:*}"
  done | sort -u
}

ensure_installed() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -n "${missing// /}" ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "network.sh: missing $missing; run as root to install them (apt-get install -y $missing)" >&2
    return 1
  fi
  # An update only when the first attempt fails keeps a machine with current lists offline-friendly.
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive quiet apt-get install -y --no-install-recommends $missing; then
    quiet apt-get update || true
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive quiet apt-get install -y --no-install-recommends $missing; then
      echo "network.sh: could not install $missing with apt-get" >&2
      return 1
    fi
  fi
  missing=$(missing_packages | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then
    echo "network.sh: still missing after installation: $missing" >&2
    return 1
  fi
}

# The kernel's parts, tried in a throwaway namespace (nothing is left behind, and the host's own namespace
# is never touched).
kernel_check() {
  local ns="cimi-netcheck-$$" failed=""
  quiet ip netns add "$ns" || { echo "network.sh: cannot make a network namespace (root and CONFIG_NET_NS needed)" >&2; return 1; }
  quiet ip -n "$ns" link add b0 type bridge || failed+=" bridge"
  quiet ip -n "$ns" link add v0 type veth peer name v1 || failed+=" veth"
  quiet ip -n "$ns" link add x0 type vxlan id 42 local 127.0.0.1 dstport 4789 nolearning || failed+=" vxlan"
  quiet ip -n "$ns" tuntap add dev t0 mode tap || failed+=" tun/tap"
  quiet ip netns exec "$ns" nft add table bridge probe || failed+=" nf_tables(bridge)"
  printf 'table ip probe_nat {\n chain p {\n  type nat hook postrouting priority 100;\n  masquerade\n }\n}\n' |
    quiet ip netns exec "$ns" nft -f - || failed+=" nf_tables(nat)"
  ip netns del "$ns"
  if [ -n "$failed" ]; then echo "network.sh: the kernel lacks:$failed" >&2; return 1; fi
}

case "${1:-ensure}" in
  ensure) ensure_installed ;;
  check)
    missing=$(missing_packages | tr '\n' ' ')
    if [ -n "${missing// /}" ]; then echo "network.sh: missing $missing" >&2; exit 1; fi
    if [ "$(id -u)" -eq 0 ]; then kernel_check; fi
    ;;
  *) echo "usage: $0 [ensure|check]" >&2; exit 2 ;;
esac
