import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Child } from './_children.ts'
import { cpuBetween, threadCpu } from './_proc.ts'

const benchDir = import.meta.dir
const cliBin = resolve(benchDir, '../packages/cli/src/bin.ts')
/** The child script that runs the collectors alone. */
export const collectorLoop = join(benchDir, '_collector-loop.ts')

/** Builds bench/floor.c with gcc into `scratch`; null (with the reason) where gcc is missing or fails. */
export async function buildFloor(scratch: string): Promise<{ binary: string } | { missing: string }> {
  const gcc = Bun.which('gcc')
  if (!gcc) return { missing: 'gcc not found: the floor is skipped and no ratios are computed (apt-get install gcc)' }
  const binary = join(scratch, 'floor')
  const build = Bun.spawnSync([gcc, '-O2', '-Wall', '-o', binary, join(benchDir, 'floor.c')], { stderr: 'pipe' })
  if (build.exitCode !== 0) return { missing: `gcc failed to build bench/floor.c:\n${build.stderr.toString()}` }
  return { binary }
}

/** CPU of a back-to-back run, in microseconds, over `ticks` ticks. */
export interface BackToBack {
  readonly ticks: number
  readonly cpuUs: number
}

/**
 * The floor, back to back (with `gapUs`, sleeping that long after each tick): CPU of its tick
 * loop (getrusage inside the program).
 */
export async function floorBackToBack(binary: string, fileList: string, ticks: number, gapUs = 0): Promise<BackToBack> {
  const child = new Child([binary, fileList, String(ticks), '0', String(gapUs)])
  const { stdout } = await child.finish('floor')
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { cpuUs: number; ticks: number }
  return { ticks: result.ticks, cpuUs: result.cpuUs }
}

export interface CollectorRun extends BackToBack {
  /** User-mode part of `cpuUs`: radvisor's own code and the runtime, without the kernel's reads. */
  readonly userUs: number
  /** Minor page faults during the measured ticks (should be about none: nothing is allocated per tick). */
  readonly pageFaults: number
  /** Rows collected in the measured ticks (should be ticks × targets). */
  readonly collected: number
  /** The cgroup files the collectors held open. */
  readonly files: string[]
  /** Peak RSS of the child, bytes. */
  readonly maxRss: number
}

/**
 * radvisor's collectors alone in a child Bun process: `warmup` ticks, then `ticks` measured
 * ticks back to back; CPU of the measured ticks, whole process (`process.cpuUsage`).
 */
export async function collectorBackToBack(
  root: string,
  pathsFile: string,
  warmup: number,
  ticks: number,
  columns: 'extended' | 'radvisor' = 'extended',
): Promise<CollectorRun> {
  const child = new Child([process.execPath, collectorLoop, root, pathsFile, String(warmup), String(ticks), columns])
  const { stdout } = await child.finish('collector loop')
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Omit<CollectorRun, 'maxRss'>
  return { ...result, maxRss: child.process.resourceUsage()?.maxRSS ?? Number.NaN }
}

/** How `radvisor run cgroup` is started for the bench's cgroups. */
export interface CliSetup {
  readonly root: string
  /** `--columns` of the runs: extended (the default) or radvisor. */
  readonly columns?: 'extended' | 'radvisor'
  /** `--match` pattern: the bench group's children. */
  readonly match: string
  readonly scratch: string
  readonly targets: number
  /**
   * How radvisor is started (`--radvisor`, split at spaces), e.g. `dist/radvisor-linux-x64`
   * for the standalone binary; by default Bun on the sources (`packages/cli/src/bin.ts`).
   */
  readonly radvisor?: readonly string[]
}

/** What the CLI printed at exit with -v, and what the process used. */
export interface CliRun {
  /** Whole-process user + system CPU, microseconds (getrusage of the child after it exited). */
  readonly cpuUs: number
  readonly maxRss: number
  readonly ticks: number
  readonly missed: number
  readonly lateness: { readonly p50: number; readonly p99: number; readonly max: number }
}

/**
 * Back to back, rows come faster than any flush interval: with the default `-b` (16 MiB) a
 * buffer would grow for seconds. 64 KiB makes each log write out every ~100 rows, as a periodic
 * run with the default flush every 2 s does at 50 ms.
 */
export const BACK_TO_BACK_BUFFER = ['-b', '64KiB']

/** The whole CLI back to back: `--interval 1us --ticks <ticks>` (every tick overruns its slot). */
export async function cliBackToBack(setup: CliSetup, ticks: number): Promise<CliRun> {
  return withDirectory(setup, async (directory) => {
    const child = new Child(cliCommand(setup, directory, [...BACK_TO_BACK_BUFFER, '--interval', '1us', '--ticks', String(ticks)]))
    const { stderr } = await child.finish('radvisor run')
    return cliResult(child, stderr, setup.targets)
  })
}

/** CPU used over a measured window of a periodic run, and the share of one core that is. */
export interface Windowed {
  readonly cpuNs: number
  readonly wallNs: number
  readonly share: number
}

/** The floor every `intervalMs`, for long enough to settle and be measured (it prints `ready` once its files are open). */
export function floorPeriodicCommand(binary: string, fileList: string, intervalMs: number, settleMs: number, windowMs: number): string[] {
  const ticks = Math.ceil((settleMs + windowMs + 60_000) / intervalMs)
  return [binary, fileList, String(ticks), String(Math.round(intervalMs * 1000))]
}

/** radvisor's collectors alone every `intervalMs` on its scheduler, until killed (it prints `ready` after warming up). */
export function collectorPeriodicCommand(root: string, pathsFile: string, columns: 'extended' | 'radvisor', intervalMs: number): string[] {
  return [process.execPath, collectorLoop, root, pathsFile, '200', '0', columns, String(intervalMs)]
}

/** The floor every `intervalMs`: CPU over a window after it opened its files and settled. */
export async function floorWindowed(binary: string, fileList: string, intervalMs: number, settleMs: number, windowMs: number): Promise<Windowed> {
  const child = new Child(floorPeriodicCommand(binary, fileList, intervalMs, settleMs, windowMs))
  await child.waitFor('stdout', /^ready$/m)
  const window = await measureWindow(child.pid, settleMs, windowMs)
  await child.kill()
  return window
}

/** The collectors alone every `intervalMs`, on radvisor's scheduler: CPU over a window after warm-up and settling. */
export async function collectorWindowed(
  root: string,
  pathsFile: string,
  columns: 'extended' | 'radvisor',
  intervalMs: number,
  settleMs: number,
  windowMs: number,
): Promise<Windowed> {
  const child = new Child(collectorPeriodicCommand(root, pathsFile, columns, intervalMs))
  await child.waitFor('stdout', /^ready$/m)
  const window = await measureWindow(child.pid, settleMs, windowMs)
  await child.kill()
  return window
}

/**
 * The whole CLI every `intervalMs` (default 50 ms) with its default settings otherwise: CPU
 * over a window, then SIGTERM, punctuality and RSS at exit.
 */
export async function cliWindowed(setup: CliSetup, intervalMs: number, settleMs: number, windowMs: number, extra: string[] = []): Promise<Windowed & CliRun> {
  return withDirectory(setup, async (directory) => {
    // --duration only as a safety net should the bench die without sending SIGTERM.
    const safety = `${Math.ceil((settleMs + windowMs) / 1000) + 60}s`
    const child = new Child(cliCommand(setup, directory, ['--interval', `${intervalMs}ms`, '--duration', safety, ...extra]))
    await child.waitFor('stderr', /Beginning\s+collection every/)
    const window = await measureWindow(child.pid, settleMs, windowMs)
    child.process.kill('SIGTERM')
    const { stderr } = await child.finish('radvisor run')
    return { ...window, ...cliResult(child, stderr, setup.targets) }
  })
}

/** `--radvisor`'s words: how radvisor is started, or undefined for the sources. */
export function radvisorCommand(option: string | undefined): string[] | undefined {
  const words = option?.split(' ').filter(Boolean)
  return words && words.length > 0 ? words : undefined
}

let ownBun: string | null = null

/**
 * A copy of this Bun for the CLI's runs, made once per bench (removed at exit). The kernel
 * does not page out pages that another process maps, and the bench is a Bun process too: run
 * from the same file, the CLI could not give back the startup pages the two share
 * (`radvisor run` does, see bench/README.md), which a deployed radvisor, alone with its
 * executable, does.
 */
function cliBun(): string {
  if (ownBun !== null) return ownBun
  const folder = mkdtempSync(join(tmpdir(), 'radvisor-bench-bun-'))
  process.once('exit', () => rmSync(folder, { recursive: true, force: true }))
  ownBun = join(folder, 'bun')
  copyFileSync(process.execPath, ownBun)
  chmodSync(ownBun, 0o755)
  return ownBun
}

/**
 * `radvisor run cgroup` over the bench cgroups, logging to `directory`, with `extra` options
 * (otherwise the defaults), from the sources on a copy of this Bun (`cliBun`) unless
 * `setup.radvisor` says otherwise; `bunFlags` go to Bun itself (e.g. `--cpu-prof`).
 */
export function cliCommand(setup: CliSetup, directory: string, extra: string[], bunFlags: string[] = []): string[] {
  if (setup.radvisor && bunFlags.length > 0) throw new Error(`Bun's flags (${bunFlags.join(' ')}) apply to the sources, not to --radvisor ${setup.radvisor.join(' ')}`)
  return [...(setup.radvisor ?? [cliBun(), ...bunFlags, cliBin]), 'run', 'cgroup', '--match', setup.match, '--cgroup-root', setup.root, '-d', directory, '-v', '--color', 'never', ...(setup.columns ? ['--columns', setup.columns] : []), ...extra]
}


const PUNCTUALITY = /Punctuality\s+(\d+) ticks, (\d+) missed; lateness p50 ([\d.]+)ms, p99 ([\d.]+)ms, max ([\d.]+)ms/
const FINISHED = /Finished\s+\d+ rows from (\d+) targets/

function cliResult(child: Child, stderr: string, targets: number): CliRun {
  const punctuality = PUNCTUALITY.exec(stderr)
  const finished = FINISHED.exec(stderr)
  if (!punctuality || !finished) throw new Error(`radvisor run printed no punctuality line:\n${stderr.slice(-2000)}`)
  if (Number(finished[1]) !== targets) {
    throw new Error(`radvisor run collected ${finished[1]} targets, expected ${targets}:\n${stderr.slice(-2000)}`)
  }
  const usage = child.process.resourceUsage()
  return {
    cpuUs: Number(usage?.cpuTime.total ?? Number.NaN),
    maxRss: usage?.maxRSS ?? Number.NaN,
    ticks: Number(punctuality[1]),
    missed: Number(punctuality[2]),
    lateness: { p50: Number(punctuality[3]), p99: Number(punctuality[4]), max: Number(punctuality[5]) },
  }
}

/** Samples the process's CPU `settleMs` after now and again `windowMs` later. */
async function measureWindow(pid: number, settleMs: number, windowMs: number): Promise<Windowed> {
  await Bun.sleep(settleMs)
  const cpuStart = threadCpu(pid)
  const wallStart = Bun.nanoseconds()
  await Bun.sleep(windowMs)
  const cpuNs = cpuBetween(cpuStart, threadCpu(pid)).get('')!
  const wallNs = Bun.nanoseconds() - wallStart
  return { cpuNs, wallNs, share: cpuNs / wallNs }
}

/** Runs `work` with a fresh log directory, removed afterwards (CSVY logs of big runs are large). */
async function withDirectory<T>(setup: CliSetup, work: (directory: string) => Promise<T>): Promise<T> {
  const directory = mkdtempSync(join(setup.scratch, 'logs-'))
  try {
    return await work(directory)
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
