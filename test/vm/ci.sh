#!/usr/bin/env bash
# The VM stage of CI (.ci/run calls it; see test/vm/README.md): installs what the harness needs
# on a fresh machine, runs the quick and the full guest suites, writes their summed counts to
# .artifacts/vm/counts as `passed failed skipped`, and ends with `vm: N passed, N failed, N skipped`.
# Where qemu cannot run (not x86_64 Linux, not root, qemu not installable) it says why and
# counts nothing; a guest that cannot be built or does not report counts as a failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
counts=$repo/.artifacts/vm/counts
mkdir -p "$(dirname "$counts")"
rm -f "$counts"
export DEBIAN_FRONTEND=noninteractive

skip() {
  echo "vm: not run: $*"
  echo "0 0 0" >"$counts"
  echo "vm: 0 passed, 0 failed"
  exit 0
}

[[ $(uname -s) == Linux && $(uname -m) == x86_64 ]] || skip "the guest is x86_64 Linux under qemu; this is $(uname -sm)"
[[ $(id -u) == 0 ]] || skip "building the guest (debootstrap, apt-get download) needs root"

started=$SECONDS
# kernel.sh asks apt for the current cloud kernel: the lists must be there and fresh.
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null 2>&1 || echo "vm: apt-get update failed; using the lists there are" >&2
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v mke2fs >/dev/null || missing+=(e2fsprogs)
dpkg -s busybox-static &>/dev/null || missing+=(busybox-static)
if ((${#missing[@]} > 0)); then
  echo "vm: installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    echo "vm: could not install ${missing[*]}" >&2
fi
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86 is not installed and could not be installed"
echo "vm: host packages ready in $((SECONDS - started)) s"

passed=0 failed=0 skipped=0 status=0
for mode in quick full; do
  mode_started=$SECONDS
  rm -f "$repo/.artifacts/vm/$mode-counts"
  bash "$here/run.sh" "$mode" || status=1
  read -r mode_passed mode_failed mode_skipped 2>/dev/null <"$repo/.artifacts/vm/$mode-counts" ||
    { mode_passed=0 mode_failed=1 mode_skipped=0; }
  echo "vm: $mode mode took $((SECONDS - mode_started)) s"
  passed=$((passed + mode_passed)) failed=$((failed + mode_failed)) skipped=$((skipped + mode_skipped))
done
((status == 0 || failed > 0)) || failed=1
echo "$passed $failed $skipped" >"$counts"
echo "vm: the stage took $((SECONDS - started)) s"
echo "vm: ${passed} passed, ${failed} failed, ${skipped} skipped"
((failed == 0))
