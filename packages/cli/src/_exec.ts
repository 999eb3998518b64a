import * as nodeFs from 'node:fs'
import { homedir } from 'node:os'
import { dirname } from 'node:path'
import { type CgroupLimits, CONTROLLER_NAMES, type CreatedCgroup, createCgroup, detectHierarchy, type Hierarchy } from '@radvisor/cgroup'
import {
  type ColorMode,
  describeError,
  formatDuration,
  formatError,
  Logger,
  parseDuration,
  parseSize,
  printable,
  RadvisorError,
  systemTimer,
  plural,
} from '@radvisor/core'
import type { Report } from '@radvisor/report'
import { type CommandExit, checkCommand, forwardSignals, type GatedCommand, spawnGated } from './_exec-process.ts'
import { commandLine, ExecProvider, execTarget, execTargetId } from './_exec-provider.ts'
import { type SystemdScope, scopeCgroup, splitScope, systemdRunPrefix, systemdScope } from './_exec-systemd.ts'
import { repeated } from './_flags.ts'
import { logPunctuality, prepareRun, reportLosses, type RunArgs } from './_run.ts'
import { runArgs } from './args.ts'

/** The controllers the cgroup collectors read. */
export const DEFAULT_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'] as const
/** Where the command's cgroup goes when systemd does not make it. */
export const CGROUP_PARENT = 'radvisor'

/** The exec-only options, checked. */
interface ExecOptions {
  readonly controllers: readonly string[]
  /** `--cgroup-parent`, normalised; null when not given. */
  readonly parent: string | null
  readonly limits: CgroupLimits
  readonly maxLingerMs: number
  readonly html: string | null
  readonly report: boolean
}

/** Where the command runs: its process, its cgroup, and how that cgroup goes away. */
interface Placement {
  readonly command: GatedCommand
  /** The cgroup, relative to the cgroup root (or each v1 controller's folder). */
  readonly cgroup: string
  readonly scope: SystemdScope | null
  /** The processes in the cgroup now. */
  processes(): number[]
  /** After the last sample: removes the cgroup; `lingering` processes are moved out first. Says what became of them. */
  release(lingering: readonly number[]): Promise<string>
}

/**
 * `radvisor exec [options] -- <command>`: runs `command` in a cgroup of its own, samples
 * it from before it starts until it and its children have exited, prints the summary and
 * returns the command's exit status (DESIGN §10).
 */
export async function execute(args: RunArgs, own: string[], command: string[]): Promise<number> {
  const fs = nodeFs
  const logger = new Logger(undefined, args.quiet ? 'quiet' : args.verbose ? 'verbose' : 'warnings', (args.color as ColorMode) ?? 'auto')
  const options = parseExecOptions(args, command)
  refuseStdoutSinks(args, own)
  const problem = checkCommand(fs, command[0]!)
  if (problem) {
    process.stderr.write(`${formatError(new RadvisorError('cli', 'E_NOT_FOUND', problem.message))}\n`)
    return problem.status
  }

  const provider = new ExecProvider()
  const directory = typeof args.directory === 'string' ? args.directory : defaultDirectory()
  const planArgs: RunArgs = { ...args, directory, poll: runArgs.poll.default }
  const prepared = await prepareRun(provider.definition(), planArgs, ['--sink', 'csvy', ...own], logger)
  const { planned } = prepared
  let gate: () => void = () => {}
  const runner = prepared.runner((ticks) => {
    if (ticks === 1) gate()
  })
  const hierarchy = detectHierarchy({ root: planned.cgroupRoot, fs })
  const id = execTargetId(command[0]!, process.pid)
  const openedAt = Date.now()

  // From here on a signal must not end radvisor: it would leave the cgroup behind.
  let exited = false
  const interrupted = Promise.withResolvers<NodeJS.Signals>()
  const signals = forwardSignals(fs, (signal) => {
    if (exited) interrupted.resolve(signal)
  })
  try {
    let placement: Placement
    try {
      const scope =
        options.parent === null ? systemdScope({ fs, hierarchy, uid: process.getuid?.() ?? 0, env: process.env, which: (p) => Bun.which(p) }, id) : null
      placement = scope ? await placeInScope(hierarchy, scope, command, options, logger) : await placeInCgroup(hierarchy, id, command, options, logger)
    } catch (error) {
      await runner.stop()
      throw withPermissionHint(error)
    }
    signals.forwardTo(placement.command)
    provider.place(
      execTarget({
        id,
        command,
        pid: placement.command.pid,
        cgroup: placement.cgroup,
        scope: placement.scope?.unit ?? null,
        cwd: process.cwd(),
        polledAt: Date.now(),
      }),
    )
    let startedAt = Number.NaN
    gate = () => {
      startedAt = performance.now()
      placement.command.open()
    }

    let exit: CommandExit
    try {
      await runner.start()
      logger.status('Started', `${commandLine(command)} (pid ${placement.command.pid}) in cgroup ${placement.cgroup}`)
      exit = await placement.command.exit
    } catch (error) {
      // radvisor itself failed: the command must not run on in a cgroup nobody removes.
      placement.command.signal('SIGKILL')
      await placement.command.exit
      await runner.stop().catch(() => {})
      await placement.release(placement.processes()).catch(() => {})
      throw error
    }
    exited = true
    const wallMs = performance.now() - startedAt
    const lingering = await waitForProcesses(placement, options.maxLingerMs, planned.settings.intervalMs, interrupted.promise, logger)
    const { stats, losses } = await runner.stop()
    reportLosses(logger, losses, "radvisor exec still exits with the command's code")
    logPunctuality(logger, stats)
    const note = await placement.release(lingering)
    if (note) logger.warn(note)
    try {
      await summarise(fs, { directory, id, openedAt, command, exit, wallMs, options, logger, quiet: args.quiet === true })
    } catch (error) {
      // The command's status stays the exit code: what failed here is radvisor's afterword.
      logger.error(error)
    }
    return exit.status
  } finally {
    signals.stop()
  }
}

function parseExecOptions(args: RunArgs, command: readonly string[]): ExecOptions {
  if (command.length === 0) throw new RadvisorError('cli', 'E_OPTION', 'no command given: radvisor exec [options] -- <command> [args...]')
  const text = (name: string): string | undefined => (typeof args[name] === 'string' ? (args[name] as string) : undefined)

  const controllers = [...new Set((text('controllers') ?? '').split(',').map((name) => name.trim()))]
  for (const name of controllers) {
    if (!CONTROLLER_NAMES.has(name)) {
      throw new RadvisorError('cli', 'E_OPTION', `invalid value '${name}' for --controllers: expected cgroup controllers such as ${DEFAULT_CONTROLLERS.join(',')}`)
    }
  }
  const limits: { cpus?: number; memoryBytes?: number } = {}
  const cpus = text('cpus')
  if (cpus !== undefined) {
    const value = /^\d+(\.\d+)?$/.test(cpus) ? Number(cpus) : Number.NaN
    if (!(value >= 0.01)) {
      throw new RadvisorError('cli', 'E_OPTION', `invalid value '${cpus}' for --cpus: expected a number of cores of at least 0.01, such as 0.5 or 2`)
    }
    if (!controllers.includes('cpu')) throw new RadvisorError('cli', 'E_OPTION', '--cpus needs the cpu controller: add cpu to --controllers')
    limits.cpus = value
  }
  const memory = text('memory')
  if (memory !== undefined) {
    limits.memoryBytes = parseSize(memory, '--memory')
    if (!controllers.includes('memory')) throw new RadvisorError('cli', 'E_OPTION', '--memory needs the memory controller: add memory to --controllers')
  }
  const linger = text('max-linger') ?? '10s'
  // 0 (no linger) is the one duration without a unit parseDuration has no use for.
  const maxLingerMs = /^0+(\.0+)?(d|h|m|s|ms|us)?$/.test(linger) ? 0 : parseDuration(linger, '--max-linger')
  const html = text('html') ?? null
  if (html !== null) checkWritableFile(html)
  return { controllers, parent: parseParent(text('cgroup-parent')), limits, maxLingerMs, html, report: args.report === true }
}

/** The page is written after the command: a file that cannot be written is refused before it starts. */
function checkWritableFile(path: string): void {
  try {
    const stats = nodeFs.statSync(path, { throwIfNoEntry: false })
    if (stats?.isDirectory()) throw new Error('it is a directory')
    if (stats) nodeFs.accessSync(path, nodeFs.constants.W_OK)
    else nodeFs.accessSync(dirname(path), nodeFs.constants.W_OK | nodeFs.constants.X_OK)
  } catch (error) {
    throw new RadvisorError('cli', 'E_OPTION', `cannot write --html ${path} (${describeError(error)}); give a writable file path`)
  }
}

/** stdout is the command's: a sink that would write there (jsonl without a path) is refused. */
function refuseStdoutSinks(args: RunArgs, own: readonly string[]): void {
  const toStdout =
    repeated(own, 'sink').includes('jsonl') && typeof args['jsonl-path'] !== 'string' && !repeated(own, 'sink-option').some((value) => value.startsWith('jsonl.path='))
  if (toStdout) {
    throw new RadvisorError('cli', 'E_OPTION', "--sink jsonl would write to stdout, which is the command's under radvisor exec: give it a file with --jsonl-path")
  }
}

/** `--cgroup-parent`: a path inside the cgroup tree; `..` could leave it. */
function parseParent(text: string | undefined): string | null {
  if (text === undefined) return null
  const parts = text.split('/').filter((part) => part !== '')
  // biome-ignore lint: control characters are what this rejects
  if (parts.some((part) => part === '.' || part === '..' || /[\x00-\x1f\x7f]/.test(part))) {
    throw new RadvisorError('cli', 'E_OPTION', `invalid value '${JSON.stringify(text).slice(1, -1)}' for --cgroup-parent: expected a cgroup path such as radvisor or user.slice/bench, without . or .. parts`)
  }
  return parts.join('/')
}

/** As root radvisor's usual log directory; for other users their state directory. */
function defaultDirectory(): string {
  if (process.getuid?.() === 0) return runArgs.directory.default
  const state = process.env.XDG_STATE_HOME || `${homedir()}/.local/state`
  return `${state}/radvisor/stats`
}

/** A cgroup radvisor makes itself (`--cgroup-parent`, v1 hosts, v2 hosts without systemd): fork, join, then exec. */
async function placeInCgroup(hierarchy: Hierarchy, id: string, command: readonly string[], options: ExecOptions, logger: Logger): Promise<Placement> {
  const fs = nodeFs
  const cgroup = createCgroup({
    fs,
    hierarchy,
    parent: options.parent ?? CGROUP_PARENT,
    name: id,
    controllers: options.controllers,
    limits: options.limits,
    removeEmptyParents: options.parent === null,
  })
  warnMissing(cgroup, logger)
  let gated: GatedCommand | null = null
  try {
    gated = await spawnGated(command)
    cgroup.join(gated.pid)
  } catch (error) {
    if (gated) {
      gated.signal('SIGKILL')
      await gated.exit
    }
    await cgroup.remove(systemTimer).catch(() => {})
    throw error
  }
  return {
    command: gated,
    cgroup: cgroup.path,
    scope: null,
    processes: () => cgroup.processes(),
    async release(lingering) {
      const note =
        lingering.length === 0
          ? ''
          : `${plural(lingering.length, 'process')} of the command still running after --max-linger (pids ${lingering.join(', ')}): ` +
            `left running, moved to radvisor's own cgroup (${cgroup.evacuate().length} moved), no longer sampled`
      await cgroup.remove(systemTimer)
      return note
    },
  }
}

/**
 * A transient systemd scope (systemd-run --scope, as systemd wants), delegated: the command
 * runs in `<scope>/command`, with the limits, while the keeper holds the scope until the last
 * sample (`splitScope`). Then radvisor removes `command` and lets the keeper go, and systemd
 * removes the scope.
 */
async function placeInScope(hierarchy: Hierarchy, scope: SystemdScope, command: readonly string[], options: ExecOptions, logger: Logger): Promise<Placement> {
  const fs = nodeFs
  const gated = await spawnGated(command, systemdRunPrefix(scope, options.controllers), { keeper: true })
  let cgroup: CreatedCgroup
  try {
    let keeper: number
    try {
      keeper = (await gated.ready)!
    } catch (error) {
      throw new RadvisorError('cli', 'E_CGROUP', `cannot start the command in a systemd scope: ${describeError(error)}; systemd-run's message is above`, { cause: error })
    }
    cgroup = splitScope({ fs, hierarchy, scope: scopeCgroup(fs, gated.pid, scope), command: gated.pid, keeper, controllers: options.controllers, limits: options.limits })
  } catch (error) {
    gated.signal('SIGKILL')
    gated.releaseKeeper()
    await gated.exit
    throw error
  }
  warnMissing(cgroup, logger)
  return {
    command: gated,
    cgroup: cgroup.path,
    scope,
    processes: () => cgroup.processes(),
    async release(lingering) {
      try {
        if (lingering.length === 0) await cgroup.remove(systemTimer)
      } finally {
        gated.releaseKeeper()
      }
      if (lingering.length === 0) return ''
      return (
        `${plural(lingering.length, 'process')} of the command still running after --max-linger (pids ${lingering.join(', ')}): ` +
        `left running in ${scope.unit}, which systemd removes when they exit (systemctl${scope.user ? ' --user' : ''} stop ${scope.unit} ends them); no longer sampled`
      )
    },
  }
}

/** One warning per reason for the controllers asked for that the cgroup has not. */
function warnMissing(cgroup: CreatedCgroup, logger: Logger): void {
  const byReason = Map.groupBy(cgroup.missing, (entry) => entry.reason)
  for (const [reason, entries] of byReason) {
    const names = entries.map((entry) => entry.controller).join(', ')
    logger.warn(`cgroup ${cgroup.path} has no ${names} controller${entries.length === 1 ? '' : 's'} (${reason}): the columns that need ${entries.length === 1 ? 'it' : 'them'} stay empty`)
  }
}

/**
 * After the command exits: waits until no process is left in its cgroup, sampling on,
 * for at most `maxMs` or until a signal arrives. Returns the processes still there.
 */
async function waitForProcesses(placement: Placement, maxMs: number, intervalMs: number, interrupted: Promise<NodeJS.Signals>, logger: Logger): Promise<number[]> {
  let pids = placement.processes()
  if (pids.length === 0 || maxMs === 0) return pids
  logger.warn(`the command exited; ${plural(pids.length, 'process')} it started still run (pids ${pids.join(', ')}): sampling until they exit, for at most --max-linger ${formatDuration(maxMs)}`)
  let signal: NodeJS.Signals | null = null
  void interrupted.then((received) => {
    signal = received
  })
  const deadline = performance.now() + maxMs
  while (pids.length > 0 && signal === null) {
    const left = deadline - performance.now()
    if (left <= 0) return pids
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)))
    pids = placement.processes()
  }
  if (signal !== null && pids.length > 0) logger.warn(`stopped waiting for the command's processes on ${signal}`)
  return pids
}

interface SummaryInput {
  readonly directory: string
  readonly id: string
  readonly openedAt: number
  readonly command: readonly string[]
  readonly exit: CommandExit
  readonly wallMs: number
  readonly options: ExecOptions
  readonly logger: Logger
  readonly quiet: boolean
}

/** The summary on stderr (the report of the log just written) and the `--html` page. */
async function summarise(fs: typeof nodeFs, input: SummaryInput): Promise<void> {
  const { options, logger, exit } = input
  if (input.quiet && options.html === null) return
  // Loaded only now: the command has ended, and its start is not held up by modules it does not need yet.
  const { defaultReportOptions, formatBrief, formatProblem, formatText, reportFiles } = await import('@radvisor/report')
  let report: Report
  let log: string
  try {
    log = findLog(fs, input.directory, input.id, input.openedAt)
    report = await reportFiles(fs, [log], defaultReportOptions, options.html !== null)
  } catch (error) {
    logger.warn(`no summary: ${describeError(error)}`)
    return
  }
  for (const problem of report.problems) logger.warn(formatProblem(problem))
  if (!input.quiet) {
    const ended = exit.signal ? `was killed by ${exit.signal} (status ${exit.status})` : `exited with ${exit.status}`
    const wall = Number.isFinite(input.wallMs) ? ` after ${(input.wallMs / 1000).toFixed(3)} s` : ''
    const body = options.report ? formatText(report) : formatBrief(report, report.targets[0]!.summary)
    // Written past the Logger, so escaped here: the command line and -d come from outside.
    process.stderr.write(`radvisor exec: ${printable(commandLine(input.command))} ${ended}${wall}\n${body}  log: ${printable(log)}\n`)
  }
  if (options.html !== null) {
    const { writeHtmlFile } = await import('./_html.ts')
    writeHtmlFile(options.html, report, 'cli')
    logger.status('Wrote', options.html)
  }
}

/** The log the CSVY sink wrote for `id` in this run: `<id>_<unix seconds>[_n].log`, the newest not older than the run. */
function findLog(fs: typeof nodeFs, directory: string, id: string, openedAt: number): string {
  const since = Math.floor(openedAt / 1000)
  const logName = new RegExp(`^${id.replaceAll('.', '\\.')}_(\\d+)(?:_(\\d+))?\\.log$`)
  const candidates = fs
    .readdirSync(directory)
    .map((name) => ({ name, match: logName.exec(name) }))
    .filter(({ match }) => match !== null && Number(match[1]) >= since)
    .sort((a, b) => Number(a.match![1]) - Number(b.match![1]) || Number(a.match![2] ?? 0) - Number(b.match![2] ?? 0))
  const newest = candidates.at(-1)
  if (!newest) throw new RadvisorError('cli', 'E_IO', `the log of ${id} is not in ${directory}`)
  return `${directory.replace(/\/+$/, '')}/${newest.name}`
}

/** A cgroup that cannot be made for lack of rights: one line on what is needed. */
function withPermissionHint(error: unknown): unknown {
  const code = ((error as { cause?: NodeJS.ErrnoException } | null)?.cause as NodeJS.ErrnoException | undefined)?.code
  if (!(error instanceof RadvisorError) || !code || !['EACCES', 'EPERM', 'EROFS'].includes(code)) return error
  return new RadvisorError(
    'cli',
    'E_CGROUP',
    `radvisor exec needs a cgroup of its own and ${error.message}: run it as root, or as a user on a cgroup v2 host with systemd (it uses systemd-run --user --scope), or pass --cgroup-parent a cgroup delegated to you`,
    { cause: error },
  )
}

