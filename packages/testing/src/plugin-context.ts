import {
  type Clock,
  type FileSystem,
  type Logger,
  LossLedger,
  ManualClock,
  memoryLogger,
  type PluginContext,
  type RunSettings,
} from '@radvisor/core'
import { createFsFromVolume, Volume } from 'memfs'

/** What a test may set on the context: any part of it, and any of the settings. */
export type TestPluginContextOptions = Partial<Omit<PluginContext, 'settings'>> & { readonly settings?: Partial<RunSettings> }

/** The context `testPluginContext` returns: its logger and clock are the test doubles unless replaced. */
export type TestPluginContext<O extends TestPluginContextOptions> = PluginContext & {
  readonly logger: O['logger'] extends Logger ? O['logger'] : ReturnType<typeof memoryLogger>
  readonly clock: O['clock'] extends Clock ? O['clock'] : ManualClock
}

/**
 * The `PluginContext` a plugin's `create` receives, for tests: the run settings of a default
 * `radvisor run` (50 ms interval, 16 MiB buffers, flush every 2 s, no flush log) writing to
 * `/stats`, on a `ManualClock`, a logger that keeps its lines (`context.logger.lines`), an
 * in-memory filesystem (memfs) and a fresh `LossLedger`, unless `options` says otherwise.
 * Nothing touches the real disk, clock or stderr.
 */
export function testPluginContext<const O extends TestPluginContextOptions = {}>(options: O = {} as O): TestPluginContext<O> {
  const settings: RunSettings = {
    version: '0.0.0-test',
    intervalMs: 50,
    directory: '/stats',
    bufferBytes: 16 * 1024 * 1024,
    flushLog: null,
    flushEveryMs: 2_000,
    ...options.settings,
  }
  const idle = { intervalMs: settings.intervalMs, ticks: 0, missed: 0, lateness: { p50: 0, p99: 0, max: 0, sum: 0 } }
  return {
    fs: createFsFromVolume(new Volume()) as unknown as FileSystem,
    cgroupRoot: '/sys/fs/cgroup',
    tickStats: () => idle,
    losses: new LossLedger(),
    logger: memoryLogger(),
    clock: new ManualClock(),
    ...options,
    settings,
  } as TestPluginContext<O>
}
