#!/usr/bin/env bash
# Builds CimiGrains' container images locally, with no image registry:
#   cimigrains/debian:bookworm  a `debootstrap --variant=minbase bookworm` rootfs, `docker import`ed
#   cimigrains/postgres:15      Debian's postgresql-15 on that base
#   cimigrains/gateway:latest   the Gateway (silo + CIMI HTTP API), self-contained linux-x64, on that base
# Idempotent: installs what is missing with apt-get, keeps the base and postgres images when they
# exist (FORCE=1 rebuilds them), and always republishes the gateway (docker's layer cache keeps that quick).
# Package downloads happen on the host only (debootstrap, and apt-get inside the rootfs chroot);
# every `docker build` runs with --network=none and never pulls.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build="$here/.build"                       # git-ignored: rootfs, downloaded .debs, published gateway
mkdir -p "$build"
export DOCKER_API_VERSION=${DOCKER_API_VERSION:-1.41}   # Debian's Engine 20.10 speaks API 1.41
export DOCKER_BUILDKIT=0                    # the classic builder: no buildx, no implicit pulls
BASE=cimigrains/debian:bookworm
PG_IMAGE=cimigrains/postgres:15
GW_IMAGE=cimigrains/gateway:latest
MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
FORCE=${FORCE:-}

log() { printf '[build-images %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
have_image() { docker image inspect "$1" >/dev/null 2>&1; }
[ "$(id -u)" = 0 ] || { echo "run as root (debootstrap, chroot, docker)" >&2; exit 1; }

# 1. Host tools.
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v docker >/dev/null || { echo "no docker CLI" >&2; exit 1; }
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  (systemctl start docker 2>/dev/null || service docker start 2>/dev/null) \
    || { nohup dockerd >/var/log/dockerd.log 2>&1 & }
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start" >&2; exit 1; }
fi
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (dotnet not found)" >&2; exit 1; }

# 2. The rootfs and the .debs each image installs (fetched on the host, inside the chroot).
rootfs="$build/rootfs"
fetch_debs() {  # fetch_debs DEST PACKAGE...: the packages and every dependency a minbase system lacks
  local dest=$1; shift
  rm -rf "$dest"; mkdir -p "$dest"
  chroot "$rootfs" apt-get clean
  chroot "$rootfs" apt-get install -y -qq --no-install-recommends --download-only "$@" >/dev/null
  cp "$rootfs"/var/cache/apt/archives/*.deb "$dest"/
  chroot "$rootfs" apt-get clean
}
if [ -n "$FORCE" ] || ! have_image "$BASE" || ! have_image "$PG_IMAGE" || [ ! -d "$build/gateway/debs" ]; then
  if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
    log "debootstrap --variant=minbase bookworm from $MIRROR"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$build/debootstrap.log" 2>&1 \
      || { tail -20 "$build/debootstrap.log" >&2; exit 1; }
    # Containers have no init: maintainer scripts must not try to start services.
    printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"; chmod 755 "$rootfs/usr/sbin/policy-rc.d"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$rootfs/etc/apt/apt.conf.d/90cimigrains"
  fi
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  chroot "$rootfs" apt-get update -qq
  log "downloading postgresql-15 and gateway runtime packages"
  fetch_debs "$build/postgres/debs" postgresql-15
  fetch_debs "$build/gateway/debs" libssl3 ca-certificates curl
fi

# 3. The base image.
if [ -n "$FORCE" ] || ! have_image "$BASE"; then
  log "docker import $BASE"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
  : >"$rootfs/etc/resolv.conf"; : >"$rootfs/etc/hostname"
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive' -c 'CMD ["/bin/bash"]' \
    -m "debootstrap --variant=minbase bookworm" - "$BASE" >/dev/null
else
  log "$BASE exists; kept"
fi

# 4. PostgreSQL.
if [ -n "$FORCE" ] || ! have_image "$PG_IMAGE"; then
  log "docker build $PG_IMAGE"
  rm -rf "$build/postgres/ctx"; mkdir -p "$build/postgres/ctx"
  cp -r "$build/postgres/debs" "$here/postgres/Dockerfile" "$here/postgres/entrypoint.sh" "$build/postgres/ctx/"
  docker build -q --network=none -t "$PG_IMAGE" "$build/postgres/ctx" >/dev/null
else
  log "$PG_IMAGE exists; kept"
fi

# 5. The gateway: published on the host, copied in.
log "dotnet publish src/Gateway (linux-x64, self-contained)"
rm -rf "$build/gateway/ctx"; mkdir -p "$build/gateway/ctx"
dotnet publish "$root/src/Gateway" -c Release -r linux-x64 --self-contained \
  -o "$build/gateway/ctx/app" -v quiet -nologo >"$build/publish.log" 2>&1 \
  || { tail -30 "$build/publish.log" >&2; exit 1; }
cp -r "$build/gateway/debs" "$here/gateway/Dockerfile" "$here/gateway/entrypoint.sh" "$build/gateway/ctx/"
log "docker build $GW_IMAGE"
docker build -q --network=none -t "$GW_IMAGE" "$build/gateway/ctx" >/dev/null
docker image prune -f --filter "label=org.cimigrains.image" >/dev/null   # dangling old builds of ours only
docker images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^cimigrains/\(debian\|postgres\|gateway\):' >&2
log "done"
