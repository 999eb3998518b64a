/**
 * End to end on the real kernel: `radvisor run cgroup` against cgroups this test creates
 * (`radvisor-test-<random>/{a,b,...}` under each v1 controller and `unified/`). A busy
 * child process, throttled to 20% of a CPU, runs in `a` of the cpu, cpuacct, pids and
 * blkio hierarchies; never in a memory cgroup. Everything created is removed afterwards,
 * also when a test fails.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ChildProcess, spawn } from 'node:child_process'
import { column, exited, type Log, radvisor, readLog } from './_support.ts'

const CGROUP_ROOT = '/sys/fs/cgroup'
const PARENT = `radvisor-test-${Math.random().toString(36).slice(2, 10)}`

/** Why the real-kernel tests cannot run here, or null when they can. */
function unavailable(): string | null {
  if (process.platform !== 'linux') return 'cgroups exist on Linux only'
  if (process.getuid?.() !== 0) return 'creating cgroups needs root'
  for (const controller of ['cpu', 'cpuacct', 'pids']) {
    const folder = join(CGROUP_ROOT, controller)
    try {
      fs.accessSync(join(folder, 'cgroup.procs'))
      fs.accessSync(folder, fs.constants.W_OK)
    } catch {
      return `${folder} is not a writable cgroup v1 hierarchy`
    }
  }
  return null
}

const skipReason = unavailable()
if (skipReason) console.warn(`[cgroup.e2e] skipping real-kernel tests: ${skipReason}`)

/** The hierarchy folders to create test cgroups in, once each (`cpu` and `cpuacct` may be one folder). */
function hierarchies(names: string[]): string[] {
  const folders = new Map<string, string>()
  for (const name of names) {
    const folder = join(CGROUP_ROOT, name)
    if (fs.existsSync(join(folder, 'cgroup.procs'))) folders.set(fs.realpathSync(folder), folder)
  }
  return [...folders.values()]
}

const everyHierarchy = skipReason ? [] : hierarchies(['cpu', 'cpuacct', 'pids', 'blkio', 'memory', 'unified'])
/** Where the busy process goes: never memory, and not unified (the collectors read v1 here). */
const processHierarchies = skipReason ? [] : hierarchies(['cpu', 'cpuacct', 'pids', 'blkio'])

function createCgroup(child: string): void {
  for (const folder of everyHierarchy) fs.mkdirSync(join(folder, PARENT, child), { recursive: true })
}

/** Removes an empty test cgroup (no process ever ran in it) from every hierarchy. */
function removeCgroup(child: string): void {
  for (const folder of everyHierarchy) fs.rmdirSync(join(folder, PARENT, child))
}

/** rmdir of a cgroup fails with EBUSY while a process that just exited is still leaving it. */
async function removeWithRetry(path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      fs.rmdirSync(path)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return
      if (code !== 'EBUSY' || attempt === 40) throw error
      await Bun.sleep(50)
    }
  }
}

async function removeEverything(): Promise<void> {
  for (const folder of everyHierarchy) {
    const parent = join(folder, PARENT)
    if (!fs.existsSync(parent)) continue
    for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
      if (entry.isDirectory()) await removeWithRetry(join(parent, entry.name))
    }
    await removeWithRetry(parent)
  }
}

/** The one log file of test cgroup `child` in `directory` (target id: `/` written as `+`). */
function logOf(directory: string, child: string): Log {
  const files = fs.readdirSync(directory).filter((file) => file.startsWith(`${PARENT}+${child}_`) && file.endsWith('.log'))
  expect(files).toHaveLength(1)
  return readLog(join(directory, files[0]!))
}

function checkLayout(log: Log, child: string): void {
  expect(log.yaml).toContain(`${PARENT}/${child}`)
  expect(log.columns[0]).toBe('read')
  expect(log.rows.length).toBeGreaterThan(3)
  for (const row of log.rows) expect(row).toHaveLength(log.columns.length)
  const reads = column(log, 'read').map(BigInt)
  for (let i = 1; i < reads.length; i++) expect(reads[i]!).toBeGreaterThan(reads[i - 1]!)
}

describe.skipIf(skipReason !== null)('radvisor run cgroup on the real kernel', () => {
  let busy: ChildProcess | null = null
  const directories: string[] = []

  beforeAll(async () => {
    createCgroup('a')
    createCgroup('b')
    // Throttled so that the busy loop does not take a whole core of a shared machine.
    const cpu = join(CGROUP_ROOT, 'cpu', PARENT, 'a')
    if (fs.existsSync(join(cpu, 'cpu.cfs_quota_us'))) fs.writeFileSync(join(cpu, 'cpu.cfs_quota_us'), '20000')
    // Spins while its parent (this test process) lives, so that it cannot outlive a killed run.
    busy = spawn('sh', ['-c', 'while kill -0 $PPID 2>/dev/null; do :; done'], { stdio: 'ignore' })
    await new Promise((ready, fail) => busy!.once('spawn', ready).once('error', fail))
    for (const folder of processHierarchies) fs.writeFileSync(join(folder, PARENT, 'a', 'cgroup.procs'), String(busy.pid))
  })

  afterAll(async () => {
    if (busy) {
      busy.kill('SIGKILL')
      await exited(busy)
    }
    await removeEverything()
    for (const directory of directories) fs.rmSync(directory, { recursive: true, force: true })
  })

  function logDirectory(): string {
    const directory = fs.mkdtempSync(join(tmpdir(), 'radvisor-cgroup-e2e-'))
    directories.push(directory)
    return directory
  }

  test('writes one CSVY log per matching cgroup, with real values', async () => {
    const directory = logDirectory()
    const run = radvisor(['run', 'cgroup', '--match', `${PARENT}/*`, '--duration', '2s', '-d', directory, '--color', 'never'])
    try {
      expect(await exited(run.child)).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
    expect(fs.readdirSync(directory).filter((file) => file.endsWith('.log'))).toHaveLength(2)

    const busyLog = logOf(directory, 'a')
    checkLayout(busyLog, 'a')
    const usage = column(busyLog, 'cpu.usage.total').map(BigInt)
    for (let i = 1; i < usage.length; i++) expect(usage[i]!).toBeGreaterThanOrEqual(usage[i - 1]!)
    expect(usage.at(-1)!).toBeGreaterThan(usage[0]!)
    for (const pids of column(busyLog, 'pids.current')) expect(Number(pids)).toBeGreaterThanOrEqual(1)

    const idleLog = logOf(directory, 'b')
    checkLayout(idleLog, 'b')
    expect(idleLog.columns).toEqual(busyLog.columns)
    expect(new Set(column(idleLog, 'pids.current'))).toEqual(new Set(['0']))
  }, 30_000)

  test('picks up a cgroup created during the run and stops one removed mid-run', async () => {
    const directory = logDirectory()
    const run = radvisor(['run', 'cgroup', '--match', `${PARENT}/*`, '--poll', '200ms', '--duration', '4s', '-d', directory, '--color', 'never'])
    try {
      await run.waitFor(`Beginning collection for cgroup ${PARENT}/b`, 10_000)
      createCgroup('c')
      // Picked up at the next poll: 200ms plus slack for a busy machine.
      await run.waitFor(`Beginning collection for cgroup ${PARENT}/c`, 1500)
      removeCgroup('b')
      await run.waitFor(`Stopping collection for cgroup ${PARENT}/b`, 1500)
      expect(await exited(run.child)).toBe(0)
    } finally {
      run.child.kill('SIGKILL')
    }
    expect(run.stderr()).not.toContain('error:')

    const busyLog = logOf(directory, 'a')
    const created = logOf(directory, 'c')
    checkLayout(created, 'c')
    const removed = logOf(directory, 'b')
    checkLayout(removed, 'b')
    // b's rows end when it was removed, well before the run ended.
    const lastRead = (log: Log) => BigInt(column(log, 'read').at(-1)!)
    expect(lastRead(busyLog) - lastRead(removed)).toBeGreaterThan(500_000_000n)
  }, 30_000)
})
