import { describe, expect, test } from 'bun:test'
import { emptySample, type Sample } from '../src/_columns.ts'
import type { LogInfo } from '../src/_header.ts'
import { CPU_HYSTERESIS, defaultAnalysisOptions, RATE_NAMES, TargetAnalyzer, type TargetSummary } from '../src/analyze.ts'
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
    const cores = analysis?.chart?.levels.at(-1)?.values[analysis?.chart?.series.indexOf('cpuCores') ?? -1] // the finest level: every sample, at this length
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

  test('a CPU run goes on through the tick-accounting jitter below the threshold, and ends under threshold − CPU_HYSTERESIS', () => {
    const analyzer = new TargetAnalyzer(info)
    // Per 50 ms interval of one core: 100%, 92% (a jittery reading of a busy core), 104%, 84%, 96%.
    const used = [0, 50, 46, 52, 42, 48]
    let cpu = 0
    used.forEach((ms, i) => {
      cpu += ms * 1_000_000
      analyzer.push(sample(i * 50, cpu))
    })
    const runs = analyzer.finish().chart?.millibottlenecks.filter((run) => run.resource === 'cpu')
    expect(runs?.map((run) => [run.start, run.end, run.intervals])).toEqual([
      [0, 150, 3],
      [200, 250, 1],
    ])
    expect(CPU_HYSTERESIS).toBe(10)
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

/** The fixture's lines with the cells of `columns` in rows `rows` (0-based, after the column row) set to `value`. */
function withCells(name: string, columns: readonly string[], rows: (row: number) => boolean, value: (cell: string) => string): string[] {
  const lines = fixtureLines(name)
  const header = lines.findIndex((line) => line.startsWith('read,'))
  const indexes = (lines[header] as string).split(',').flatMap((column, index) => (columns.includes(column) ? [index] : []))
  return lines.map((line, at) => {
    if (at <= header || !rows(at - header - 1)) return line
    const cells = line.split(',')
    for (const index of indexes) cells[index] = value(cells[index] as string)
    return cells.join(',')
  })
}

const NETWORK = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped'].map((key) => `network.${key}`)

describe('fixtures/report/v2-signals.log (pressure, memory.events and network after radvisor 1.4 columns; 0.5-core quota in the header)', async () => {
  const problems: Problem[] = []
  const analysis = await analyzeLog(fixtureLines('v2-signals.log'), 'v2-signals.log', undefined, (problem) => problems.push(problem))
  const summary = analysis?.summary
  const runs = (resource: string) => analysis?.chart?.millibottlenecks.filter((run) => run.resource === resource)

  test('reads every row and has every group of signals', () => {
    expect(problems).toEqual([])
    expect(summary).toMatchObject({ samples: 21, intervals: 20, gaps: 0 })
    expect(summary?.signals).toEqual({ pressure: 'data', memoryEvents: 'data', network: 'data' })
  })

  test('finds the 200 ms CPU-pressure run: some task stalled 80%, 70%, 90% and 60% of four intervals from +0.35 s', () => {
    expect(runs('cpu-pressure')).toEqual([
      { resource: 'cpu-pressure', start: 1_700_000_000_350, end: 1_700_000_000_550, duration: 200, intervals: 4, peak: expect.closeTo(0.9, 12), runs: 1 },
    ])
    expect(summary?.millibottlenecks.longest[0]).toMatchObject({ resource: 'cpu-pressure', duration: 200 })
    // 1 ms of 50 elsewhere; full (every task stalled) at most 20 ms of 50; memory once 40% (under 50%), I/O never
    expect(summary?.rates.cpuPressureSome).toEqual({ p50: expect.closeTo(0.02, 12), p99: expect.closeTo(0.9, 12), max: expect.closeTo(0.9, 12) })
    expect(summary?.rates.cpuPressureFull?.max).toBeCloseTo(0.4, 12)
    expect(summary?.rates.memoryPressureSome?.max).toBeCloseTo(0.4, 12)
    expect(summary?.rates.ioPressureSome).toEqual({ p50: 0, p99: 0, max: 0 })
    expect(runs('memory-pressure')).toEqual([])
  })

  test('--pressure-threshold moves the line: at 85% one interval of the run is left, at 30% the memory stall counts, at 0% any stall does', async () => {
    const at = async (pressureThreshold: number) =>
      (await analyzeLog(fixtureLines('v2-signals.log'), 'v2-signals.log', { ...defaultAnalysisOptions, pressureThreshold }))?.chart?.millibottlenecks
        .filter((run) => run.resource.endsWith('-pressure'))
        .map(({ resource, start, end }) => [resource, start - 1_700_000_000_000, end - 1_700_000_000_000])
    expect(await at(85)).toEqual([['cpu-pressure', 450, 500]])
    expect(await at(30)).toEqual([
      ['cpu-pressure', 350, 550],
      ['memory-pressure', 700, 750],
    ])
    expect(await at(0)).toEqual([
      ['cpu-pressure', 0, 1000],
      ['memory-pressure', 700, 750],
    ])
  })

  test('lists the OOM kill at +0.65 s and sums the memory events', () => {
    expect(summary?.oom).toEqual({ kills: 1, intervals: 1, events: [{ time: 1_700_000_000_650, kills: 1 }], underOom: null })
    expect(analysis?.chart?.oomKills).toEqual([{ time: 1_700_000_000_650, kills: 1 }])
    expect(summary?.memoryEvents).toEqual({ low: 0, high: 2, max: 5, oom: 1 })
  })

  test('measures the network: 51,200 bytes and 40 packets received and 10,240 bytes and 20 packets sent per 50 ms', () => {
    expect(summary?.rates.networkRxBytesPerSec).toEqual({ p50: 1_024_000, p99: 1_024_000, max: 1_024_000 })
    expect(summary?.rates.networkTxBytesPerSec).toEqual({ p50: 204_800, p99: 204_800, max: 204_800 })
    expect(summary?.rates.networkRxPacketsPerSec?.max).toBe(800)
    expect(summary?.rates.networkTxPacketsPerSec?.max).toBe(400)
    expect(summary?.network).toEqual({ rxBytes: 1_024_000, rxPackets: 800, rxErrors: 0, rxDropped: 2, txBytes: 204_800, txPackets: 400, txErrors: 0, txDropped: 0 })
  })

  test('derives the working set: memory minus inactive file pages, floored at 0', () => {
    const MiB = 1 << 20
    expect(summary?.totals.peakWorkingSetBytes).toBe(61 * MiB) // 63 MiB with 2 MiB inactive, before the kill
    expect(summary?.rates.workingSetBytes?.p50).toBe(50 * MiB) // 60 MiB with 10 MiB inactive
    const finest = analysis?.chart?.levels.at(-1)
    const workingSet = finest?.values[analysis?.chart?.series.indexOf('workingSetBytes') ?? -1]
    expect(workingSet?.[11]).toBe(61 * MiB)
    expect(workingSet?.[12]).toBe(28 * MiB) // 30 MiB after the kill, 2 MiB inactive
    expect(workingSet?.[19]).toBe(0) // 31 MiB inactive of 30 MiB in use
  })

  test('the CPU burst is 200% of the quota in a 50 ms interval; the period is not in the log', () => {
    expect(summary?.cpuLimit).toEqual({ cores: 0.5, from: 'quota', periodMs: null })
    expect(summary?.rates.cpuPercent?.max).toBeCloseTo(200, 9)
  })
})

describe('the same log with radvisor 1.4 columns only (fixtures/report/v2-signals-radvisor-columns.log)', async () => {
  const full = (await analyzeLog(fixtureLines('v2-signals.log'), 'a.log'))?.summary as TargetSummary
  const analysis = await analyzeLog(fixtureLines('v2-signals-radvisor-columns.log'), 'a.log')
  const summary = analysis?.summary as TargetSummary

  test('reports everything radvisor 1.4 columns give exactly as for the extended log', () => {
    const base = RATE_NAMES.slice(0, RATE_NAMES.indexOf('cpuPressureSome'))
    for (const name of base) expect(summary.rates[name]).toEqual(full.rates[name])
    const { signals: _a, oom: _b, memoryEvents: _c, network: _d, rates: _e, millibottlenecks: _f, ...rest } = summary
    const { signals: _g, oom: _h, memoryEvents: _i, network: _j, rates: _k, millibottlenecks: _l, ...fullRest } = full
    expect(rest).toEqual(fullRest)
    expect(summary.millibottlenecks.longest).toEqual(full.millibottlenecks.longest.filter((run) => !run.resource.endsWith('-pressure')))
  })

  test('has none of the new signals: not logged, no values, no pressure millibottlenecks, no OOM marks', () => {
    expect(summary.signals).toEqual({ pressure: 'not-logged', memoryEvents: 'not-logged', network: 'not-logged' })
    expect(summary).toMatchObject({ oom: null, memoryEvents: null, network: null })
    for (const name of RATE_NAMES.slice(RATE_NAMES.indexOf('cpuPressureSome'))) expect(summary.rates[name]).toBeNull()
    expect(summary.millibottlenecks.byResource['cpu-pressure']).toEqual({ count: 0, totalDuration: 0 })
    expect(analysis?.chart?.oomKills).toEqual([])
  })
})

describe('fixtures/report/v2-host-network.log (CollectorMetadata.Network: host, network cells empty)', async () => {
  const summary = (await analyzeLog(fixtureLines('v2-host-network.log'), 'host.log'))?.summary

  test('does not attribute the network: no totals, no rates, never zeros', () => {
    expect(summary?.signals).toEqual({ pressure: 'data', memoryEvents: 'data', network: 'host-network' })
    expect(summary?.network).toBeNull()
    expect(summary?.rates.networkRxBytesPerSec).toBeNull()
    expect(summary?.gaps).toBe(0)
  })

  test('ignores values in the network cells of a host-network log: they would be the host traffic', async () => {
    const filled = withCells('v2-host-network.log', NETWORK, () => true, () => '1000')
    const analysis = await analyzeLog(filled, 'host.log')
    expect(analysis?.summary.network).toBeNull()
    expect(analysis?.summary.signals.network).toBe('host-network')
  })

  test('reads pressure and OOM kills as for any target: I/O stalled 10% (some) and 5% (full), no kills', () => {
    expect(summary?.rates.ioPressureSome?.max).toBeCloseTo(0.1, 12)
    expect(summary?.rates.ioPressureFull?.max).toBeCloseTo(0.05, 12)
    expect(summary?.oom).toEqual({ kills: 0, intervals: 0, events: [], underOom: null })
  })
})

describe('gaps in the new signals', () => {
  test('empty network cells in one row make two gaps and leave their intervals out of the totals', async () => {
    const analysis = await analyzeLog(withCells('v2-signals.log', NETWORK, (row) => row === 5, () => ''), 'gap.log')
    expect(analysis?.summary.gaps).toBe(2)
    expect(analysis?.summary.network?.rxBytes).toBe(18 * 51_200)
  })

  test('a counter going backwards (a re-created interface) is a gap, not a spike', async () => {
    const analysis = await analyzeLog(withCells('v2-signals.log', ['network.rx_bytes'], (row) => row >= 10, (cell) => String(Number(cell) - 1_500_000)), 'reset.log')
    expect(analysis?.summary.gaps).toBe(1)
    expect(analysis?.summary.rates.networkRxBytesPerSec?.max).toBe(1_024_000)
    expect(analysis?.summary.network?.rxBytes).toBe(19 * 51_200)
  })

  test('a full_total that is always empty (kernels before 5.13 show no cpu full line for cgroups) is no gap', async () => {
    const analysis = await analyzeLog(withCells('v2-signals.log', ['cpu.pressure/full_total'], () => true, () => ''), 'old-kernel.log')
    expect(analysis?.summary.gaps).toBe(0)
    expect(analysis?.summary.rates.cpuPressureFull).toBeNull()
    expect(analysis?.summary.rates.cpuPressureSome?.max).toBeCloseTo(0.9, 12)
  })

  test('pressure columns with only empty cells (a v1 cgroup without a unified counterpart) say so', async () => {
    const pressure = ['cpu', 'memory', 'io'].flatMap((resource) => [`${resource}.pressure/some_total`, `${resource}.pressure/full_total`])
    const analysis = await analyzeLog(withCells('v2-signals.log', pressure, () => true, () => ''), 'no-psi.log')
    expect(analysis?.summary.signals.pressure).toBe('empty')
    expect(analysis?.summary.millibottlenecks.byResource['cpu-pressure'].count).toBe(0)
  })
})

describe('cgroup v1 signals: memory.oom_control', () => {
  test('counts OOM kills and the time under OOM', async () => {
    const rows = [
      [0, 0, 0],
      [50, 0, 0],
      [100, 0, 1], // under OOM from here (oom_kill_disable: tasks wait)
      [150, 0, 1],
      [200, 2, 0], // two kills, no longer under OOM
      [250, 2, 0],
    ]
    const text = [
      '---',
      'CollectorType: cgroup_v1',
      '---',
      'read,cpu.usage.total,memory.usage.current,memory.file.inactive,memory.oom_control/oom_kill,memory.oom_control/under_oom',
      ...rows.map(([ms, kills, under]) => `${1_700_000_000_000_000_000n + BigInt(ms as number) * 1_000_000n},0,2000,500,${kills},${under}`),
    ]
    const summary = (await analyzeLog(text, 'v1.log'))?.summary
    expect(summary?.oom).toEqual({ kills: 2, intervals: 1, events: [{ time: 1_700_000_000_200, kills: 2 }], underOom: { intervals: 2, duration: 100 } })
    expect(summary?.memoryEvents).toBeNull() // v2's memory.events only
    expect(summary?.signals.memoryEvents).toBe('data')
    expect(summary?.totals.peakWorkingSetBytes).toBe(1500)
  })
})
