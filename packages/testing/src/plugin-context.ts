import {
  type Clock,
  type FileSystem,
  type Logger,
  ManualClock,
  memoryLogger,
  type PluginContext,
  type RunSettings,
  type TickStats,
} from '@radvisor/core'
import { createFsFromVolume, Volume } from 'memfs'

/** What a test may set on the context; everything else gets a hermetic default. */
export interface TestPluginContextOptions {
  /** Default: a verbose `memoryLogger()`. */
  readonly logger?: Logger
  /** Default: a new `ManualClock`. */
  readonly clock?: Clock
  /** Default: an empty in-memory filesystem (memfs). */
  readonly fs?: FileSystem
  /** Merged over the CLI's defaults, with `directory` `/stats`. */
  readonly settings?: Partial<RunSettings>
  /** Default: no tick has run yet. */
  readonly tickStats?: () => TickStats
  /** Default `/sys/fs/cgroup`. */
  readonly cgroupRoot?: string
}

/**
 * The `PluginContext` a plugin's `create` receives, for tests: the run settings of a
 * default `radvisor run` (50 ms interval, 16 MiB buffers, no flush log, no `--flush-every`)
 * writing to `/stats`, on a manual clock, an in-memory logger and filesystem, unless
 * `options` says otherwise. Nothing touches the real disk, clock or stderr.
 */
export function testPluginContext(options: TestPluginContextOptions = {}): PluginContext {
  const settings: RunSettings = {
    version: '0.0.0-test',
    intervalMs: 50,
    directory: '/stats',
    bufferBytes: 16 * 1024 * 1024,
    flushLog: null,
    flushEveryMs: null,
    ...options.settings,
  }
  const idle: TickStats = { intervalMs: settings.intervalMs, ticks: 0, missed: 0, lateness: { p50: 0, p99: 0, max: 0 } }
  return {
    logger: options.logger ?? memoryLogger(),
    clock: options.clock ?? new ManualClock(),
    fs: options.fs ?? (createFsFromVolume(new Volume()) as unknown as FileSystem),
    settings,
    tickStats: options.tickStats ?? (() => idle),
    cgroupRoot: options.cgroupRoot ?? '/sys/fs/cgroup',
  }
}
