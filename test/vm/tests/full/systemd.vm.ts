/**
 * systemd as init on a cgroup v2 root: `radvisor run cgroup` with its default patterns finds
 * transient services (`systemd-run --unit`), measures them against what the kernel accounts,
 * and reports a service that stops mid-run while the run goes on.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import {
  coresUsed,
  column,
  expectMonotonic,
  expectPressureAndEvents,
  header,
  kernelValue,
  last,
  type Log,
  radvisor,
  readLog,
  run,
  stopRadvisor,
  waitForLog,
} from '../_guest.ts'

const SUFFIX = Math.random().toString(36).slice(2, 8)
const BUSY = `radvisor-vm-busy-${SUFFIX}`
const IDLE = `radvisor-vm-idle-${SUFFIX}`
let directory = ''

beforeAll(() => {
  directory = fs.mkdtempSync('/tmp/radvisor-vm-systemd-')
})
afterAll(async () => {
  for (const unit of [BUSY, IDLE]) await run('systemctl', 'stop', `${unit}.service`).catch(() => {})
})

test('the guest runs systemd as init with a cgroup v2 root', () => {
  expect(fs.readFileSync('/proc/1/comm', 'utf8').trim()).toBe('systemd')
  expect(kernelValue('', 'cgroup.controllers').split(' ')).toEqual(expect.arrayContaining(['cpu', 'memory', 'io', 'pids']))
  expect(fs.existsSync('/sys/fs/cgroup/system.slice/cgroup.procs')).toBe(true)
})

describe('run cgroup with transient services', () => {
  const busyCgroup = `system.slice/${BUSY}.service`
  const idleCgroup = `system.slice/${IDLE}.service`
  const busyId = `system.slice+${BUSY}.service`
  const idleId = `system.slice+${IDLE}.service`
  let busy: Log
  let stderr = ''

  beforeAll(async () => {
    await run('systemd-run', '--unit', BUSY, '-p', 'CPUQuota=20%', '-p', 'MemoryMax=64M', 'sh', '-c', 'while :; do :; done')
    await run('systemd-run', '--unit', IDLE, 'sleep', '600')
    const collector = radvisor(['run', 'cgroup', '-d', directory, '--poll', '500ms', '--flush-every', '200ms', '--color', 'never'])
    try {
      busy = readLog(await waitForLog(directory, busyId, 40, 120_000))
      await run('systemctl', 'stop', `${BUSY}.service`)
      await collector.waitFor(`Stopping collection for cgroup ${busyCgroup}`, 30_000)
      expect(collector.child.exitCode).toBeNull()
      // The run goes on: the idle service keeps getting rows.
      const idleRows = readLog(await waitForLog(directory, idleId, 1, 0)).rows.length
      await waitForLog(directory, idleId, idleRows + 10, 60_000)
    } finally {
      stderr = collector.stderr()
      await stopRadvisor(collector)
    }
  }, 300_000)

  test('a service with CPUQuota=20% and MemoryMax=64M: its cgroup, 0.2 cores, throttled, CpuQuota 0.2, memory.max', () => {
    const { CollectorType, CollectorMetadata, Metadata } = header(busy)
    expect(CollectorType).toBe('cgroup_v2')
    expect(CollectorMetadata.Cgroup).toBe(busyCgroup)
    expect(CollectorMetadata.CpuQuota).toBe(0.2)
    expect(Metadata.Path).toBe(busyCgroup)
    expect(coresUsed(busy)).toBeWithin(0.12, 0.23)
    expectMonotonic(busy, 'cpu.stat/nr_throttled')
    expect(Number(last(busy, 'cpu.stat/nr_throttled'))).toBeGreaterThan(Number(column(busy, 'cpu.stat/nr_throttled')[0]))
    for (const value of column(busy, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    expectPressureAndEvents(idleCgroup)
  })

  test('a service stopped mid-run: its collection stops, its log is complete, the run goes on', async () => {
    expect(stderr).toContain(`Stopping collection for cgroup ${busyCgroup}`)
    expect(fs.existsSync(`/sys/fs/cgroup/${busyCgroup}`)).toBe(false)
    const ended = readLog(await waitForLog(directory, busyId, 1, 0))
    expect(ended.rows.slice(0, busy.rows.length)).toEqual(busy.rows)
  })

  test('a stopped service is an expected end: no warning about it', () => {
    expect(stderr.split('\n').filter((line) => line.includes('Warning') && line.includes(BUSY))).toEqual([])
  })

  test("a sleeping service's last row equals the kernel's counters", async () => {
    const idle = readLog(await waitForLog(directory, idleId, 1, 0))
    expect(header(idle).CollectorMetadata.CpuQuota).toBeNull()
    expect(last(idle, 'cpu.stat/usage_usec')).toBe(kernelValue(idleCgroup, 'cpu.stat', 'usage_usec'))
    expect(last(idle, 'pids.current')).toBe('1')
    expect(last(idle, 'pids.current')).toBe(kernelValue(idleCgroup, 'pids.current'))
    expect(last(idle, 'memory.stat/anon')).toBe(kernelValue(idleCgroup, 'memory.stat', 'anon'))
  })
})
