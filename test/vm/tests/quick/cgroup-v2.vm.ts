/**
 * Plain cgroups on a bare cgroup v2 kernel (quick mode: no systemd, nothing else running):
 * `radvisor run cgroup --match` on cgroups this test makes, with limits it sets, checked
 * against the kernel's own files. Each workload stops before radvisor does, so the last rows
 * must equal what the kernel accounts once the counters stand still.
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
  makeCgroup,
  radvisor,
  readLog,
  removeCgroup,
  spawnIn,
  stopRadvisor,
  waitForLog,
} from '../_guest.ts'

const PARENT = 'radvisor-vm'
const CAPPED = `${PARENT}/capped`
const SHMEM = `${PARENT}/shmem`
const PIDS = `${PARENT}/pids`
const SHMEM_FILE = '/tmp/radvisor-vm-shmem'
let directory = ''

beforeAll(() => {
  directory = fs.mkdtempSync('/tmp/radvisor-vm-logs-')
  makeCgroup(CAPPED, { 'cpu.max': '20000 100000' })
  makeCgroup(SHMEM, { 'memory.max': String(64 * 1024 * 1024) })
  makeCgroup(PIDS, { 'pids.max': '10' })
})
afterAll(() => {
  fs.rmSync(SHMEM_FILE, { force: true })
  removeCgroup(PARENT)
})

describe('radvisor run cgroup on plain v2 cgroups', () => {
  let log: ReturnType<typeof readLog>
  let memoryLog: ReturnType<typeof readLog>
  let pidsLog: ReturnType<typeof readLog>

  beforeAll(async () => {
    const busy = spawnIn(CAPPED, `sh -c 'while :; do :; done'`)
    const sleepers = [1, 2, 3].map(() => spawnIn(PIDS, 'sleep 600'))
    // 16 MiB written to tmpfs by a process of the cgroup: shmem charged to it after the writer exits.
    const writer = spawnIn(SHMEM, `head -c ${16 * 1024 * 1024} /dev/zero > ${SHMEM_FILE}`)
    expect(await writer.exited).toBe(0)
    const run = radvisor(['run', 'cgroup', '--match', `${PARENT}/*`, '-d', directory, '--poll', '500ms', '--flush-every', '200ms', '--color', 'never'])
    try {
      // At 50 ms, 40 rows are 2 s of the capped loop.
      await waitForLog(directory, `${PARENT}+capped`, 40, 60_000)
      busy.kill('SIGKILL')
      await busy.exited
      // A few more rows of counters that no longer move.
      const rows = readLog(await waitForLog(directory, `${PARENT}+capped`, 0, 0)).rows.length
      await waitForLog(directory, `${PARENT}+capped`, rows + 10, 30_000)
    } finally {
      await stopRadvisor(run)
      for (const sleeper of sleepers) sleeper.kill('SIGKILL')
    }
    log = readLog(await waitForLog(directory, `${PARENT}+capped`, 1, 0))
    memoryLog = readLog(await waitForLog(directory, `${PARENT}+shmem`, 1, 0))
    pidsLog = readLog(await waitForLog(directory, `${PARENT}+pids`, 1, 0))
  }, 120_000)

  test('the header names the v2 collector, the cgroup and the 0.2 CPU quota', () => {
    const { CollectorType, CollectorMetadata, Provider } = header(log)
    expect(Provider).toBe('cgroup')
    expect(CollectorType).toBe('cgroup_v2')
    expect(CollectorMetadata.Cgroup).toBe(CAPPED)
    expect(CollectorMetadata.CpuQuota).toBe(0.2)
    expect(header(memoryLog).CollectorMetadata.CpuQuota).toBeNull()
  })

  test('a busy loop under cpu.max 20000 100000 uses 0.2 cores and is throttled', () => {
    // Rows while the loop ran: the first 40.
    const running = { ...log, rows: log.rows.slice(0, 40) }
    expect(coresUsed(running)).toBeWithin(0.12, 0.23)
    expectMonotonic(log, 'cpu.stat/usage_usec')
    expectMonotonic(log, 'cpu.stat/nr_throttled')
    expect(Number(column(running, 'cpu.stat/nr_throttled').at(-1)) - Number(column(running, 'cpu.stat/nr_throttled')[0])).toBeGreaterThan(5)
    expect(Number(last(log, 'cpu.stat/throttled_usec'))).toBeGreaterThan(0)
  })

  test('the last rows equal the kernel counters once they stand still', () => {
    for (const key of ['usage_usec', 'user_usec', 'system_usec', 'nr_periods', 'nr_throttled', 'throttled_usec']) {
      expect(`${key}=${last(log, `cpu.stat/${key}`)}`).toBe(`${key}=${kernelValue(CAPPED, 'cpu.stat', key)}`)
    }
    expect(last(log, 'pids.current')).toBe('0')
    expect(last(log, 'memory.max')).toBe('max')
  })

  test('16 MiB of shmem under memory.max 64 MiB: shmem exact, memory.max exact, memory.current as the kernel accounts it', () => {
    for (const value of column(memoryLog, 'memory.stat/shmem')) expect(Number(value)).toBe(16 * 1024 * 1024)
    for (const value of column(memoryLog, 'memory.max')) expect(Number(value)).toBe(64 * 1024 * 1024)
    // memory.current also counts kernel memory that per-CPU charge caches release lazily: it
    // drifts by a few pages while the cgroup is idle.
    const current = Number(last(memoryLog, 'memory.current'))
    expect(current).toBeGreaterThanOrEqual(16 * 1024 * 1024)
    expect(Math.abs(current - Number(kernelValue(SHMEM, 'memory.current')))).toBeLessThan(512 * 1024)
    expect(last(memoryLog, 'memory.stat/file')).toBe(kernelValue(SHMEM, 'memory.stat', 'file'))
  })

  test('pids.current counts the three sleepers; pids.max is the limit', () => {
    expect(column(pidsLog, 'pids.current')[0]).toBe('3')
    for (const value of column(pidsLog, 'pids.max')) expect(value).toBe('10')
  })

  test('every cgroup has its pressure (PSI) and memory.events files', () => {
    for (const path of [PARENT, CAPPED, SHMEM, PIDS]) expectPressureAndEvents(path)
  })
})
