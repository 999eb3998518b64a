import { describe, expect, test } from 'bun:test'
import { defaultChartLimits } from '../src/_chart.ts'
import { emptySample, type Sample } from '../src/_columns.ts'
import { EXACT_VALUES, SKETCH_RELATIVE_ERROR } from '../src/_distribution.ts'
import { MAX_OOM_EVENTS } from '../src/_events.ts'
import type { LogInfo } from '../src/_header.ts'
import { LineSplitter } from '../src/_lines.ts'
import { RESOURCES } from '../src/_runs.ts'
import { RATE_NAMES, TargetAnalyzer } from '../src/analyze.ts'
import { analyzeLog } from '../src/report.ts'
import { syntheticChunks } from '../scripts/_synthetic.ts'

const info: LogInfo = {
  source: 'long.log',
  version: null,
  provider: null,
  name: 'long',
  id: null,
  collectorType: 'cgroup_v1',
  cgroup: null,
  driver: null,
  hostCpus: 1,
  cpuQuota: null,
  network: null,
  initializedAt: null,
  // the counters `feed` gives besides radvisor 1.4's
  columns: ['cpu.pressure/some_total', 'memory.oom_control/oom_kill', 'network.rx_bytes'],
}

interface FeedState {
  time: number
  cpu: number
  seed: number
  periods: number
  throttled: number
  stalled: number
  received: number
  kills: number
}

/**
 * Feeds `rows` samples 50 ms apart (every 500th late by 2.5 intervals) to an analyzer:
 * CPU drawn between 10% and 60% of the one host CPU, saturated every 10th interval,
 * throttled every 1000th, CPU pressure at 80% every 20th (else 2%), an OOM kill every
 * 100th, 1000 bytes received in each; returns the CPU share of each interval.
 */
function feed(analyzer: TargetAnalyzer, from: number, to: number, state: FeedState, shares: number[]): void {
  const sample: Sample = { ...emptySample(), memory: 1e8, ioRead: 0, ioWrite: 0, faults: 0, majorFaults: 0 }
  for (let row = from; row < to; row++) {
    const elapsed = row > 0 && row % 500 === 0 ? 125 : 50
    state.seed = (state.seed * 1103515245 + 12345) % 2147483648
    const share = row % 10 === 9 ? 1 : 0.1 + (state.seed / 2147483648) * 0.5
    if (row > 0) {
      state.time += elapsed
      state.cpu += Math.round(share * elapsed * 1e6)
      state.periods += 1
      if (row % 1000 === 999) state.throttled += 1
      state.stalled += row % 20 === 19 ? 40_000 : 1000
      state.received += 1000
      if (row % 100 === 50) state.kills += 1
      shares.push(Math.round(share * elapsed * 1e6) / (elapsed * 1e6))
    }
    sample.time = state.time
    sample.cpu = state.cpu
    sample.periods = state.periods
    sample.throttled = state.throttled
    sample.cpuSome = state.stalled
    sample.netRxBytes = state.received
    sample.oomKills = state.kills
    analyzer.push(sample)
  }
}

const DISTRIBUTIONS = RATE_NAMES.length + 1

describe('bounded memory', () => {
  test('an analyzer fed 400 000 intervals holds no more than fixed bounds, and stops growing', () => {
    const analyzer = new TargetAnalyzer(info)
    const state: FeedState = { time: 1_700_000_000_000, cpu: 0, seed: 1, periods: 0, throttled: 0, stalled: 0, received: 0, kills: 0 }
    const shares: number[] = []
    const footprints: TargetAnalyzer['footprint'][] = []
    for (const [from, to] of [
      [0, 100_000],
      [100_000, 200_000],
      [200_000, 400_000],
    ] as const) {
      feed(analyzer, from, to, state, shares)
      footprints.push(analyzer.footprint)
    }
    const limits = defaultChartLimits
    for (const footprint of footprints) {
      // a distribution per rate and one of the sampling deltas, each at most its kept values or a sketch
      expect(footprint.distributions).toBeLessThanOrEqual(DISTRIBUTIONS * EXACT_VALUES)
      expect(footprint.buckets).toBeLessThanOrEqual(limits.buckets)
      expect(footprint.windowPoints).toBeLessThanOrEqual(limits.windowBudget + limits.windowPoints + limits.windowContext)
      expect(footprint.shadedRuns).toBeLessThanOrEqual(RESOURCES.length * limits.shadedRuns)
    }
    // past the exact phase only sketches remain: a few thousand buckets, not growing with the log
    expect(footprints[1]?.distributions).toBeLessThan(DISTRIBUTIONS * 4096)
    const { shadedRuns: _sawtooth, ...held } = footprints[2] as (typeof footprints)[number]
    const { shadedRuns: _before, ...heldBefore } = footprints[1] as (typeof footprints)[number]
    expect(held).toEqual(heldBefore) // shaded runs rise and fall between merges, within their bound

    const { summary, chart } = analyzer.finish()
    expect(summary.intervals).toBe(399_999)
    // exact whatever the length: counts, totals, the longest
    expect(summary.millibottlenecks.byResource.cpu.count).toBe(40_000)
    expect(summary.millibottlenecks.byResource.throttling).toEqual({ count: 400, totalDuration: 400 * 50 })
    expect(summary.sampling?.lateIntervals).toBe(799)
    expect(summary.millibottlenecks.byResource['cpu-pressure']).toEqual({ count: 20_000, totalDuration: 20_000 * 50 })
    expect(summary.network?.rxBytes).toBe(399_999 * 1000)
    // OOM kills: counted exactly, the first MAX_OOM_EVENTS listed and marked
    expect(summary.oom).toMatchObject({ kills: 4000, intervals: 4000 })
    expect(summary.oom?.events).toHaveLength(MAX_OOM_EVENTS)
    expect(summary.oom?.events[0]?.time).toBe(1_700_000_000_000 + 50 * 50)
    expect(chart?.oomKills).toHaveLength(MAX_OOM_EVENTS)
    expect(summary.rates.cpuCores?.max).toBe(1)
    // percentiles from the sketch: within its error of the exact ones
    expect(summary.percentileError).toBe(SKETCH_RELATIVE_ERROR)
    const sorted = Float64Array.from(shares).sort()
    for (const [percent, value] of [
      [50, summary.rates.cpuCores?.p50],
      [99, summary.rates.cpuPercent?.p99],
    ] as const) {
      const exact = (sorted[Math.ceil((percent / 100) * sorted.length) - 1] as number) * (percent === 99 ? 100 : 1)
      expect(Math.abs((value as number) - exact)).toBeLessThanOrEqual(exact * SKETCH_RELATIVE_ERROR)
    }
    // the chart data is bounded too, and shades every CPU millibottleneck (merged: 40 000 do not fit)
    expect(chart?.levels.reduce((total, level) => total + level.time.length, 0)).toBeLessThanOrEqual(2 * limits.buckets * (1 + 1 / limits.factor))
    const cpu = chart?.millibottlenecks.filter((run) => run.resource === 'cpu') ?? []
    expect(cpu.length).toBeLessThanOrEqual(limits.shadedRuns)
    expect(cpu.reduce((total, run) => total + run.runs, 0)).toBe(40_000)
    expect(chart?.mergedWithin).toBeGreaterThan(0)
  }, 60_000)
})

describe('streaming a generated log', () => {
  test('reads 60 000 rows in 64 KiB chunks holding at most one partial row, and finds the injected saturations', async () => {
    const rows = 60_000
    const log = {
      name: 'stream',
      schema: 'cgroup_v1' as const,
      rows,
      hostCpus: 4,
      bursts: [
        { resource: 'cpu' as const, at: 1000, rows: 3 },
        { resource: 'memory' as const, at: 30_000, rows: 8 },
        { resource: 'throttling' as const, at: 59_000, rows: 2 },
      ],
    }
    let bytes = 0
    let longestRow = 0
    for (const chunk of syntheticChunks(log)) {
      bytes += chunk.length
      for (const line of new TextDecoder().decode(chunk).split('\n')) longestRow = Math.max(longestRow, line.length)
    }
    const splitter = new LineSplitter()
    const analysis = await analyzeLog(splitter.lines(syntheticChunks(log)), 'stream.log')
    expect(bytes).toBeGreaterThan(10_000_000)
    expect(analysis?.summary.samples).toBe(rows)
    expect(splitter.peakBufferedChars).toBeLessThanOrEqual(longestRow)
    expect(analysis?.chart?.millibottlenecks.map(({ resource, intervals, start }) => ({ resource, intervals, at: Math.round(start - 1_700_000_000_000) }))).toEqual([
      { resource: 'cpu', intervals: 3, at: 50_000 },
      { resource: 'memory', intervals: 8, at: 1_500_000 },
      { resource: 'throttling', intervals: 2, at: 2_950_000 },
    ])
  }, 60_000)
})
