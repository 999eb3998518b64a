import { afterAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { type Collector, memoryLogger, systemClock, systemFileSystem } from '@radvisor/core'
import { createCollectorFactory } from '../src/index.ts'
import { cell, target, tick } from './_support.ts'

// Real cgroups of this machine: cgroups of our own, a busy child moved into the cpu,
// cpuacct and pids ones (never into a memory cgroup), everything removed afterwards.
const ROOT = '/sys/fs/cgroup'
const NAME = `radvisor-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
const MOVED_INTO = ['cpu', 'cpuacct', 'pids', 'blkio']
const UNIFIED = `${ROOT}/unified`

/** What production reads with: node:fs plus the native batch read. */
const systemFs = systemFileSystem().fs
const isRoot = process.getuid?.() === 0
const v1Reason = !isRoot
  ? 'needs root to create cgroups'
  : !fs.existsSync(`${ROOT}/cpuacct/cgroup.procs`)
    ? `needs a cgroup v1 cpuacct controller at ${ROOT}/cpuacct`
    : null
const unifiedReason = !isRoot
  ? 'needs root to create cgroups'
  : !/^usage_usec /m.test(readOr(`${UNIFIED}/cpu.stat`))
    ? `needs a cgroup v2 hierarchy at ${UNIFIED} with cpu.stat`
    : /\bmemory\b/.test(readOr(`${UNIFIED}/cgroup.subtree_control`))
      ? `${UNIFIED} delegates the memory controller, and a test must never move a process into a memory cgroup`
      : null
if (v1Reason) console.warn(`skipping the real cgroup v1 test: ${v1Reason}`)
if (unifiedReason) console.warn(`skipping the real cgroup v2 test: ${unifiedReason}`)

function readOr(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

const created: string[] = []
const children: ReturnType<typeof Bun.spawn>[] = []
const collectors: Collector[] = []

/** Creates our cgroup under `folder` and moves a new busy child into the listed controllers. */
function busyChildIn(folders: string[]): void {
  const child = Bun.spawn(['sh', '-c', 'while :; do :; done'], { stdout: 'ignore', stderr: 'ignore' })
  children.push(child)
  for (const folder of folders) fs.writeFileSync(`${folder}/cgroup.procs`, `${child.pid}\n`)
}

function createCgroup(folder: string): string {
  fs.mkdirSync(folder)
  created.push(folder)
  return folder
}

afterAll(async () => {
  for (const collector of collectors) collector.close()
  for (const child of children) child.kill('SIGKILL')
  await Promise.all(children.map((child) => child.exited))
  // The kernel releases a cgroup a moment after its last process exits.
  for (const folder of created.reverse()) {
    for (let attempt = 0; fs.existsSync(folder); attempt++) {
      try {
        fs.rmdirSync(folder)
      } catch (error) {
        if (attempt >= 50) throw error
        await Bun.sleep(20)
      }
    }
  }
})

describe('real kernel', () => {
  test.skipIf(v1Reason !== null)('cgroup v1: cpu.usage.total rises and pids.current counts the child', async () => {
    const folders = [...MOVED_INTO, 'memory'].filter((c) => fs.existsSync(`${ROOT}/${c}`)).map((c) => createCgroup(`${ROOT}/${c}/${NAME}`))
    busyChildIn(folders.filter((folder) => MOVED_INTO.some((c) => folder.startsWith(`${ROOT}/${c}/`))))
    const factory = createCollectorFactory({ root: ROOT, fs: systemFs, logger: memoryLogger(), clock: systemClock })
    const collector = factory.open(target({ kind: 'path', path: NAME }))!
    collectors.push(collector)
    expect(collector.info.type).toBe('cgroup_v1')
    const first = tick(collector)
    await Bun.sleep(300)
    const second = tick(collector)
    expect(Number(cell(collector, second, 'cpu.usage.total'))).toBeGreaterThan(Number(cell(collector, first, 'cpu.usage.total')))
    expect(Number(cell(collector, second, 'pids.current'))).toBeGreaterThanOrEqual(1)
    const perCpu = cell(collector, second, 'cpu.usage.percpu')!.split(' ')
    expect(perCpu.length).toBe(collector.info.columnTypes['cpu.usage.percpu']!.Count!)
    expect(cell(collector, second, 'memory.limit.hard')).toMatch(/^\d+$/)
    expect(Number(cell(collector, second, 'read')) / 1e6).toBeCloseTo(systemClock.now(), -3)
  })

  test.skipIf(v1Reason !== null || !fs.existsSync(`${ROOT}/cpuacct/cpuacct.usage_all`))(
    'cgroup v1: cpu.usage.total, .system and .user are exactly what cpuacct.usage, _sys and _user say',
    async () => {
      const name = `${NAME}-cpu`
      const folders = MOVED_INTO.filter((c) => fs.existsSync(`${ROOT}/${c}`)).map((c) => createCgroup(`${ROOT}/${c}/${name}`))
      const child = Bun.spawn(['sh', '-c', 'while :; do :; done'], { stdout: 'ignore', stderr: 'ignore' })
      children.push(child)
      for (const folder of folders) fs.writeFileSync(`${folder}/cgroup.procs`, `${child.pid}\n`)
      const collector = createCollectorFactory({ root: ROOT, fs: systemFs, logger: memoryLogger(), clock: systemClock }).open(target({ kind: 'path', path: name }))!
      collectors.push(collector)
      const kernel = () =>
        ['cpuacct.usage', 'cpuacct.usage_sys', 'cpuacct.usage_user'].map((file) => BigInt(fs.readFileSync(`${ROOT}/cpuacct/${name}/${file}`, 'utf8').trim()))
      const ours = (cells: string[] | null) => ['cpu.usage.total', 'cpu.usage.system', 'cpu.usage.user'].map((column) => BigInt(cell(collector, cells, column)!))
      // While the child runs the counters move: ours lie between the kernel's files read just before and just after.
      for (let i = 0; i < 5; i++) {
        await Bun.sleep(60)
        const before = kernel()
        const cells = tick(collector)
        const after = kernel()
        ours(cells).forEach((value, k) => {
          expect(value).toBeGreaterThanOrEqual(before[k]!)
          expect(value).toBeLessThanOrEqual(after[k]!)
        })
      }
      // Once the cgroup holds no process they stand still, and must be equal.
      child.kill('SIGKILL')
      await child.exited
      await Bun.sleep(50)
      const settled = kernel()
      expect(settled[0]).toBeGreaterThan(0n)
      expect(ours(tick(collector))).toEqual(settled)
      // The three files themselves are not read at all.
      const held = fs.readdirSync('/proc/self/fd').map((fd) => {
        try {
          return fs.readlinkSync(`/proc/self/fd/${fd}`)
        } catch {
          return ''
        }
      })
      const real = fs.realpathSync(`${ROOT}/cpuacct/${name}`)
      expect(held.filter((path) => path.startsWith(`${real}/cpuacct.usage`)).sort()).toEqual(['cpuacct.usage_all', 'cpuacct.usage_percpu'].map((file) => `${real}/${file}`))
    },
  )

  test.skipIf(v1Reason !== null || !fs.existsSync(`${ROOT}/memory/cgroup.procs`))(
    'cgroup v1: removing only the memory cgroup leaves the others collected and the collector alive',
    async () => {
      const name = `${NAME}-partial`
      const folders = [...MOVED_INTO, 'memory'].filter((c) => fs.existsSync(`${ROOT}/${c}`)).map((c) => createCgroup(`${ROOT}/${c}/${name}`))
      busyChildIn(folders.filter((folder) => MOVED_INTO.some((c) => folder.startsWith(`${ROOT}/${c}/`))))
      const logger = memoryLogger()
      const collector = createCollectorFactory({ root: ROOT, fs: systemFs, logger, clock: systemClock }).open(target({ kind: 'path', path: name }))!
      collectors.push(collector)
      const before = tick(collector)
      expect(cell(collector, before, 'memory.limit.hard')).toMatch(/^\d+$/)
      // Only folders we created, and the memory one never held a process.
      fs.rmdirSync(`${ROOT}/memory/${name}`)
      await Bun.sleep(100)
      const after = tick(collector)
      expect(collector.error).toBeNull()
      expect(cell(collector, after, 'memory.limit.hard')).toBe('')
      expect(cell(collector, after, 'memory.cache')).toBe('')
      expect(Number(cell(collector, after, 'cpu.usage.total'))).toBeGreaterThan(Number(cell(collector, before, 'cpu.usage.total')))
      expect(Number(cell(collector, after, 'pids.current'))).toBeGreaterThanOrEqual(1)
      // A controller's folder going away is how an exiting container looks: verbose, not a warning.
      expect(logger.lines.filter((line) => line.includes('Warning'))).toEqual([])
      expect(logger.lines.filter((line) => line.includes('Removed'))).toEqual([
        expect.stringContaining(`${ROOT}/memory/${name} was removed (reading ${ROOT}/memory/${name}/memory.usage_in_bytes failed with ENODEV)`),
      ])
    },
  )

  test.skipIf(unifiedReason !== null)('cgroup v2 (unified/): cpu.stat/usage_usec rises', async () => {
    const folder = createCgroup(`${UNIFIED}/${NAME}`)
    busyChildIn([folder])
    const factory = createCollectorFactory({ root: UNIFIED, fs: systemFs, logger: memoryLogger(), clock: systemClock })
    const collector = factory.open(target({ kind: 'path', path: NAME }))!
    collectors.push(collector)
    expect(collector.info.type).toBe('cgroup_v2')
    const first = tick(collector)
    await Bun.sleep(300)
    const second = tick(collector)
    expect(Number(cell(collector, second, 'cpu.stat/usage_usec'))).toBeGreaterThan(Number(cell(collector, first, 'cpu.stat/usage_usec')))
  })
})
