import { expect, test } from 'bun:test'
import { ManualClock, memoryLogger, systemClock } from '@radvisor/core'
import { createFakeCgroupFs, testPluginContext } from '@radvisor/testing'

test('defaults: the CLI run settings writing to /stats, a manual clock, an in-memory logger and filesystem', () => {
  const context = testPluginContext()
  expect(context.settings).toEqual({
    version: '0.0.0-test',
    intervalMs: 50,
    directory: '/stats',
    bufferBytes: 16 * 1024 * 1024,
    flushLog: null,
    flushEveryMs: 2_000,
  })
  expect(context.losses.total).toBe(0)
  expect(context.clock).toBeInstanceOf(ManualClock)
  expect(context.cgroupRoot).toBe('/sys/fs/cgroup')
  expect(context.tickStats()).toEqual({ intervalMs: 50, ticks: 0, missed: 0, lateness: { p50: 0, p99: 0, max: 0, sum: 0 } })
  // The filesystem is memory, not the disk: what a plugin writes there stays there.
  context.fs.mkdirSync('/stats', { recursive: true })
  context.fs.writeFileSync('/stats/x.log', 'x')
  expect(context.fs.readdirSync('/stats')).toEqual(['x.log'])
  expect(testPluginContext().fs.existsSync('/stats')).toBe(false)
  context.logger.warn('kept in memory')
  const { lines } = context.logger as ReturnType<typeof memoryLogger>
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain('kept in memory')
})

test('overrides replace their part only; settings merge, and idle tick stats follow the interval', () => {
  const logger = memoryLogger()
  const cgroups = createFakeCgroupFs({ 'cgroup.controllers': 'cpu\n' })
  const context = testPluginContext({ logger, clock: systemClock, fs: cgroups.fs, cgroupRoot: cgroups.root, settings: { intervalMs: 10, flushEveryMs: 1000 } })
  expect(context.logger).toBe(logger)
  expect(context.clock).toBe(systemClock)
  expect(context.fs).toBe(cgroups.fs)
  expect(context.settings).toMatchObject({ intervalMs: 10, flushEveryMs: 1000, directory: '/stats', bufferBytes: 16 * 1024 * 1024 })
  expect(context.tickStats().intervalMs).toBe(10)
  const stats = { intervalMs: 10, ticks: 5, missed: 1, lateness: { p50: 1, p99: 2, max: 3, sum: 6 } }
  expect(testPluginContext({ tickStats: () => stats }).tickStats()).toBe(stats)
})
