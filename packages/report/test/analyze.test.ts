import { describe, expect, test } from 'bun:test'
import { emptySample, type Sample } from '../src/_columns.ts'
import type { LogInfo } from '../src/_header.ts'
import { CHART_SERIES } from '../src/_chart.ts'
import { defaultAnalysisOptions, TargetAnalyzer } from '../src/analyze.ts'
import type { Problem } from '../src/parse.ts'
import { analyzeLog } from '../src/report.ts'
import { fixtureLines } from './_fixtures.ts'

const info: LogInfo = {
  source: 'mem.log',
  version: null,
  provider: null,
  name: 'mem',
  id: null,
  collectorType: 'cgroup_v1',
  cgroup: null,
  driver: null,
  hostCpus: 1,
  cpuQuota: null,
  network: null,
  initializedAt: null,
  columns: [],
}

function sample(time: number, cpu: number): Sample {
  return { ...emptySample(), time, cpu, periods: 0, throttled: 0, memory: 1, ioRead: 0, ioWrite: 0, faults: 0, majorFaults: 0 }
}

describe('fixtures/report/v1-cpu-saturation.log (2 host CPUs, 100 MiB limit)', async () => {
  const problems: Problem[] = []
  const analysis = await analyzeLog(fixtureLines('v1-cpu-saturation.log'), 'v1.log', undefined, (problem) => problems.push(problem))
  const summary = analysis?.summary

  test('reads every row', () => {
    expect(problems).toEqual([])
    expect(summary).toMatchObject({ name: 'web-1', id: '3f2a1b4c5d6e', samples: 19, intervals: 18, duration: 970 })
    expect(summary?.cpuLimit).toEqual({ cores: 2, from: 'host', periodMs: null })
    expect(summary?.memoryLimit).toBe(100 * 1024 * 1024)
  })

  test('finds the 150 ms CPU saturation run (97.5%, 99%, 96% of 2 cores) with its start and peak', () => {
    const cpu = analysis?.chart?.millibottlenecks.filter((run) => run.resource === 'cpu')
    expect(cpu).toHaveLength(1)
    expect(cpu?.[0]).toMatchObject({ start: 1_700_000_000_200, end: 1_700_000_000_350, duration: 150, intervals: 3 })
    expect(cpu?.[0]?.peak).toBeCloseTo(99, 9)
  })

  test('turns the counter reset and the empty cell into gaps, not spikes', () => {
    expect(summary?.gaps).toBe(3)
    const cores = analysis?.chart?.levels.at(-1)?.values[CHART_SERIES.indexOf('cpuCores')] // the finest level: every sample, at this length
    expect(Number.isNaN(cores?.[10])).toBe(true) // the reset interval
    expect(Number.isNaN(cores?.[12])).toBe(true) // into the empty cell
    expect(Number.isNaN(cores?.[13])).toBe(true) // out of it
    expect(summary?.rates.cpuCores?.max).toBeCloseTo(1.98, 6)
    // 20 + 292.5 + 15 + 5 + 12 + 15 ms of CPU over the intervals that are not gaps
    expect(summary?.totals.cpuSeconds).toBeCloseTo(0.3595, 9)
  })

  test('finds the one memory interval at 95.4% of the limit', () => {
    const memory = analysis?.chart?.millibottlenecks.filter((run) => run.resource === 'memory')
    expect(memory).toEqual([{ resource: 'memory', start: 1_700_000_000_820, end: 1_700_000_000_870, duration: 50, intervals: 1, peak: (100_000_000 / 104_857_600) * 100, runs: 1 }])
    expect(summary?.totals.peakMemoryBytes).toBe(100_000_000)
  })

  test('measures sampling regularity: one 120 ms interval late of 970 ms', () => {
    expect(summary?.sampling).toEqual({
      nominalInterval: 50,
      deltas: { min: expect.closeTo(50, 6), p50: expect.closeTo(50, 6), p90: expect.closeTo(50, 6), p99: expect.closeTo(120, 6), max: expect.closeTo(120, 6) },
      lateIntervals: 1,
      lateDuration: expect.closeTo(120, 6),
      lateShare: expect.closeTo(120 / 970, 6),
    })
  })

  test('derives I/O and page fault rates per second', () => {
    expect(summary?.rates.ioReadBytesPerSec).toEqual({ p50: 81920, p99: 81920, max: 81920 })
    expect(summary?.totals.ioReadBytes).toBe(18 * 4096)
    expect(summary?.rates.pageFaultsPerSec?.p50).toBeCloseTo(200, 3)
    expect(summary?.totals.pageFaults).toBe(180)
  })

  test('summarises the millibottlenecks, longest first', () => {
    expect(summary?.millibottlenecks).toMatchObject({
      count: 2,
      totalDuration: 200,
      byResource: { cpu: { count: 1, totalDuration: 150 }, memory: { count: 1, totalDuration: 50 }, throttling: { count: 0 }, 'io-wait': { count: 0 } },
    })
    expect(summary?.millibottlenecks.longest.map((run) => run.resource)).toEqual(['cpu', 'memory'])
  })
})

describe('fixtures/report/v2-quota.log (0.5-core quota in cpu.max, 64 MiB memory.max)', async () => {
  const analysis = await analyzeLog(fixtureLines('v2-quota.log'), 'v2.log')
  const summary = analysis?.summary

  test('measures CPU against the quota, not the host', () => {
    expect(summary?.cpuLimit).toEqual({ cores: 0.5, from: 'quota', periodMs: 100 })
    expect(summary?.rates.cpuPercent?.max).toBeCloseTo(100, 3)
    expect(summary?.rates.cpuPercent?.p50).toBeCloseTo(20, 3)
  })

  test('finds CPU at the quota and throttling in the same 200 ms, and memory at 96.9% for 100 ms', () => {
    expect(analysis?.chart?.millibottlenecks.map(({ resource, start, duration, intervals }) => ({ resource, start, duration, intervals }))).toEqual([
      { resource: 'cpu', start: 1_700_000_000_200, duration: 200, intervals: 4 },
      { resource: 'throttling', start: 1_700_000_000_200, duration: 200, intervals: 4 },
      { resource: 'memory', start: 1_700_000_000_500, duration: 100, intervals: 2 },
    ])
    expect(analysis?.chart?.millibottlenecks[1]?.peak).toBe(1)
    expect(analysis?.chart?.millibottlenecks[2]?.peak).toBeCloseTo(96.875, 3)
    expect(summary?.totals).toMatchObject({ periods: 12, throttledPeriods: 4 })
  })
})

describe('TargetAnalyzer', () => {
  test('respects the CPU threshold option', () => {
    const strict = new TargetAnalyzer(info, { ...defaultAnalysisOptions, cpuThreshold: 50 })
    const lenient = new TargetAnalyzer(info, { ...defaultAnalysisOptions, cpuThreshold: 90 })
    for (const analyzer of [strict, lenient]) {
      analyzer.push(sample(0, 0))
      analyzer.push(sample(50, 30_000_000)) // 0.6 cores of 1
    }
    expect(strict.finish().chart?.millibottlenecks).toHaveLength(1)
    expect(lenient.finish().chart?.millibottlenecks).toHaveLength(0)
  })

  test('ends a saturation run at a gap and starts a new one after it', () => {
    const analyzer = new TargetAnalyzer(info)
    analyzer.push(sample(0, 0))
    analyzer.push(sample(50, 50_000_000)) // saturated
    analyzer.push(sample(100, Number.NaN)) // gap
    analyzer.push(sample(150, 150_000_000)) // gap (from NaN)
    analyzer.push(sample(200, 200_000_000)) // saturated again
    const runs = analyzer.finish().chart?.millibottlenecks
    expect(runs?.map((run) => [run.start, run.end])).toEqual([
      [0, 50],
      [150, 200],
    ])
  })

  test('skips a row whose read time does not advance, reporting it', () => {
    const problems: string[] = []
    const analyzer = new TargetAnalyzer(info, undefined, (line, message) => problems.push(`${line}: ${message}`))
    analyzer.push({ ...sample(100, 0), line: 1 })
    analyzer.push({ ...sample(100, 0), line: 2 })
    analyzer.push({ ...sample(150, 1), line: 3 })
    expect(problems).toEqual(["2: 'read' time does not advance past the previous row's; row skipped"])
    expect(analyzer.finish().summary.samples).toBe(2)
  })

  test('the quota written in the header (CollectorMetadata.CpuQuota) is the CPU limit when rows carry none', () => {
    const analyzer = new TargetAnalyzer({ ...info, hostCpus: 4, cpuQuota: 0.5 })
    analyzer.push(sample(0, 0))
    analyzer.push(sample(50, 25_000_000)) // 25 ms of CPU in 50 ms: 0.5 cores, all of the quota
    analyzer.push(sample(100, 30_000_000)) // 5 ms: 0.1 cores
    const { summary, chart } = analyzer.finish()
    const millibottlenecks = chart?.millibottlenecks ?? []
    expect(summary.cpuLimit).toEqual({ cores: 0.5, from: 'quota', periodMs: null })
    expect(summary.rates.cpuPercent?.max).toBeCloseTo(100, 9)
    expect(millibottlenecks.map((m) => [m.resource, m.start, m.duration])).toEqual([['cpu', 0, 50]])
  })

  test('leaves CPU percent and CPU saturation out when neither a quota nor the host CPUs are known', () => {
    const analyzer = new TargetAnalyzer({ ...info, hostCpus: null })
    analyzer.push(sample(0, 0))
    analyzer.push(sample(50, 50_000_000))
    const { summary, chart } = analyzer.finish()
    const millibottlenecks = chart?.millibottlenecks ?? []
    expect(summary.cpuLimit).toBeNull()
    expect(summary.rates.cpuPercent).toBeNull()
    expect(summary.rates.cpuCores?.max).toBeCloseTo(1, 9)
    expect(millibottlenecks).toEqual([])
  })
})
