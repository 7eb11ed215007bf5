#!/usr/bin/env bash
# Builds the CimiGrains demo VM image from Debian packages only, idempotently:
#   scripts/demo-vm.sh OUTDIR   makes OUTDIR/demo-vm/{vmlinuz,initrd.img,disk.qcow2,image.json} and
#                               prints that directory. Quiet and quick when it is already built from
#                               the same inputs (the kernel and busybox package versions apt would
#                               pick, and the files of images/demo-vm/ and of this script).
# What is in it:
#   vmlinuz     Debian's cloud kernel (linux-image-cloud-amd64 → linux-image-6.1.0-*-cloud-amd64);
#   initrd.img  busybox-static, the kernel modules the guest needs and images/demo-vm/init (the
#               guest's whole userland: it runs from the initramfs, see images/demo-vm/init);
#   disk.qcow2  a 64 MiB empty ext4 filesystem labelled cimi-root (made with mkfs.ext4 on a raw
#               file, never mounted on the host), the guest's /data: what it writes there survives
#               a stop, a capture and a copy to another host;
#   image.json  how to boot it (direct kernel boot), read by the QEMU driver:
#               {"kernel","initrd","cmdline","disk"} (paths relative to the directory) + digests.
# Nothing is downloaded but those two Debian packages (`apt-get download`; cached in
# $CIMI_DEMO_VM_DEBS, default OUTDIR/.demo-vm-debs). Everything the build keeps in OUTDIR besides
# demo-vm/ starts with "." (a lock, temporary directories), which no qemu: image location can name. The output is replaced atomically: built in a temporary directory next to
# it and renamed, so a killed build leaves the previous image (or none), never half of one. A rebuild
# keeps disk.qcow2 (the same inode) when only the kernel or init changed, so qcow2 overlays of
# existing Machines still sit on the bytes they were made on.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
src="$here/images/demo-vm"
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
outdir="$(cd "$1" && pwd)"
out="$outdir/demo-vm"

# Fixed for every build, so vmlinuz and disk.qcow2 are the same bytes on every host that builds
# from the same packages (the initrd differs only in the inode numbers cpio records).
DISK_MIB=64
DISK_LABEL=cimi-root
DISK_UUID=6c1d2a4e-8b57-4d0e-9f3a-0c1319e5d0a1
EPOCH=946684800
CMDLINE="console=ttyS0 quiet"
# Bumped when the disk's layout or content changes; the disk is rebuilt only then.
DISK_INPUTS="disk-v2 size=${DISK_MIB}M label=$DISK_LABEL uuid=$DISK_UUID"

quiet() { "$@" >/dev/null 2>&1; }
fail() { echo "demo-vm.sh: $*" >&2; exit 1; }
# When the inputs cannot be had (no archive reachable, a version the mirror dropped) an image built
# earlier is still a working image: keep it, say so, and succeed.
fail_or_keep() {
  if [ -f "$out/image.json" ]; then
    echo "demo-vm.sh: $*; keeping the image built earlier ($(cat "$out/.inputs" 2>/dev/null))" >&2
    echo "$out"
    exit 0
  fi
  fail "$*"
}

for tool in apt-get apt-cache dpkg-deb mkfs.ext4 qemu-img sha256sum flock gzip; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is required (scripts/qemu.sh ensure installs qemu-img; mkfs.ext4 is e2fsprogs)"
done

# One build at a time per OUTDIR (run.sh and test.sh may share one).
exec 9>"$outdir/.demo-vm.lock"
flock 9

# A build killed between its two renames leaves the finished image as .demo-vm.new: adopt it.
if [ ! -d "$out" ] && [ -f "$outdir/.demo-vm.new/image.json" ]; then mv "$outdir/.demo-vm.new" "$out"; fi
rm -rf "$outdir"/.demo-vm.build.* "$outdir/.demo-vm.new" "$outdir/.demo-vm.old"

# The kernel package the cloud metapackage points at, and the versions apt would install.
kernel_package() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'; }
candidate() { apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2; exit }'; }
kpkg=$(kernel_package)
if [ -z "$kpkg" ] || [ -z "$(candidate busybox-static)" ]; then
  quiet apt-get update || true
  kpkg=$(kernel_package)
fi
[ -n "$kpkg" ] || fail_or_keep "apt knows no linux-image-cloud-amd64 (is a Debian amd64 archive configured?)"
kver=$(candidate "$kpkg")
bbver=$(candidate busybox-static)
[ -n "$kver" ] && [ -n "$bbver" ] || fail_or_keep "no installable version of $kpkg or busybox-static"

files_digest() {
  (cd "$here" && find scripts/demo-vm.sh images/demo-vm -type f | LC_ALL=C sort | while read -r f; do
    printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"; done) | sha256sum | cut -d' ' -f1
}
inputs="kernel=$kpkg=$kver busybox-static=$bbver files=$(files_digest) $DISK_INPUTS cmdline=$CMDLINE"

if [ -f "$out/image.json" ] && [ "$(cat "$out/.inputs" 2>/dev/null)" = "$inputs" ]; then
  echo "$out"
  exit 0
fi

echo "demo-vm.sh: building the demo VM image in $out ($kpkg $kver, busybox-static $bbver)" >&2
tmp=$(mktemp -d "$outdir/.demo-vm.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

# Packages: from the cache when that exact version was downloaded before, else apt-get download.
debs="${CIMI_DEMO_VM_DEBS:-$outdir/.demo-vm-debs}"
deb=""
fetch_deb() {
  local pkg=$1 ver=$2 dir
  dir="$debs/$pkg=$ver"
  if ! ls "$dir"/*.deb >/dev/null 2>&1; then
    # Older versions of the package are of no use once a newer one is cached.
    rm -rf "$debs/$pkg="*
    mkdir -p "$dir.part"
    (cd "$dir.part" && apt-get download -q "$pkg=$ver" >/dev/null 2>"$dir.part/.log") ||
      fail_or_keep "apt-get download $pkg=$ver failed: $(tail -n 3 "$dir.part/.log" 2>/dev/null | tr '\n' ' ')"
    rm -f "$dir.part/.log"
    mv "$dir.part" "$dir"
  fi
  deb=$(ls "$dir"/*.deb | head -n 1)
}
mkdir -p "$debs"
# Not in $(...): fetch_deb may end the script (fail_or_keep), which a subshell could not.
fetch_deb "$kpkg" "$kver"
dpkg-deb -x "$deb" "$tmp/kernel"
fetch_deb busybox-static "$bbver"
dpkg-deb -x "$deb" "$tmp/busybox"
krel=$(ls "$tmp/kernel/lib/modules" | head -n 1)
[ -n "$krel" ] && [ -f "$tmp/kernel/boot/vmlinuz-$krel" ] || fail "$kpkg has no kernel and modules"
bb="$tmp/busybox/bin/busybox"
[ -x "$bb" ] || fail "busybox-static has no bin/busybox"

# ---- the initramfs: busybox, /init and its helpers, the modules the guest loads ----
root="$tmp/initramfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/acpi,proc,sys,dev,run,tmp,data,root,home,var/log} \
  "$root/usr/share/cimigrains-demo-vm" "$root/lib/modules/$krel"
cp "$bb" "$root/bin/busybox"
"$bb" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -sf /bin/busybox "$root/$applet"
done
install -m 755 "$src/init" "$root/init"
install -m 644 "$src/seed.sh" "$src/yaml-flatten.awk" "$src/mime-split.awk" "$root/usr/share/cimigrains-demo-vm/"
install -m 755 "$src/udhcpc.script" "$root/usr/share/cimigrains-demo-vm/udhcpc.script"
install -m 644 "$src/acpid.conf" "$root/etc/acpid.conf"
install -m 755 "$src/power-button" "$root/etc/acpi/power-button"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"
printf 'root:!:0:0:99999:7:::\n' >"$root/etc/shadow"
chmod 600 "$root/etc/shadow"; chmod 700 "$root/root"; chmod 1777 "$root/tmp"

# The modules the guest loads (images/demo-vm/modules) and everything they depend on, by the
# dependency list busybox depmod computes over the whole package; built-in ones are left out.
kmods="$tmp/kernel/lib/modules/$krel"
"$bb" depmod -b "$tmp/kernel" "$krel"
wanted=$(sed 's/#.*//' "$src/modules" | tr -s ' \t' '\n\n' | grep .)
load=""
for m in $wanted; do
  if awk -F: -v m="$m" '{ n = $1; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n) } n == m { f = 1; exit } END { exit !f }' "$kmods/modules.dep"; then
    load="$load $m"
  elif ! grep -q "/$m.ko\$" "$kmods/modules.builtin" && ! grep -q "/${m//_/-}.ko\$" "$kmods/modules.builtin"; then
    fail "$kpkg has no module $m (images/demo-vm/modules)"
  fi
done
needed=$(awk -F: -v want="$load" '
  { path = $1; n = path; sub(/.*\//, "", n); sub(/\.ko$/, "", n); gsub(/-/, "_", n); byname[n] = path; deps[path] = $2 }
  END {
    split(want, w, " ")
    for (i in w) { if (w[i] in byname) todo[++t] = byname[w[i]] }
    while (t > 0) { p = todo[t--]; if (p in seen) continue; seen[p] = 1; print p
      k = split(deps[p], d, " "); for (j = 1; j <= k; j++) if (!(d[j] in seen)) todo[++t] = d[j] }
  }' "$kmods/modules.dep")
for p in $needed; do
  mkdir -p "$root/lib/modules/$krel/$(dirname "$p")"
  cp "$kmods/$p" "$root/lib/modules/$krel/$p"
done
cp "$kmods/modules.builtin" "$kmods/modules.order" "$root/lib/modules/$krel/"
"$bb" depmod -b "$root" "$krel"
echo "${load# }" | tr ' ' '\n' >"$root/etc/cimi-modules"

find "$root" -exec touch -h -d "@$EPOCH" {} +
(cd "$root" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9 -n >"$tmp/initrd.img"
cp "$tmp/kernel/boot/vmlinuz-$krel" "$tmp/vmlinuz"

# ---- the disk: kept when its inputs are unchanged, else made without mounting ----
# An empty ext4 (only lost+found): nothing the guest needs lives on it, it is where the guest keeps
# what must last. Fixed UUID, hash seed and time make the same bytes on every host.
if [ -f "$out/disk.qcow2" ] && [ "$(cat "$out/.disk-inputs" 2>/dev/null)" = "$DISK_INPUTS" ]; then
  ln "$out/disk.qcow2" "$tmp/disk.qcow2" 2>/dev/null || cp "$out/disk.qcow2" "$tmp/disk.qcow2"
else
  truncate -s "${DISK_MIB}M" "$tmp/disk.raw"
  E2FSPROGS_FAKE_TIME=$EPOCH mkfs.ext4 -q -F -L "$DISK_LABEL" -U "$DISK_UUID" -m 0 \
    -E "root_owner=0:0,hash_seed=$DISK_UUID" "$tmp/disk.raw"
  qemu-img convert -q -f raw -O qcow2 "$tmp/disk.raw" "$tmp/disk.qcow2"
  rm -f "$tmp/disk.raw"
fi
echo "$DISK_INPUTS" >"$tmp/.disk-inputs"

digest() { sha256sum <"$tmp/$1" | cut -d' ' -f1; }
cat >"$tmp/image.json" <<JSON
{
  "kernel": "vmlinuz",
  "initrd": "initrd.img",
  "cmdline": "$CMDLINE",
  "disk": "disk.qcow2",
  "sha256": {
    "vmlinuz": "$(digest vmlinuz)",
    "initrd.img": "$(digest initrd.img)",
    "disk.qcow2": "$(digest disk.qcow2)"
  },
  "packages": {
    "$kpkg": "$kver",
    "busybox-static": "$bbver"
  },
  "kernelRelease": "$krel"
}
JSON
echo "$inputs" >"$tmp/.inputs"
rm -rf "$tmp/kernel" "$tmp/busybox" "$tmp/initramfs"
chmod 644 "$tmp"/vmlinuz "$tmp"/initrd.img "$tmp"/disk.qcow2 "$tmp"/image.json

# Two renames: the old image leaves only once the new one is complete beside it.
mv "$tmp" "$outdir/.demo-vm.new"
trap - EXIT
[ ! -d "$out" ] || mv "$out" "$outdir/.demo-vm.old"
mv "$outdir/.demo-vm.new" "$out"
rm -rf "$outdir/.demo-vm.old"
echo "$out"
