#!/usr/bin/env bash
# Docker for CimiGrains hosts and tests, idempotently:
#   scripts/docker.sh ensure   install docker.io if missing, start dockerd if not running, build the
#                              demo image cimigrains/demo:latest if missing. Prints nothing on success.
#   scripts/docker.sh image    rebuild the demo image even if it exists.
#   scripts/docker.sh clean    remove every container labelled cimigrains.machine (all hosts).
# No image registry is reachable here, so the demo image is a rootfs holding the host's static busybox,
# imported with `docker import`. The engine is Debian's 20.10 (API 1.41); newer clients must be told.
set -euo pipefail
export DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"
IMAGE="${CIMI_DEMO_IMAGE_REF:-cimigrains/demo:latest}"
LOG_DIR="${CIMI_DOCKER_LOG_DIR:-/var/log}"

quiet() { "$@" >/dev/null 2>&1; }

ensure_installed() {
  if ! command -v dockerd >/dev/null 2>&1; then
    quiet apt-get update
    DEBIAN_FRONTEND=noninteractive quiet apt-get install -y docker.io
  fi
  if [ ! -x /bin/busybox ] || ! file_is_static /bin/busybox; then
    if ! dpkg -s busybox-static >/dev/null 2>&1; then
      quiet apt-get update || true
      DEBIAN_FRONTEND=noninteractive quiet apt-get install -y busybox-static
    fi
  fi
}

# busybox-static installs /bin/busybox; the dynamic busybox package would not run in an empty rootfs.
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

ensure_running() {
  if quiet docker info; then return 0; fi
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    # Its own session: an engine started from a test run or a CI job must outlive that job's process
    # group (a job runner that ends the group would otherwise stop the engine under every other user).
    setsid nohup dockerd >"$LOG_DIR/cimigrains-dockerd.log" 2>&1 &
  fi
  for _ in $(seq 1 150); do
    if quiet docker info; then return 0; fi
    sleep 0.2
  done
  echo "docker.sh: dockerd did not become ready within 30 s; see $LOG_DIR/cimigrains-dockerd.log" >&2
  exit 1
}

build_image() {
  root="$(mktemp -d)"
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/etc" "$root/tmp" "$root/run/cimi" "$root/var/log" "$root/proc" "$root/sys" "$root/dev"
  cp /bin/busybox "$root/bin/busybox"
  for tool in sh ls cat echo sleep date mkdir rm id hostname ps kill wc env head tail grep sed true false base64 touch; do
    ln -s busybox "$root/bin/$tool"
  done
  cat >"$root/sbin/cimi-init" <<'INIT'
#!/bin/sh
# The demo workload. The agent copies what CIMI gave the Machine into /run/cimi before the first start:
# admin-user, admin-password, admin-key (a public key) and user-data. This init records what it found
# (never the password itself), runs user-data if it is a script, and stays up until SIGTERM.
log=/var/log/cimi-init.log
echo "$(date -u) booted as $(hostname)" >>"$log"
[ -f /run/cimi/admin-user ] && echo "admin user: $(cat /run/cimi/admin-user)" >>"$log"
[ -f /run/cimi/admin-password ] && echo "admin password: given" >>"$log"
[ -f /run/cimi/admin-key ] && echo "admin key: given" >>"$log"
if [ -f /run/cimi/user-data ]; then
  echo "user-data: $(wc -c </run/cimi/user-data) bytes" >>"$log"
  case "$(head -c 2 /run/cimi/user-data)" in '#!') sh /run/cimi/user-data >>"$log" 2>&1 ;; esac
fi
echo ready >/run/cimi/state
trap 'echo "$(date -u) SIGTERM: shutting down" >>"$log"; echo stopped >/run/cimi/state; exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
INIT
  chmod 755 "$root/sbin/cimi-init"
  tar -C "$root" -c . | docker import \
    --change 'CMD ["/sbin/cimi-init"]' \
    --change 'ENV PATH=/bin:/sbin:/usr/bin' \
    --change 'LABEL org.opencontainers.image.title=cimigrains-demo' \
    - "$IMAGE" >/dev/null
}

ensure_image() {
  if ! quiet docker image inspect "$IMAGE"; then build_image; fi
}

case "${1:-ensure}" in
  ensure) ensure_installed; ensure_running; ensure_image ;;
  image) ensure_installed; ensure_running; build_image ;;
  clean)
    ids="$(docker ps -aq --filter label=cimigrains.machine)"
    [ -z "$ids" ] || quiet docker rm -f $ids
    ;;
  *) echo "usage: $0 [ensure|image|clean]" >&2; exit 2 ;;
esac
