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
import { CGROUP_ROOT, column, execLog, header, outcome, outgrow, readLog } from '../_guest.ts'

let directory = ''

beforeAll(() => {
  directory = fs.mkdtempSync('/tmp/radvisor-vm-exec-')
})
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const exec = (args: string[]) => outcome([process.env.RADVISOR_BIN!, 'exec', '-d', directory, ...args])

describe('radvisor exec without systemd', () => {
  test('the cgroup is radvisor/exec-*, with every controller and the limits, and is removed with its parent', async () => {
    const result = await exec(['--cpus', '0.5', '--memory', '64MiB', '--', 'sh', '-c', 'cat /proc/self/cgroup; i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done'])
    expect(result.code).toBe(0)
    const path = /^0::\/(.+)$/m.exec(result.stdout)?.[1]
    expect(path).toMatch(/^radvisor\/exec-sh-\d+$/)
    const log = readLog(execLog(result.stderr))
    const meta = header(log)
    expect(meta.Provider).toBe('exec')
    expect(meta.CollectorType).toBe('cgroup_v2')
    expect(meta.CollectorMetadata.Cgroup).toBe(path)
    expect(meta.CollectorMetadata.CpuQuota).toBe(0.5)
    for (const value of column(log, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    expect(Math.max(...column(log, 'pids.current').map(Number))).toBeGreaterThanOrEqual(1)
    expect(Math.max(...column(log, 'memory.current').map(Number))).toBeGreaterThan(0)
    expect(fs.existsSync(join(CGROUP_ROOT, path!))).toBe(false)
    expect(fs.existsSync(join(CGROUP_ROOT, 'radvisor'))).toBe(false)
  }, 60_000)

  test('a memory-capped command that outgrows its limit: killed by the kernel (137), its memory millibottleneck in the summary', async () => {
    const result = await exec(['--memory', '16MiB', '--', 'sh', '-c', outgrow(16, join(directory, 'grow.fifo'))])
    expect(result.code).toBe(137)
    expect(result.stderr).toContain('was killed by SIGKILL (status 137)')
    const file = execLog(result.stderr)
    const log = readLog(file)
    expect(Math.max(...column(log, 'memory.current').map(Number))).toBeGreaterThan(0.9 * 16 * 1024 * 1024)
    const summary = (await reportFiles(fs, [file], defaultReportOptions)).targets[0]!.summary
    expect(summary.memoryLimit).toBe(16 * 1024 * 1024)
    expect(summary.millibottlenecks.byResource.memory.count).toBeGreaterThanOrEqual(1)
  }, 60_000)
})
