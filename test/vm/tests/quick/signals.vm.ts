/**
 * The extended columns on a bare cgroup v2 kernel (quick mode: no systemd, nothing else
 * running): a process that goes over `memory.max` is OOM-killed and `memory.events/oom_kill`
 * rises with it, equal to the kernel's count; a CPU-capped busy loop is throttled, and
 * `cpu.pressure/some_total` rises by most of the time it runs; processes of the guest's own
 * network namespace are not attributed (`Network: host`, empty network cells); and
 * `--columns radvisor` writes exactly radvisor 1.4's 36 columns.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import {
  column,
  EMULATION_SLOWDOWN,
  eventually,
  expectMonotonic,
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

const PARENT = 'radvisor-vm-signals'
const OOM = `${PARENT}/oom`
const CAPPED = `${PARENT}/capped`
const LIMIT = 32 * 1024 * 1024
let directory = ''
let plainDirectory = ''

beforeAll(() => {
  directory = fs.mkdtempSync('/tmp/radvisor-vm-signals-')
  plainDirectory = fs.mkdtempSync('/tmp/radvisor-vm-signals-radvisor-')
  makeCgroup(OOM, { 'memory.max': String(LIMIT) })
  makeCgroup(CAPPED, { 'cpu.max': '20000 100000' })
})
afterAll(() => {
  fs.rmSync(directory, { recursive: true, force: true })
  fs.rmSync(plainDirectory, { recursive: true, force: true })
  removeCgroup(PARENT)
})

describe('the extended columns on a cgroup v2 kernel', () => {
  let oomLog: ReturnType<typeof readLog>
  let cappedLog: ReturnType<typeof readLog>
  let plainLog: ReturnType<typeof readLog>

  beforeAll(async () => {
    const sleeper = spawnIn(OOM, 'sleep 600')
    const busy = spawnIn(CAPPED, `sh -c 'while :; do :; done'`)
    const args = ['run', 'cgroup', '--match', `${PARENT}/*`, '--poll', '500ms', '--flush-every', '200ms', '--color', 'never']
    const run = radvisor([...args, '-d', directory])
    const plain = radvisor([...args, '-d', plainDirectory, '--columns', 'radvisor'])
    try {
      await waitForLog(directory, `${PARENT}+oom`, 10, 60_000)
      // 64 MiB touched by dd under a 32 MiB memory.max (the guest has no swap): the kernel kills it.
      const hog = spawnIn(OOM, 'dd if=/dev/zero of=/dev/null bs=64M count=1')
      expect(await hog.exited).not.toBe(0)
      await eventually(() => Number(kernelValue(OOM, 'memory.events', 'oom_kill')) >= 1, 10_000 * EMULATION_SLOWDOWN, 'an OOM kill in memory.events')
      // Rows after the kill, and 40 rows (2 s) of the capped loop.
      const rows = readLog(await waitForLog(directory, `${PARENT}+oom`, 0, 0)).rows.length
      await waitForLog(directory, `${PARENT}+oom`, rows + 10, 30_000)
      await waitForLog(directory, `${PARENT}+capped`, 40, 60_000)
      await waitForLog(plainDirectory, `${PARENT}+capped`, 10, 60_000)
    } finally {
      await stopRadvisor(run)
      await stopRadvisor(plain)
      sleeper.kill('SIGKILL')
      busy.kill('SIGKILL')
    }
    oomLog = readLog(await waitForLog(directory, `${PARENT}+oom`, 1, 0))
    cappedLog = readLog(await waitForLog(directory, `${PARENT}+capped`, 1, 0))
    plainLog = readLog(await waitForLog(plainDirectory, `${PARENT}+capped`, 1, 0))
  }, 180_000)

  test('a process over memory.max is OOM-killed: memory.events/oom_kill rises from 0 to the kernel’s count', () => {
    expect(column(oomLog, 'memory.events/oom_kill')[0]).toBe('0')
    expectMonotonic(oomLog, 'memory.events/oom_kill')
    expect(Number(last(oomLog, 'memory.events/oom_kill'))).toBeGreaterThanOrEqual(1)
    expect(last(oomLog, 'memory.events/oom_kill')).toBe(kernelValue(OOM, 'memory.events', 'oom_kill'))
    for (const key of ['oom', 'max']) {
      expect(Number(last(oomLog, `memory.events/${key}`))).toBeGreaterThanOrEqual(1)
      expect(last(oomLog, `memory.events/${key}`)).toBe(kernelValue(OOM, 'memory.events', key))
    }
    expect(last(oomLog, 'memory.max')).toBe(String(LIMIT))
  })

  test('a busy loop under cpu.max 20000 100000 is throttled, and cpu.pressure some rises by most of the time it runs', () => {
    const running = { ...cappedLog, rows: cappedLog.rows.slice(0, 40) }
    const reads = column(running, 'read').map(BigInt)
    const wallUs = Number(reads.at(-1)! - reads[0]!) / 1000
    const some = column(running, 'cpu.pressure/some_total').map(Number)
    expectMonotonic(cappedLog, 'cpu.pressure/some_total')
    // Throttled 80% of each period: its one task waits, runnable, for most of the time.
    expect(some.at(-1)! - some[0]!).toBeGreaterThan(wallUs * 0.5)
    expect(some.at(-1)! - some[0]!).toBeLessThanOrEqual(wallUs * 1.05)
    for (const column of ['memory.pressure/some_total', 'io.pressure/full_total']) expect(last(cappedLog, column)).toMatch(/^\d+$/)
  })

  test('processes of the guest’s own network namespace are not attributed: Network: host, empty network cells', () => {
    for (const log of [oomLog, cappedLog]) {
      expect(header(log).CollectorMetadata.Network).toBe('host')
      for (const name of ['network.rx_bytes', 'network.tx_bytes', 'network.interfaces']) expect(column(log, name).every((value) => value === '')).toBe(true)
    }
  })

  test('--columns radvisor: exactly radvisor 1.4’s 36 v2 columns, no Network in the header', () => {
    expect(plainLog.columns).toHaveLength(36)
    expect(plainLog.columns.at(-1)).toBe('io.stat/dios')
    expect(header(plainLog).CollectorMetadata.Network).toBeUndefined()
    expect(cappedLog.columns.slice(0, 36)).toEqual(plainLog.columns)
  })
})
