#!/usr/bin/env bash
# Fetches, or finds in the cache, the kernel that the VM boots (test/vm/README.md): Debian's
# cloud kernel (linux-image-cloud-amd64) by `apt-get download`, unpacked into
#   <cache>/kernel-<version>/vmlinuz
#   <cache>/kernel-<version>/modules/   the disk modules the initramfs loads, and `order`
# Prints `kernel=<dir>` on stdout; progress goes to stderr. Needs Debian's apt lists
# (apt-get update). RADVISOR_VM_CACHE moves the cache (default /var/cache/radvisor-vm).
set -euo pipefail

cache=${RADVISOR_VM_CACHE:-/var/cache/radvisor-vm}
# The modules the initramfs loads to reach the disks (with what they depend on).
disk_modules=(virtio_pci virtio_blk)

log() { echo "vm/kernel: $*" >&2; }

# add_module <dir> <name>: copies module <name> and, first, the modules it depends on, from the
# unpacked package in <dir>/x into <dir>/modules, listing them in load order in <dir>/modules/order.
add_module() {
  local dir=$1 name=$2 file dependency
  grep -qx "$name" "$dir/modules/order" && return 0
  file=$(find "$dir/x/lib/modules" -name "$name.ko")
  [[ -n $file ]] || { log "kernel module $name not found in the package"; return 1; }
  for dependency in $(grep -a -o -m1 'depends=[a-z0-9_,-]*' "$file" | cut -d= -f2 | tr , ' '); do
    add_module "$dir" "$dependency"
  done
  cp "$file" "$dir/modules/"
  echo "$name" >>"$dir/modules/order"
}

package=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
[[ -n $package ]] || { log "apt knows no linux-image-cloud-amd64 (run apt-get update)"; exit 1; }
version=$(apt-cache policy "$package" | awk '/Candidate:/ { print $2 }')
dir=$cache/kernel-$version
if [[ ! -f $dir/.complete ]]; then
  log "fetching $package $version"
  rm -rf "$dir" "$dir.tmp"
  mkdir -p "$dir.tmp/deb" "$dir.tmp/modules"
  (cd "$dir.tmp/deb" && apt-get download -q "$package=$version" 2>/dev/null >&2) || { log "apt-get download $package failed"; exit 1; }
  dpkg-deb -x "$dir.tmp/deb/"*.deb "$dir.tmp/x"
  cp "$dir.tmp/x/boot/vmlinuz-"* "$dir.tmp/vmlinuz"
  : >"$dir.tmp/modules/order"
  for module in "${disk_modules[@]}"; do add_module "$dir.tmp" "$module"; done
  rm -rf "$dir.tmp/deb" "$dir.tmp/x"
  touch "$dir.tmp/.complete"
  mv "$dir.tmp" "$dir"
  find "$cache" -maxdepth 1 -name 'kernel-*' ! -name "kernel-$version" -exec rm -rf {} +
fi
echo "kernel=$dir"
