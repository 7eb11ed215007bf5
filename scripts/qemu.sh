#!/usr/bin/env bash
# QEMU for CimiGrains hosts and tests, idempotently:
#   scripts/qemu.sh ensure   install Debian's qemu-system-x86 (qemu-system-x86_64), qemu-utils
#                            (qemu-img) and genisoimage (the NoCloud seed) when any is missing.
#                            Prints nothing when all are present; exits non-zero, saying why, when
#                            they cannot be installed (callers decide whether that is fatal).
#   scripts/qemu.sh check    exit 0 when all are present, 1 (naming what is missing) otherwise.
# Needs root only when something must be installed. A guest needs no KVM: the driver falls back to TCG.
set -euo pipefail

# package:command pairs. A command, not the dpkg status, is what the agent needs, so a QEMU built
# from source on PATH counts as present.
required=(qemu-system-x86:qemu-system-x86_64 qemu-utils:qemu-img genisoimage:genisoimage)

missing_packages() {
  local pair
  for pair in "${required[@]}"; do
    command -v "${pair#*:}" >/dev/null 2>&1 || echo "${pair%%:*}"
  done
}

quiet() { "$@" >/dev/null 2>&1; }

ensure_installed() {
  local missing
  missing=$(missing_packages | tr '\n' ' ')
  [ -n "${missing// /}" ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "qemu.sh: missing $missing; run as root to install them (apt-get install -y $missing)" >&2
    return 1
  fi
  # --no-install-recommends: the recommends pull in a desktop's worth of GUI and audio libraries.
  # An update only when the first attempt fails keeps a machine with current lists offline-friendly.
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive quiet apt-get install -y --no-install-recommends $missing; then
    quiet apt-get update || true
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive quiet apt-get install -y --no-install-recommends $missing; then
      echo "qemu.sh: could not install $missing with apt-get" >&2
      return 1
    fi
  fi
  missing=$(missing_packages | tr '\n' ' ')
  if [ -n "${missing// /}" ]; then
    echo "qemu.sh: still missing after installation: $missing" >&2
    return 1
  fi
}

case "${1:-ensure}" in
  ensure) ensure_installed ;;
  check)
    missing=$(missing_packages | tr '\n' ' ')
    if [ -n "${missing// /}" ]; then echo "qemu.sh: missing $missing" >&2; exit 1; fi
    ;;
  *) echo "usage: $0 [ensure|check]" >&2; exit 2 ;;
esac
