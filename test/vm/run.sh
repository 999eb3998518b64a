#!/usr/bin/env bash
# Boots a qemu guest on a real cgroup v2 kernel and runs the guest tests in it (test/vm/README.md).
#
#   test/vm/run.sh quick   busybox initramfs, no systemd: test/vm/tests/quick/*.vm.ts, in seconds
#   test/vm/run.sh full    Debian bookworm with systemd, Docker, Podman: test/vm/tests/full/*.vm.ts
#   test/vm/run.sh full docker kubernetes    only tests/full/docker.vm.ts and kubernetes.vm.ts
#
# Builds the payload disk (radvisor compiled with `bun build --compile`, Bun, the bundled tests),
# gets the kernel and guest image from test/vm/kernel.sh and rootfs.sh (cached), boots, and reads the JUnit
# report back from the guest's second serial port. Console, report and counts land in
# .artifacts/vm/<mode>-*. The last line is `N passed, N failed, N skipped`; the exit code is 0
# only when the guest ran its tests and none failed.
#
# RADVISOR_VM_ACCEL=auto|tcg|kvm (default auto: KVM where the CPU has it and a probe boot
# proves it works, else TCG), RADVISOR_VM_TIMEOUT (seconds, default 300 quick, 900 full: 4-6 times what they take emulated),
# RADVISOR_VM_MEMORY (MiB, default 2560), RADVISOR_VM_CPUS (default 2).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${1:-}
[[ $mode == quick || $mode == full ]] || { echo "usage: $0 quick|full [test name...]" >&2; exit 2; }
shift
names=("$@")
artifacts=$repo/.artifacts/vm
mkdir -p "$artifacts"
counts=$artifacts/$mode-counts
work=$(mktemp -d /var/tmp/radvisor-vm-XXXXXX)
qemu_pid=

log() { echo "vm/$mode: $*" >&2; }
cleanup() {
  [[ -n $qemu_pid ]] && kill "$qemu_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
# A run that ends before the guest reports counts as one failure, never as a pass.
failed() {
  log "$*"
  echo "0 1 0" >"$counts"
  echo "0 passed, 1 failed"
  exit 1
}

export PATH=$repo/node_modules/.bin:$PATH
command -v bun >/dev/null || failed "no bun in node_modules/.bin (run npm install)"
command -v qemu-system-x86_64 >/dev/null || failed "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"

# --- kernel and guest image (cached) ---
started=$SECONDS
kernel=$(bash "$here/kernel.sh" | sed -n 's/^kernel=//p') && [[ -n $kernel ]] || failed "test/vm/kernel.sh failed"
rootfs=
if [[ $mode == full ]]; then
  rootfs=$(bash "$here/rootfs.sh" | sed -n 's/^rootfs=//p') && [[ -n $rootfs ]] || failed "test/vm/rootfs.sh failed"
fi
log "kernel$([[ $mode == full ]] && echo " and guest image") ready in $((SECONDS - started)) s"

# --- payload disk: binaries, bundled tests and the guest runner ---
started=$SECONDS
payload=$work/payload
mkdir -p "$payload/bin" "$payload/tests/$mode"
bun "$repo/scripts/build-binary.ts" --outfile "$payload/bin/radvisor" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; failed "scripts/build-binary.ts failed"; }
cp "$(readlink -f "$(command -v bun)")" "$payload/bin/bun"
shopt -s nullglob
tests=("$here/tests/$mode/"*.vm.ts)
if ((${#names[@]} > 0)); then
  tests=()
  for name in "${names[@]}"; do
    [[ -f $here/tests/$mode/$name.vm.ts ]] || failed "no test file test/vm/tests/$mode/$name.vm.ts"
    tests+=("$here/tests/$mode/$name.vm.ts")
  done
fi
((${#tests[@]} > 0)) || failed "no tests in test/vm/tests/$mode/"
bun build --target=bun --sourcemap=inline --outdir "$payload/tests/$mode" "${tests[@]}" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; failed "bundling the guest tests failed"; }
cp "$here/guest/run-tests.sh" "$payload/"
size=$(($(du -sm "$payload" | cut -f1) + 64))
mke2fs -q -t ext4 -L radvisor-payload -E root_owner=0:0 -d "$payload" "$work/payload.img" "${size}M" >/dev/null ||
  failed "mke2fs of the payload disk failed"

# --- initramfs: busybox, the glibc that Bun links, the virtio modules, /init ---
initramfs=$work/initramfs
mkdir -p "$initramfs"/{bin,dev,proc,sys,tmp,mnt,modules,lib64,lib/x86_64-linux-gnu}
busybox=$(command -v busybox) || failed "busybox is not installed (apt-get install busybox-static)"
cp "$busybox" "$initramfs/bin/busybox"
ldd "$initramfs/bin/busybox" >/dev/null 2>&1 && failed "$busybox is not static (apt-get install busybox-static)"
for library in $(ldd "$payload/bin/bun" | grep -o '/[^ ]*'); do
  mkdir -p "$initramfs$(dirname "$library")"
  cp -L "$library" "$initramfs$library"
done
cp "$kernel/modules/"* "$initramfs/modules/"
cp "$here/guest/init" "$initramfs/init"
(cd "$initramfs" && find . | busybox cpio -o -H newc 2>/dev/null) >"$work/initramfs.cpio"
log "payload ($size MiB) and initramfs built in $((SECONDS - started)) s"

# --- boot ---
# qemu_boot <mode> <timeout s> <accel> [extra qemu args...]: boots, waits, leaves the results in $work.
qemu_boot() {
  local boot_mode=$1 timeout=$2 accel=$3
  shift 3
  local append="console=ttyS0 loglevel=4 panic=-1 radvisor.mode=$boot_mode radvisor.accel=$accel"
  append+=" systemd.unified_cgroup_hierarchy=1 apparmor=0 systemd.show_status=false rw"
  : >"$work/console.log"
  : >"$work/results.txt"
  # shellcheck disable=SC2054 # tcg,thread=multi is one qemu argument
  local accel_args=(-accel tcg,thread=multi -cpu max)
  [[ $accel == kvm ]] && accel_args=(-accel kvm -cpu host)
  qemu-system-x86_64 "${accel_args[@]}" -smp "${RADVISOR_VM_CPUS:-2}" -m "${RADVISOR_VM_MEMORY:-2560}" \
    -kernel "$kernel/vmlinuz" -initrd "$work/initramfs.cpio" -append "$append" \
    -display none -monitor none -nic none -no-reboot \
    -serial "file:$work/console.log" -serial "file:$work/results.txt" "$@" &
  qemu_pid=$!
  # Mirror the console live (it ends with qemu), so a CI log shows how far the guest got.
  [[ $boot_mode != probe ]] && tail --pid="$qemu_pid" -n +1 -F "$work/console.log" 2>/dev/null | sed -u 's/\r$//; s/^/  guest| /' >&2 &
  local deadline=$((SECONDS + timeout))
  while kill -0 "$qemu_pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "the guest did not finish within $timeout s; stopping qemu"
      kill "$qemu_pid" 2>/dev/null
      break
    fi
    sleep 1
  done
  wait "$qemu_pid" 2>/dev/null
  qemu_pid=
}

accel=${RADVISOR_VM_ACCEL:-auto}
if [[ $accel == auto ]]; then
  accel=tcg
  # KVM only where the CPU offers it and a guest demonstrably boots with it: on some hosts
  # /dev/kvm exists but a KVM guest hangs at boot.
  if [[ -w /dev/kvm ]] && grep -qwE 'vmx|svm' /proc/cpuinfo; then
    qemu_boot probe 30 kvm
    if grep -q 'RADVISOR-VM-END probe=ok' "$work/results.txt"; then accel=kvm; else log "KVM probe boot failed; using TCG"; fi
  fi
fi

disks=(-drive "file=$work/payload.img,format=raw,if=virtio,readonly=on")
# snapshot=on: the guest writes to a temporary overlay, the cached image stays as built.
[[ $mode == full ]] && disks+=(-drive "file=$rootfs,format=raw,if=virtio,snapshot=on")
timeout=${RADVISOR_VM_TIMEOUT:-$([[ $mode == quick ]] && echo 300 || echo 900)}
log "booting ($accel, timeout $timeout s); console: $artifacts/$mode-console.log"
started=$SECONDS
qemu_boot "$mode" "$timeout" "$accel" "${disks[@]}"
wait
tr -d '\r' <"$work/console.log" >"$artifacts/$mode-console.log"
tr -d '\r' <"$work/results.txt" >"$artifacts/$mode-results.txt"
log "guest ran for $((SECONDS - started)) s"

results=$artifacts/$mode-results.txt
end=$(grep -m1 '^RADVISOR-VM-END' "$results")
[[ -n $end ]] || failed "the guest reported no results (see $artifacts/$mode-console.log)"
[[ $end == *error=* ]] && failed "the guest failed: ${end#*error=}"
report=$artifacts/$mode-junit.xml
sed -n '/^RADVISOR-VM-BEGIN junit$/,/^RADVISOR-VM-END/{//!p}' "$results" >"$report"
summary=$(grep -o '<testsuites [^>]*>' "$report" | head -1)
[[ -n $summary ]] || failed "the guest's test run wrote no JUnit report (${end#RADVISOR-VM-END })"
attribute() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$summary"; }
total=$(attribute tests) failures=$(attribute failures) skipped=$(attribute skipped)
passed=$((total - failures - skipped))
# An error outside any test (a file that fails to load) fails the run without a failing case.
[[ $end != *exit=0 && $failures == 0 ]] && failures=1
echo "$passed $failures $skipped" >"$counts"
((total > 0)) || failed "the guest ran no test"
echo "${passed} passed, ${failures} failed, ${skipped} skipped"
[[ $end == *exit=0 ]] && ((failures == 0))
