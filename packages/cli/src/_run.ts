import {
  type CollectorFactory,
  ExitCode,
  Logger,
  type Loss,
  LossLedger,
  type OptionSpecs,
  type PluginContext,
  type ProviderDefinition,
  pageOutExecutable,
  parseDuration,
  parseSize,
  RadvisorError,
  type ResolvedOptions,
  resolveOptions,
  Runner,
  type RunSettings,
  type Sink,
  type SinkDefinition,
  systemClock,
  systemFileSystem,
  systemTimer,
  type TickStats,
  plural,
} from '@radvisor/core'
import { setDeadline } from './_deadline.ts'
import { repeated } from './_flags.ts'
import { checkDirectory, checkOutputFile } from './_paths.ts'
import { createSink, loadSink } from './_plugins.ts'
import { runArgs } from './args.ts'
import { sinks as builtinSinks } from './registry.ts'
import { version } from './version.ts'

/** Parsed options of `radvisor run <provider>`. */
export type RunArgs = Record<string, string | boolean | string[] | undefined> & { _: string[] }

/** The longest `--interval`, `--poll` and `--flush-every` (documented in args.ts and the README). */
const MAX_PERIOD_MS = 3_600_000
/** The longest `--duration`: a million hours (114 years), far beyond one timer (setDeadline re-arms). */
const MAX_DURATION_MS = 1_000_000 * 3_600_000

interface SinkPlan {
  /** What `--sink` said: a built-in name, a path or a package. */
  readonly spec: string
  readonly definition: SinkDefinition
  readonly options: ResolvedOptions<OptionSpecs>
  /** The flag that sets option `key` of this sink, for messages. */
  readonly flagFor: (key: string) => string
}

/** Validates everything the user typed, paths included; creates nothing. */
async function plan(definition: ProviderDefinition, args: RunArgs, rawArgs: string[]) {
  const text = (name: string) => (typeof args[name] === 'string' ? (args[name] as string) : undefined)
  const period = (name: string) => parseDuration(text(name)!, `--${name}`, { maxMs: MAX_PERIOD_MS })
  const settings: RunSettings = {
    version,
    intervalMs: period('interval'),
    directory: text('directory')!,
    bufferBytes: parseSize(text('buffer')!, '--buffer'),
    flushLog: text('flush-log') ?? null,
    flushEveryMs: period('flush-every'),
  }
  const pollMs = period('poll')
  const durationMs = text('duration') === undefined ? null : parseDuration(text('duration')!, '--duration', { maxMs: MAX_DURATION_MS })
  const ticks = text('ticks') === undefined ? null : parseTicks(text('ticks')!)

  const providerRaw = Object.fromEntries(
    Object.entries(definition.options).map(([key, spec]) => [
      key,
      spec.repeatable ? repeated(rawArgs, key).join(',') || undefined : optionText(args[key]),
    ]),
  )
  const providerFlag = (key: string) => `--${key}`
  const providerOptions = resolveOptions(definition.name, definition.options, providerRaw, providerFlag)
  const sinks = await planSinks(args, rawArgs)

  // -d is where csvy writes; other sinks may ignore it, so its default is only checked for csvy.
  if (settings.directory !== runArgs.directory.default || sinks.some((sink) => sink.spec === 'csvy')) {
    checkDirectory(settings.directory, '-d/--directory')
  }
  if (settings.flushLog !== null) checkOutputFile(settings.flushLog, '-f/--flush-log')
  checkFileOptions(definition.options, providerOptions, providerFlag)
  for (const sink of sinks) checkFileOptions(sink.definition.options, sink.options, sink.flagFor)
  return { settings, pollMs, durationMs, ticks, providerOptions, sinks, cgroupRoot: text('cgroup-root')!, columns: text('columns') as 'extended' | 'radvisor' }
}

/** Loads and resolves every `--sink`, with its `--sink-option`s and (for built-ins) `--<sink>-<key>` flags. */
async function planSinks(args: RunArgs, rawArgs: string[]): Promise<SinkPlan[]> {
  const given = [...new Set(repeated(rawArgs, 'sink'))]
  const specs = given.length > 0 ? given : ['csvy']
  const sinkOptions = parseSinkOptions(repeated(rawArgs, 'sink-option'))
  const sinks: SinkPlan[] = []
  for (const spec of specs) {
    const sink = await loadSink(spec)
    const builtin = spec in builtinSinks
    const raw: Record<string, string | undefined> = { ...sinkOptions.get(sink.name) }
    if (builtin) {
      for (const [key, spec] of Object.entries(sink.options)) {
        const flag = `${sink.name}-${key}`
        raw[key] ??= spec.repeatable ? repeated(rawArgs, flag).join(',') || undefined : optionText(args[flag])
      }
    }
    sinkOptions.delete(sink.name)
    const flagFor = (key: string) => (builtin ? `--${sink.name}-${key}` : `--sink-option ${sink.name}.${key}`)
    sinks.push({ spec, definition: sink, options: resolveOptions(sink.name, sink.options, raw, flagFor), flagFor })
  }
  const [unused] = sinkOptions.keys()
  if (unused !== undefined) {
    throw new RadvisorError('cli', 'E_OPTION', `--sink-option names sink '${unused}', which is not selected with --sink`)
  }
  for (const [name, load] of Object.entries(builtinSinks)) {
    if (sinks.some((sink) => sink.spec === name)) continue
    const flag = Object.keys((await load()).default.options).find((key) => args[`${name}-${key}`] !== undefined)
    if (flag === undefined) continue
    const keep = given.length === 0 ? ' (and --sink csvy to keep the default CSVY logs)' : ''
    throw new RadvisorError('cli', 'E_OPTION', `--${name}-${flag} is an option of the ${name} sink, which is not selected: add --sink ${name}${keep}`)
  }
  return sinks
}

/** Checks every option of type `file` that has a value (`--jsonl-path`). */
function checkFileOptions(specs: OptionSpecs, options: ResolvedOptions<OptionSpecs>, flagFor: (key: string) => string): void {
  for (const [key, spec] of Object.entries(specs)) {
    const value = options[key]
    if (spec.type === 'file' && typeof value === 'string') checkOutputFile(value, flagFor(key))
  }
}

function parseTicks(text: string): number {
  if (!/^[1-9]\d*$/.test(text)) {
    throw new RadvisorError('cli', 'E_OPTION', `invalid value '${text}' for --ticks: expected a positive whole number of ticks, such as 1000`)
  }
  return Number(text)
}

function optionText(value: unknown): string | undefined {
  if (typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.at(-1)
  return typeof value === 'string' ? value : undefined
}

function parseSinkOptions(values: string[]): Map<string, Record<string, string>> {
  const bySink = new Map<string, Record<string, string>>()
  for (const value of values) {
    const match = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(value)
    if (!match) {
      throw new RadvisorError('cli', 'E_OPTION', `invalid value '${value}' for --sink-option: expected <sink>.<key>=<value>`)
    }
    const [, sink, key, option] = match as unknown as [string, string, string, string]
    bySink.set(sink, { ...bySink.get(sink), [key]: option })
  }
  return bySink
}

/** Collectors that read cgroups, from `@radvisor/cgroup`, writing the `--columns` set. */
async function cgroupCollectors(context: PluginContext, columns: 'extended' | 'radvisor'): Promise<CollectorFactory> {
  const cgroup = await import('@radvisor/cgroup').catch(() => null)
  if (!cgroup) throw new RadvisorError('cli', 'E_INTERNAL', 'cgroup collection is not available in this build')
  return cgroup.createCollectorFactory({ root: context.cgroupRoot, fs: context.fs, logger: context.logger, clock: context.clock, columns })
}

/** A run assembled from the command line: options checked, provider initialised, sinks created; not started. */
export interface PreparedRun {
  readonly planned: Awaited<ReturnType<typeof plan>>
  readonly sinks: readonly Sink[]
  /** Makes the run's Runner (once); `onTick` is called after every tick with the number of ticks so far. */
  runner(onTick?: (ticks: number) => void): Runner
}

/**
 * Checks the options of a run and sets it up: the provider (created and initialised), its
 * collectors, the sinks. Shared by `radvisor run` and `radvisor exec`.
 */
export async function prepareRun(definition: ProviderDefinition, args: RunArgs, rawArgs: string[], logger: Logger): Promise<PreparedRun> {
  const planned = await plan(definition, args, rawArgs)
  let runner: Runner | null = null
  const system = systemFileSystem()
  if (system.problem) logger.debug('Reading', `cgroup files one call per file (no native batch read: ${system.problem})`)
  const context: PluginContext = {
    logger,
    clock: systemClock,
    fs: system.fs,
    settings: planned.settings,
    cgroupRoot: planned.cgroupRoot,
    tickStats: () => runner?.tickStats ?? emptyStats(planned.settings.intervalMs),
    losses: new LossLedger(),
  }

  logger.status('Initializing', `${definition.name} provider`)
  const provider = await definition.create(planned.providerOptions, context)
  await provider.init()
  const collectors = provider.collectors ?? (await cgroupCollectors(context, planned.columns))
  const sinks: Sink[] = []
  try {
    for (const { definition: sink, spec, options } of planned.sinks) sinks.push(await createSink(sink, spec, options, context))
  } catch (error) {
    for (const sink of sinks) await Promise.resolve(sink.close()).catch(() => {})
    await provider.close().catch(() => {})
    throw error
  }
  return {
    planned,
    sinks,
    runner(onTick) {
      runner ??= new Runner({
        provider,
        collectors,
        sinks,
        logger,
        losses: context.losses,
        version,
        intervalMs: planned.settings.intervalMs,
        pollMs: planned.pollMs,
        flushEveryMs: planned.settings.flushEveryMs,
        ...(onTick && { onTick }),
      })
      return runner
    },
  }
}

/**
 * Runs `radvisor run <provider>` until a signal or `--duration`, then shuts down
 * gracefully. Returns the exit code.
 */
export async function runProvider(definition: ProviderDefinition, args: RunArgs, rawArgs: string[]): Promise<number> {
  const logger = new Logger(undefined, args.quiet ? 'quiet' : args.verbose ? 'verbose' : 'normal', (args.color as 'auto') ?? 'auto')
  const { planned, sinks, runner } = await prepareRun(definition, args, rawArgs, logger)
  const finished = Promise.withResolvers<string>()
  const tickLimit = planned.ticks
  const active = runner(
    tickLimit === null
      ? undefined
      : (ticks) => {
          if (ticks >= tickLimit) finished.resolve('ticks')
        },
  )
  const onSignal = (signal: NodeJS.Signals) => finished.resolve(signal)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const cancelDuration =
    planned.durationMs === null ? null : setDeadline(systemClock, systemTimer, planned.durationMs, () => finished.resolve('duration'))

  // What the start needed and the run does not (the module loader, option parsing, then
  // opening the targets) is given back twice: before the first poll and after it.
  releaseStartupPages(logger, 'before the first poll')
  await active.start()
  releaseStartupPages(logger, 'after the first poll')
  logger.status('Beginning', `collection every ${planned.settings.intervalMs}ms, polling every ${planned.pollMs}ms, to ${sinks.map((s) => s.name).join(', ')}`)
  const reason = await finished.promise
  cancelDuration?.()

  const forceExit = (signal: NodeJS.Signals) => {
    logger.warn(`received ${signal} during shutdown: exiting now, buffered samples may be lost`)
    process.exit(ExitCode.usage)
  }
  process.on('SIGINT', forceExit)
  process.on('SIGTERM', forceExit)
  const stopReasons: Record<string, string> = { duration: 'after --duration elapsed', ticks: `after --ticks ${tickLimit} ticks` }
  logger.status('Stopping', stopReasons[reason] ?? `on ${reason}`)
  // --ticks N writes exactly N rows per target: no final sample on top.
  const summary = await active.stop({ finalSample: reason !== 'ticks' })
  logger.status('Finished', `${summary.rows} rows from ${summary.targets} targets`)
  reportLosses(logger, summary.losses)
  logPunctuality(logger, summary.stats)
  process.off('SIGINT', forceExit)
  process.off('SIGTERM', forceExit)
  return summary.losses.length > 0 ? ExitCode.dataLoss : ExitCode.ok
}

/** Pages out the executable's resident code the run no longer needs (`pageOutExecutable`), on a thread of its own. */
function releaseStartupPages(logger: Logger, when: string): void {
  const problem = pageOutExecutable()
  if (problem) logger.debug('Keeping', `the executable's pages resident ${when}: ${problem}`)
  else logger.debug('Releasing', `the executable's pages ${when} (the pages still in use come back when next used)`)
}

/**
 * Rows that never reached a sink: a line per sink and target (the largest few), then the
 * total and what it means for the exit code (`consequence`).
 */
export function reportLosses(logger: Logger, losses: readonly Loss[], consequence = `exit code ${ExitCode.dataLoss}`): void {
  if (losses.length === 0) return
  const SHOWN = 10
  for (const loss of losses.slice(0, SHOWN)) {
    logger.warn(`sink ${loss.sink} lost ${plural(loss.rows, 'row')} of ${loss.subject}: ${loss.reason}`)
  }
  const rest = losses.slice(SHOWN)
  if (rest.length > 0) {
    logger.warn(`… and ${plural(rest.reduce((sum, loss) => sum + loss.rows, 0), 'row')} of ${plural(rest.length, 'more target')}`)
  }
  const total = losses.reduce((sum, loss) => sum + loss.rows, 0)
  logger.error(new RadvisorError('cli', 'E_IO', `${plural(total, 'collected row')} could not be delivered (${consequence})`))
}

/** The scheduler's ticks, missed slots and lateness, at verbose level (`-v`). */
export function logPunctuality(logger: Logger, { ticks, missed, lateness }: TickStats): void {
  logger.debug('Punctuality', `${ticks} ticks, ${missed} missed; lateness p50 ${lateness.p50.toFixed(2)}ms, p99 ${lateness.p99.toFixed(2)}ms, max ${lateness.max.toFixed(2)}ms`)
}

function emptyStats(intervalMs: number): TickStats {
  return { intervalMs, ticks: 0, missed: 0, lateness: { p50: 0, p99: 0, max: 0, sum: 0 } }
}

