#!/usr/bin/env bash
# Builds, or finds in the cache, the Debian bookworm guest that full mode boots
# (test/vm/README.md): debootstrap minbase, no recommends, with the files of test/vm/rootfs/
# on top, as a raw ext4 image
#   <cache>/rootfs-<key>.img
# where <key> hashes this script and test/vm/rootfs/, so a change to either builds a new image.
# Each use touches the image; images of other keys unused for two days are removed (worktrees
# on different versions share the cache without rebuilding each other's image every run).
# Downloaded packages are kept in <cache>/debs for the next build.
# Prints `rootfs=<image>` on stdout; progress goes to stderr.
#
# Needs root, debootstrap, e2fsprogs and Debian's repositories. RADVISOR_VM_CACHE moves the
# cache (default /var/cache/radvisor-vm); RADVISOR_VM_MIRROR picks the Debian mirror.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${RADVISOR_VM_CACHE:-/var/cache/radvisor-vm}
mirror=${RADVISOR_VM_MIRROR:-http://deb.debian.org/debian}
# What the guest tests use: systemd as init (with D-Bus, which the systemd cgroup driver of
# runc, containerd and podman talks to), Docker, Podman with netavark (the network stack it
# depends on, a virtual package that debootstrap cannot pick itself), a static busybox for the
# container images, and openssl for the mock Kubernetes API's certificates. libpam-systemd and
# dbus-user-session give a user a manager of their own (user@<uid>.service), as a login on a
# desktop or server does: without pam_systemd the manager has no XDG_RUNTIME_DIR and exits.
packages=systemd,systemd-sysv,dbus,libpam-systemd,dbus-user-session,docker.io,podman,netavark,busybox-static,openssl,ca-certificates
# Units that would only slow the boot or race the tests: the tests start their own engines.
masked=(docker.service docker.socket containerd.service podman.service podman.socket
  podman-auto-update.timer podman-auto-update.service podman-restart.service podman-clean-transient.service
  getty@tty1.service serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer
  dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service)

log() { echo "vm/rootfs: $*" >&2; }

# debootstrap mounts /proc and /sys in the target; a failed run can leave them mounted.
umount_below() {
  local mount
  for mount in $(awk -v dir="$1/" 'index($5, dir) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount -l "$mount" 2>/dev/null || true
  done
}

configure() {
  local dir=$1 unit
  cp -r "$here/rootfs/." "$dir/"
  echo radvisor-vm >"$dir/etc/hostname"
  : >"$dir/etc/machine-id"
  for unit in "${masked[@]}"; do ln -sf /dev/null "$dir/etc/systemd/system/$unit"; done
  mkdir -p "$dir/etc/systemd/system/multi-user.target.wants"
  ln -sf /etc/systemd/system/radvisor-vm.service "$dir/etc/systemd/system/multi-user.target.wants/"
  # Smaller image: no package lists, downloaded packages, documentation or translations.
  rm -rf "$dir/var/cache/apt/"*.bin "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"* \
    "$dir/usr/share/doc/"* "$dir/usr/share/man/"* "$dir/usr/share/locale/"* "$dir/usr/share/info/"*
}

[[ $(id -u) == 0 ]] || { log "needs root (debootstrap)"; exit 1; }
# What git keeps of a file: its content and whether it is executable (not the checkout's umask).
key=$( (cat "$0" && cd "$here/rootfs" && find . -type f | sort | while read -r file; do
  echo "$file $([[ -x $file ]] && echo x)" && cat "$file"
done) | sha256sum | cut -c1-16)
image=$cache/rootfs-$key.img
if [[ ! -f $image ]]; then
  command -v debootstrap >/dev/null || { log "debootstrap is not installed (apt-get install debootstrap)"; exit 1; }
  command -v mke2fs >/dev/null || { log "mke2fs is not installed (apt-get install e2fsprogs)"; exit 1; }
  mkdir -p "$cache/debs"
  for stale in "$cache"/rootfs-*.tmp; do
    [[ -e $stale ]] && umount_below "$stale" && rm -rf "$stale"
  done
  dir=$cache/rootfs-$key.tmp started=$SECONDS
  log "building the guest with debootstrap (minbase + $packages)"
  debootstrap --variant=minbase --include="$packages" --cache-dir="$cache/debs" bookworm "$dir" "$mirror" >&2 ||
    { log "debootstrap failed (see $dir/debootstrap/debootstrap.log)"; exit 1; }
  configure "$dir"
  log "writing $image"
  mke2fs -q -t ext4 -L radvisor-vm -E root_owner=0:0 -d "$dir" "$image.tmp" 3G >/dev/null
  rm -rf "$dir"
  mv "$image.tmp" "$image"
  log "guest image built in $((SECONDS - started)) s: $(du -m "$image" | cut -f1) MiB used of $(du -m --apparent-size "$image" | cut -f1) MiB"
fi
touch "$image"
find "$cache" -maxdepth 1 -name 'rootfs-*.img' ! -name "rootfs-$key.img" -mtime +1 -delete
echo "rootfs=$image"
