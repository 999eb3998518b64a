/**
 * Shared by the guest tests (`test/vm/tests/<mode>/*.vm.ts`). They run inside the qemu guest
 * of test/vm/run.sh, as root, on a cgroup v2 kernel that is theirs alone: they may create
 * cgroups anywhere, move processes into memory cgroups and start their own engines. The
 * radvisor under test is the compiled binary that RADVISOR_BIN names.
 */
import { expect } from 'bun:test'
import { type Subprocess, spawn } from 'bun'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { column, exited, type Log, radvisor, readLog } from '../../_support.ts'

export { column, exited, type Log, radvisor, readLog }

export const CGROUP_ROOT = '/sys/fs/cgroup'

/** Whether this process runs in the VM guest that run.sh booted (never on the host). */
export const IN_GUEST = process.env.RADVISOR_VM_MODE !== undefined && process.env.RADVISOR_BIN !== undefined
if (!IN_GUEST) throw new Error('guest tests run inside the VM only: use test/vm/run.sh quick|full')

/**
 * Whether the guest is emulated (qemu TCG), where everything runs several times slower than on
 * the hardware: tests that race a workload's lifetime scale it by `EMULATION_SLOWDOWN`.
 */
export const EMULATED = process.env.RADVISOR_VM_ACCEL !== 'kvm'
export const EMULATION_SLOWDOWN = EMULATED ? 10 : 1

/** How a command ended, and what it wrote. */
export interface Outcome {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end, with `env` added to the environment; never throws for its exit code. */
export async function outcome(argv: readonly string[], env: Record<string, string> = {}): Promise<Outcome> {
  const child = spawn([...argv], { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, ...env } })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

/** Runs a command; returns its trimmed stdout, throws with its stderr when it fails. */
export async function run(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await outcome(args)
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}: ${stderr.trim()}`)
  return stdout.trim()
}

/**
 * A shell command line whose own process outgrows a memory limit of `limitMiB`, until the
 * kernel kills it: `tail` keeps all it reads when no newline comes. It reads `limitMiB - 5`
 * MiB at once (about 2 MiB/s emulated), then 256 KiB every 50 ms, so that samples see it
 * near the limit before the kill. The data comes through `fifo` (a path to create) from a
 * writer that ends with it.
 */
export function outgrow(limitMiB: number, fifo: string): string {
  const feed = `head -c ${(limitMiB - 5) * 1024 * 1024} /dev/zero; while head -c 262144 /dev/zero; do sleep 0.05; done`
  return `mkfifo ${fifo}; { ${feed}; } >${fifo} & exec tail ${fifo}`
}

/** The log that `radvisor exec` names in its summary (`  log: <file>`). */
export function execLog(stderr: string): string {
  const match = /^ {2}log: (.+)$/m.exec(stderr)
  if (!match) throw new Error(`no log line in radvisor exec's stderr:\n${stderr}`)
  return match[1]!
}

/** Creates cgroup `path` (relative to the root), enabling cpu, memory, io and pids for it on every parent. */
export function makeCgroup(path: string, files: Record<string, string> = {}): string {
  let parent = CGROUP_ROOT
  for (const segment of path.split('/')) {
    fs.writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu +memory +io +pids')
    parent = join(parent, segment)
    fs.mkdirSync(parent, { recursive: true })
  }
  for (const [file, value] of Object.entries(files)) fs.writeFileSync(join(parent, file), value)
  return parent
}

/** Removes cgroup `path` and its children, once their processes are gone. */
export function removeCgroup(path: string): void {
  const folder = join(CGROUP_ROOT, path)
  if (!fs.existsSync(folder)) return
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(join(path, entry.name))
  }
  fs.rmdirSync(folder)
}

/** Starts `command` (a shell command line) inside cgroup `path`, which it joins before it execs. */
export function spawnIn(path: string, command: string): Subprocess {
  return spawn(['sh', '-c', `echo $$ > ${join(CGROUP_ROOT, path, 'cgroup.procs')} && exec ${command}`], { stdout: 'ignore', stderr: 'inherit' })
}

/** The whole trimmed text of a cgroup file, or with `key` the value of that key in a flat-keyed file (cpu.stat, memory.stat). */
export function kernelValue(path: string, file: string, key?: string): string {
  const text = fs.readFileSync(join(CGROUP_ROOT, path, file), 'utf8').trim()
  if (key === undefined) return text
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${key} `))
  if (line === undefined) throw new Error(`no ${key} in ${path}/${file}`)
  return line.slice(key.length + 1)
}

/** Waits until cgroup `path` is frozen (`cgroup.events`): a pause has taken effect and its counters stand still. */
export async function waitFrozen(path: string, timeoutMs = 30_000): Promise<void> {
  await eventually(() => kernelValue(path, 'cgroup.events', 'frozen') === '1', timeoutMs, `cgroup ${path} frozen`)
}

/** The log file of target `id` in `directory`, once it has at least `rows` rows. */
export async function waitForLog(directory: string, id: string, rows: number, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const file = fs.existsSync(directory) ? fs.readdirSync(directory).find((name) => name.startsWith(`${id}_`) && name.endsWith('.log')) : undefined
    if (file) {
      const text = fs.readFileSync(join(directory, file), 'utf8')
      const body = text.indexOf('\n---\n', 3)
      if (body > 0 && text.slice(body + 5).split('\n').length - 2 >= rows) return join(directory, file)
    }
    if (performance.now() > deadline) throw new Error(`no log with ${rows} rows for ${id} in ${directory} within ${timeoutMs}ms`)
    await Bun.sleep(50)
  }
}

export async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} not within ${timeoutMs}ms`)
    await Bun.sleep(50)
  }
}

/** The log's YAML header as an object. */
export function header(log: Log): Record<string, any> {
  return parse(log.yaml) as Record<string, any>
}

/** Cores used between the first and the last row: the rise of `cpu.stat/usage_usec` over the rise of `read`. */
export function coresUsed(log: Log): number {
  const reads = column(log, 'read').map(BigInt)
  const usage = column(log, 'cpu.stat/usage_usec').map(Number)
  const seconds = Number(reads.at(-1)! - reads[0]!) / 1e9
  expect(seconds).toBeGreaterThan(1)
  return (usage.at(-1)! - usage[0]!) / 1e6 / seconds
}

/** The last row's value of `name`, as the kernel's files give it (a number or `max`). */
export function last(log: Log, name: string): string {
  return column(log, name).at(-1)!
}

/** Every value of `name` never decreases (a counter). */
export function expectMonotonic(log: Log, name: string): void {
  const values = column(log, name).map(BigInt)
  for (let i = 1; i < values.length; i++) expect(values[i]! >= values[i - 1]!).toBe(true)
}

/**
 * The pressure (PSI) and memory-events files of cgroup `path` exist and have the kernel's
 * layout, so that collectors of those signals can be tested here.
 */
export function expectPressureAndEvents(path: string): void {
  for (const resource of ['cpu', 'memory', 'io']) {
    const text = kernelValue(path, `${resource}.pressure`)
    expect(text).toMatch(/^some avg10=\d+\.\d\d avg60=\d+\.\d\d avg300=\d+\.\d\d total=\d+\nfull avg10=\d+\.\d\d avg60=\d+\.\d\d avg300=\d+\.\d\d total=\d+$/)
  }
  const events = kernelValue(path, 'memory.events')
  for (const key of ['low', 'high', 'max', 'oom', 'oom_kill']) expect(events).toMatch(new RegExp(`^${key} \\d+$`, 'm'))
}

/** Stops radvisor gracefully and waits for exit 0 (rows flushed, logs complete). */
export async function stopRadvisor(run: ReturnType<typeof radvisor>): Promise<void> {
  run.child.kill('SIGINT')
  const code = await exited(run.child)
  if (code !== 0) throw new Error(`radvisor exited ${code}; stderr:\n${run.stderr()}`)
}
