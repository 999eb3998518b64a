import * as nodeFs from 'node:fs'
import { LossLedger, ManualClock, memoryLogger, type PluginContext, type RunSettings } from '@radvisor/core'

/** What `testPluginContext` may be given: any part of a context, and any of the settings. */
export type TestPluginContextOverrides = Partial<Omit<PluginContext, 'settings'>> & { readonly settings?: Partial<RunSettings> }

/**
 * A `PluginContext` for tests: a `ManualClock`, a logger that keeps its lines (`context.logger.lines`),
 * a fresh `LossLedger`, the real `node:fs` unless another is given, and radvisor's default
 * settings (50 ms, `/tmp/radvisor-test/stats`, 16 MiB buffers, flush every 2 s).
 */
export function testPluginContext(
  overrides: TestPluginContextOverrides = {},
): PluginContext & { readonly logger: ReturnType<typeof memoryLogger>; readonly clock: ManualClock } {
  const settings: RunSettings = {
    version: '0.0.0-test',
    intervalMs: 50,
    directory: '/tmp/radvisor-test/stats',
    bufferBytes: 16 * 1024 * 1024,
    flushLog: null,
    flushEveryMs: 2_000,
    ...overrides.settings,
  }
  return {
    fs: nodeFs,
    cgroupRoot: '/sys/fs/cgroup',
    tickStats: () => ({ intervalMs: settings.intervalMs, ticks: 0, missed: 0, lateness: { p50: 0, p99: 0, max: 0, sum: 0 } }),
    losses: new LossLedger(),
    ...overrides,
    logger: (overrides.logger as ReturnType<typeof memoryLogger> | undefined) ?? memoryLogger(),
    clock: (overrides.clock as ManualClock | undefined) ?? new ManualClock(),
    settings,
  }
}
