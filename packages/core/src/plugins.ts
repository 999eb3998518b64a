import type { Clock } from './clock.ts'
import type { FileSystem } from './fs.ts'
import type { Logger } from './logger.ts'
import type { LossLedger } from './losses.ts'
import type { Row } from './row.ts'
import type { TickStats } from './scheduler.ts'
import type { CollectorInfo, LogHeader, Target } from './types.ts'

/**
 * Lists what runs on this machine. `poll()` answers with everything that runs now; the
 * optional `watch()` reports pushed changes (Docker events, Kubernetes watch) so that the
 * runner polls at once instead of waiting for the next poll.
 */
export interface Provider {
  readonly name: string
  /** Connects and checks access; throws a `RadvisorError` with a one-line reason. */
  init(): Promise<void>
  /** Every target that runs now. Throws on a failed poll; the runner reports and goes on. */
  poll(): Promise<Target[]>
  /** Starts following pushed changes; `onChange` asks the runner to poll now. */
  watch?(onChange: () => void): void
  /**
   * Collectors for this provider's targets, for providers whose targets are not cgroups
   * (test doubles, remote sources). Without it, the runner reads cgroups.
   */
  readonly collectors?: CollectorFactory
  close(): Promise<void>
}

/** Samples one target. Holds its files open; `collect` reads them and fills a row. */
export interface Collector {
  readonly info: CollectorInfo
  /**
   * Samples into `row` (after `row.reset()`). Returns false when there is no row to write
   * (a v2 cgroup whose files all read empty, or a collector that has failed). Never throws.
   */
  collect(row: Row): boolean
  /** Set once the target can no longer be read (its cgroup was removed). */
  readonly error: Error | null
  close(): void
}

/** Opens collectors for targets. Implemented by `@radvisor/cgroup`. */
export interface CollectorFactory {
  /**
   * Opens a collector for `target`, or returns null when its cgroup does not exist yet
   * (the runner retries on the next poll). Throws for other failures.
   */
  open(target: Target): Collector | null
  /** The paths tried for a target that was not found, for the warning. */
  describe?(target: Target): string
}

/**
 * Where one target's rows go in one sink, from `Sink.open` until its `close`. The runner calls
 * `write` on the tick path and `close` once when the target stops.
 */
export interface TargetWriter {
  /**
   * Takes one row. Called on the tick path: copy what you keep (`row` is reused after return),
   * never block on I/O for long, and count rather than throw when the output refuses: a row
   * that cannot be delivered is recorded in `context.losses`.
   */
  write(row: Row): void
  /** The target stopped; nothing else is written through this writer. */
  close(): void | Promise<void>
}

/**
 * Receives samples. Lifecycle (the runner owns time; sinks only export):
 * `open` once per target, which returns that target's writer; `flush` every `--flush-every`
 * (and before `close`) to push buffered rows out; `close` once at shutdown, after every
 * writer was closed, after which nothing else is called.
 */
export interface Sink {
  readonly name: string
  open(target: Target, header: LogHeader): TargetWriter | Promise<TargetWriter>
  flush(): void | Promise<void>
  close(): void | Promise<void>
}

/** Run-wide settings every sink can read. */
export interface RunSettings {
  readonly version: string
  readonly intervalMs: number
  /** `-d/--directory`: where file sinks write. */
  readonly directory: string
  /** `-b/--buffer`: the most bytes of rows one target's buffer may hold. */
  readonly bufferBytes: number
  /** `-f/--flush-log`: where to write the flush record, if anywhere. */
  readonly flushLog: string | null
  /** `--flush-every`: how often the runner flushes the sinks. */
  readonly flushEveryMs: number
}

/** What a plugin's `create` receives besides its own options. */
export interface PluginContext {
  readonly logger: Logger
  readonly clock: Clock
  readonly fs: FileSystem
  readonly settings: RunSettings
  /** Punctuality of the sampling loop so far. */
  readonly tickStats: () => TickStats
  /** The cgroup mount root (`--cgroup-root`). */
  readonly cgroupRoot: string
  /** Where sinks count rows they could not deliver (the run reports them and exits with 3), and the runner failed sink calls. */
  readonly losses: LossLedger
}

/**
 * Types a plugin option can have; values arrive as strings and are converted. A `file` is
 * a path the plugin writes: the CLI checks before it creates anything that the file can be
 * written (its folder exists and is writable).
 */
export type OptionType = 'string' | 'number' | 'boolean' | 'duration' | 'size' | 'file'

export interface OptionSpec {
  readonly type: OptionType
  readonly description: string
  readonly default?: string
  readonly required?: boolean
  /** A string option that may be given several times; the values arrive joined with commas. */
  readonly repeatable?: boolean
  /** Checks the converted value before anything is created; throws a `RadvisorError` naming the option. */
  readonly check?: (value: never) => void
  /** For a duration: the longest accepted, in milliseconds (default one day). */
  readonly maxMs?: number
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>

type OptionValue<S extends OptionSpec> = S['type'] extends 'string' | 'file'
  ? string
  : S['type'] extends 'boolean'
    ? boolean
    : number
/** The typed options a plugin receives for its option specs. */
export type ResolvedOptions<S extends OptionSpecs> = {
  -readonly [K in keyof S]: S[K] extends { default: string } | { required: true }
    ? OptionValue<S[K]>
    : OptionValue<S[K]> | undefined
}

export interface SinkDefinition<S extends OptionSpecs = OptionSpecs> {
  readonly kind: 'sink'
  readonly name: string
  readonly description?: string
  readonly options: S
  create(options: ResolvedOptions<S>, context: PluginContext): Sink | Promise<Sink>
}

export interface ProviderDefinition<S extends OptionSpecs = OptionSpecs> {
  readonly kind: 'provider'
  readonly name: string
  readonly description?: string
  readonly options: S
  create(options: ResolvedOptions<S>, context: PluginContext): Provider | Promise<Provider>
}

/** Declares a sink plugin. Typing only: it returns its argument. */
export function defineSink<const S extends OptionSpecs = {}>(
  definition: Omit<SinkDefinition<S>, 'kind' | 'options'> & { options?: S },
): SinkDefinition<S> {
  return { kind: 'sink', options: {} as S, ...definition }
}

/** Declares a provider plugin. Typing only: it returns its argument. */
export function defineProvider<const S extends OptionSpecs = {}>(
  definition: Omit<ProviderDefinition<S>, 'kind' | 'options'> & { options?: S },
): ProviderDefinition<S> {
  return { kind: 'provider', options: {} as S, ...definition }
}
