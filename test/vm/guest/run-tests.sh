#!/bin/sh
# Runs the guest tests of one mode (quick | full) from the payload disk that test/vm/run.sh
# made: Bun and the compiled radvisor in bin/, the bundled tests in tests/<mode>/. Test output
# goes to the console (ttyS0); the JUnit report and the exit code go to ttyS1 for the host.
mode=$1
payload=$(cd "$(dirname "$0")" && pwd)
export PATH="$payload/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# How the host runs this guest (tcg: emulated, several times slower than the hardware).
accel=$(sed -n 's/.*radvisor\.accel=\([a-z]*\).*/\1/p' /proc/cmdline)
export RADVISOR_BIN="$payload/bin/radvisor" RADVISOR_VM_MODE="$mode" RADVISOR_VM_ACCEL="$accel" HOME=/root NO_COLOR=1
mkdir -p /root /tmp
cd /tmp || exit 1
report=/tmp/radvisor-vm-junit.xml
echo "radvisor-vm: $(uname -r) ($accel), cgroup controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
# A guest test sets its own timeouts; this one only stops a test that hangs under emulation.
bun test --timeout 180000 --reporter=junit --reporter-outfile="$report" "$payload/tests/$mode/"*.js
status=$?
{
  echo "RADVISOR-VM-BEGIN junit"
  cat "$report" 2>/dev/null
  echo
  echo "RADVISOR-VM-END exit=$status"
} >/dev/ttyS1
# The guest powers off at once after this: give the UART time to send the last bytes.
sleep 1
