/**
 * `radvisor exec` on a bare cgroup v2 kernel without systemd (quick mode): radvisor makes
 * `radvisor/exec-<program>-<pid>` itself, enabling cpu, memory, io and pids from the root
 * down; a memory-capped command is killed by the kernel at its limit; the cgroup and its
 * parent are gone afterwards. Written for test/vm/run.sh (the guest has RADVISOR_BIN).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { defaultReportOptions, reportFiles } from '@radvisor/report'
import { parse } from 'yaml'
import { column, readLog } from '../../../_support.ts'

const RADVISOR = process.env.RADVISOR_BIN
if (!RADVISOR || process.env.RADVISOR_VM_MODE === undefined) throw new Error('guest tests run inside the VM only: use test/vm/run.sh quick|full')
const SLOWDOWN = process.env.RADVISOR_VM_ACCEL === 'kvm' ? 1 : 10
const ROOT = '/sys/fs/cgroup'
let directory = ''

beforeAll(() => {
  directory = fs.mkdtempSync('/tmp/radvisor-vm-exec-')
})
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

async function exec(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([RADVISOR!, 'exec', '-d', directory, ...args], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

function logOf(stderr: string): string {
  const match = /^ {2}log: (.+)$/m.exec(stderr)
  if (!match) throw new Error(`no log line in stderr:\n${stderr}`)
  return match[1]!
}

describe('radvisor exec without systemd', () => {
  test('the cgroup is radvisor/exec-*, with every controller and the limits, and is removed with its parent', async () => {
    const result = await exec(['--cpus', '0.5', '--memory', '64MiB', '--', 'sh', '-c', 'cat /proc/self/cgroup; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'])
    expect(result.code).toBe(0)
    const path = /^0::\/(.+)$/m.exec(result.stdout)?.[1]
    expect(path).toMatch(/^radvisor\/exec-sh-\d+$/)
    const log = readLog(logOf(result.stderr))
    const header = parse(log.yaml)
    expect(header.Provider).toBe('exec')
    expect(header.CollectorType).toBe('cgroup_v2')
    expect(header.CollectorMetadata.Cgroup).toBe(path)
    expect(header.CollectorMetadata.CpuQuota).toBe(0.5)
    for (const value of column(log, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    expect(Math.max(...column(log, 'pids.current').map(Number))).toBeGreaterThanOrEqual(1)
    expect(Math.max(...column(log, 'memory.current').map(Number))).toBeGreaterThan(0)
    expect(fs.existsSync(join(ROOT, path!))).toBe(false)
    expect(fs.existsSync(join(ROOT, 'radvisor'))).toBe(false)
  }, 60_000 * SLOWDOWN)

  test('a memory-capped command that outgrows its limit: killed by the kernel (137), its memory millibottleneck in the summary', async () => {
    // Grows by 1 MiB every 20 ms, so that samples see it near the limit before the kill.
    const grow = `x=; while :; do x="$x$(head -c 1048576 /dev/zero | tr '\\0' a)"; sleep 0.02; done`
    const result = await exec(['--memory', '32MiB', '--', 'sh', '-c', grow])
    expect(result.code).toBe(137)
    expect(result.stderr).toContain('was killed by SIGKILL (status 137)')
    const file = logOf(result.stderr)
    const log = readLog(file)
    expect(Math.max(...column(log, 'memory.current').map(Number))).toBeGreaterThan(0.9 * 32 * 1024 * 1024)
    const summary = (await reportFiles(fs, [file], defaultReportOptions)).targets[0]!.summary
    expect(summary.memoryLimit).toBe(32 * 1024 * 1024)
    expect(summary.millibottlenecks.byResource.memory.count).toBeGreaterThanOrEqual(1)
  }, 120_000 * SLOWDOWN)
})
