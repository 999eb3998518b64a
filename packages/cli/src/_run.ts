import * as nodeFs from 'node:fs'
import {
  type CollectorFactory,
  ExitCode,
  Logger,
  type Loss,
  LossLedger,
  type OptionSpecs,
  type PluginContext,
  type ProviderDefinition,
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
  type TickStats,
} from '@radvisor/core'
import { repeated } from './_flags.ts'
import { loadSink } from './_plugins.ts'
import { sinks as builtinSinks } from './registry.ts'
import { version } from './version.ts'

/** Parsed options of `radvisor run <provider>`. */
export type RunArgs = Record<string, string | boolean | string[] | undefined> & { _: string[] }

interface SinkPlan {
  readonly definition: SinkDefinition
  readonly options: ResolvedOptions<OptionSpecs>
}

/** Validates everything the user typed; creates nothing. */
async function plan(definition: ProviderDefinition, args: RunArgs, rawArgs: string[]) {
  const text = (name: string) => (typeof args[name] === 'string' ? (args[name] as string) : undefined)
  const settings: RunSettings = {
    version,
    intervalMs: parseDuration(text('interval')!, '--interval'),
    directory: text('directory')!,
    bufferBytes: parseSize(text('buffer')!, '--buffer'),
    flushLog: text('flush-log') ?? null,
    flushEveryMs: parseDuration(text('flush-every')!, '--flush-every'),
  }
  const pollMs = parseDuration(text('poll')!, '--poll')
  const durationMs = text('duration') ? parseDuration(text('duration')!, '--duration') : null
  const ticks = text('ticks') === undefined ? null : parseTicks(text('ticks')!)
  if (!settings.directory) throw new RadvisorError('cli', 'E_OPTION', 'invalid value \'\' for --directory: expected a path')

  const providerRaw = Object.fromEntries(
    Object.entries(definition.options).map(([key, spec]) => [
      key,
      spec.repeatable ? repeated(rawArgs, key).join(',') || undefined : optionText(args[key]),
    ]),
  )
  const providerOptions = resolveOptions(definition.name, definition.options, providerRaw, (key) => `--${key}`)

  const sinkSpecs = [...new Set(repeated(rawArgs, 'sink'))]
  if (sinkSpecs.length === 0) sinkSpecs.push('csvy')
  const sinkOptions = parseSinkOptions(repeated(rawArgs, 'sink-option'))
  const sinks: SinkPlan[] = []
  for (const spec of sinkSpecs) {
    const sink = await loadSink(spec)
    const raw: Record<string, string | undefined> = { ...sinkOptions.get(sink.name) }
    if (spec in builtinSinks) {
      for (const key of Object.keys(sink.options)) raw[key] ??= optionText(args[`${sink.name}-${key}`])
    }
    sinkOptions.delete(sink.name)
    sinks.push({ definition: sink, options: resolveOptions(sink.name, sink.options, raw) })
  }
  const [unused] = sinkOptions.keys()
  if (unused !== undefined) {
    throw new RadvisorError('cli', 'E_OPTION', `--sink-option names sink '${unused}', which is not selected with --sink`)
  }
  return { settings, pollMs, durationMs, ticks, providerOptions, sinks, cgroupRoot: text('cgroup-root')! }
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

/** Collectors that read cgroups, from `@radvisor/cgroup`. */
async function cgroupCollectors(context: PluginContext): Promise<CollectorFactory> {
  const cgroup = await import('@radvisor/cgroup').catch(() => null)
  if (!cgroup) throw new RadvisorError('cli', 'E_INTERNAL', 'cgroup collection is not available in this build')
  return cgroup.createCollectorFactory({ root: context.cgroupRoot, fs: context.fs, logger: context.logger, clock: context.clock })
}

/**
 * Runs `radvisor run <provider>` until a signal or `--duration`, then shuts down
 * gracefully. Returns the exit code.
 */
export async function runProvider(definition: ProviderDefinition, args: RunArgs, rawArgs: string[]): Promise<number> {
  const logger = new Logger(undefined, args.quiet ? 'quiet' : args.verbose ? 'verbose' : 'normal', (args.color as 'auto') ?? 'auto')
  const planned = await plan(definition, args, rawArgs)
  let runner: Runner | null = null
  const context: PluginContext = {
    logger,
    clock: systemClock,
    fs: nodeFs,
    settings: planned.settings,
    cgroupRoot: planned.cgroupRoot,
    tickStats: () => runner?.tickStats ?? emptyStats(planned.settings.intervalMs),
    losses: new LossLedger(),
  }

  logger.status('Initializing', `${definition.name} provider`)
  const provider = await definition.create(planned.providerOptions, context)
  await provider.init()
  const collectors = provider.collectors ?? (await cgroupCollectors(context))
  const sinks: Sink[] = []
  try {
    for (const { definition: sink, options } of planned.sinks) sinks.push(await sink.create(options, context))
  } catch (error) {
    await provider.close().catch(() => {})
    throw error
  }

  const finished = Promise.withResolvers<string>()
  const tickLimit = planned.ticks
  runner = new Runner({
    provider,
    collectors,
    sinks,
    logger,
    losses: context.losses,
    version,
    intervalMs: planned.settings.intervalMs,
    pollMs: planned.pollMs,
    flushEveryMs: planned.settings.flushEveryMs,
    ...(tickLimit !== null && {
      onTick: (ticks: number) => {
        if (ticks >= tickLimit) finished.resolve('ticks')
      },
    }),
  })
  const active = runner
  const onSignal = (signal: NodeJS.Signals) => finished.resolve(signal)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const durationTimer = planned.durationMs === null ? null : setTimeout(() => finished.resolve('duration'), planned.durationMs)

  await active.start()
  logger.status('Beginning', `collection every ${planned.settings.intervalMs}ms, polling every ${planned.pollMs}ms, to ${sinks.map((s) => s.name).join(', ')}`)
  const reason = await finished.promise
  if (durationTimer) clearTimeout(durationTimer)

  const forceExit = (signal: NodeJS.Signals) => {
    logger.warn(`received ${signal} during shutdown: exiting now, buffered samples may be lost`)
    process.exit(ExitCode.usage)
  }
  process.on('SIGINT', forceExit)
  process.on('SIGTERM', forceExit)
  const stopReasons: Record<string, string> = { duration: 'after --duration elapsed', ticks: `after --ticks ${tickLimit} ticks` }
  logger.status('Stopping', stopReasons[reason] ?? `on ${reason}`)
  const summary = await active.stop({ finalSample: reason !== 'ticks' })
  logger.status('Finished', `${summary.rows} rows from ${summary.targets} targets`)
  reportLosses(logger, summary.losses)
  const { lateness, ticks, missed } = summary.stats
  logger.debug(
    'Punctuality',
    `${ticks} ticks, ${missed} missed; lateness p50 ${lateness.p50.toFixed(2)}ms, p99 ${lateness.p99.toFixed(2)}ms, max ${lateness.max.toFixed(2)}ms`,
  )
  process.off('SIGINT', forceExit)
  process.off('SIGTERM', forceExit)
  return summary.losses.length > 0 ? ExitCode.dataLoss : ExitCode.ok
}

/** Rows that never reached a sink: a line per sink and target (the largest few), then the total. */
function reportLosses(logger: Logger, losses: readonly Loss[]): void {
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
  logger.error(new RadvisorError('cli', 'E_IO', `${plural(total, 'collected row')} could not be delivered (exit code ${ExitCode.dataLoss})`))
}

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`
}

function emptyStats(intervalMs: number): TickStats {
  return { intervalMs, ticks: 0, missed: 0, lateness: { p50: 0, p99: 0, max: 0 } }
}

