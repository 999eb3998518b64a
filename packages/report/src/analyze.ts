import { CHART_SERIES, type ChartData, ChartRecorder } from './_chart.ts'
import type { Sample } from './_columns.ts'
import { Distribution, type Quantiles } from './_distribution.ts'
import type { LogInfo } from './_header.ts'
import { type Millibottleneck, type Resource, type RunSummary, RunStats } from './_runs.ts'

export { type Millibottleneck, RESOURCES, type Resource, type ShadedRun } from './_runs.ts'

/** Thresholds for calling an interval saturated. */
export interface AnalysisOptions {
  /** CPU use, percent of the quota (or of the host's online CPUs), at or above which CPU is saturated. */
  readonly cpuThreshold: number
  /** Memory use, percent of the limit, at or above which memory is saturated. */
  readonly memoryThreshold: number
}

export const defaultAnalysisOptions: AnalysisOptions = { cpuThreshold: 95, memoryThreshold: 95 }

/** The rates derived per interval. */
export type RateName =
  | 'cpuCores'
  | 'cpuPercent'
  | 'throttledFraction'
  | 'memoryBytes'
  | 'memoryPercent'
  | 'ioReadBytesPerSec'
  | 'ioWriteBytesPerSec'
  | 'ioWait'
  | 'pageFaultsPerSec'
  | 'majorPageFaultsPerSec'

/** How punctually the samples were taken (DESIGN §8). */
export interface SamplingStats {
  /** The median delta between consecutive `read` times, taken as the nominal interval, ms. */
  readonly nominalInterval: number
  readonly deltas: { readonly min: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
  /** Intervals longer than 1.2× the nominal one, and the share of the run they cover. */
  readonly lateIntervals: number
  readonly lateDuration: number
  readonly lateShare: number
}

/** What the report says about one target (one log). */
export interface TargetSummary {
  readonly source: string
  readonly name: string
  readonly id: string | null
  readonly provider: string | null
  readonly version: string | null
  readonly collectorType: string
  readonly cgroup: string | null
  /** The CPU limit percentages refer to: the quota, else the host's online CPUs. */
  readonly cpuLimit: { readonly cores: number; readonly from: 'quota' | 'host' } | null
  /** The last memory limit seen, bytes. */
  readonly memoryLimit: number | null
  /** Unix ms of the first and last sample. */
  readonly start: number
  readonly end: number
  readonly duration: number
  readonly samples: number
  readonly intervals: number
  /** Intervals where a counter was missing or went backwards (reset): gaps, not spikes. */
  readonly gaps: number
  readonly totals: {
    readonly cpuSeconds: number
    readonly ioReadBytes: number
    readonly ioWriteBytes: number
    readonly pageFaults: number
    readonly majorPageFaults: number
    readonly periods: number
    readonly throttledPeriods: number
    readonly peakMemoryBytes: number | null
  }
  readonly rates: Readonly<Record<RateName, Quantiles | null>>
  /**
   * 0 when every percentile (of the rates and of the sampling deltas) is exact; else the
   * largest relative error of any of them (past `EXACT_VALUES` intervals they come from a sketch).
   */
  readonly percentileError: number
  /** Exact counts and durations; the 10 longest, longest first. */
  readonly millibottlenecks: RunSummary
  readonly sampling: SamplingStats | null
}

/** A target's summary plus, when asked for, the bounded chart data the HTML report draws. */
export interface TargetAnalysis {
  readonly summary: TargetSummary
  readonly chart: ChartData | null
}

const RATE_NAMES: readonly RateName[] = [
  'cpuCores',
  'cpuPercent',
  'throttledFraction',
  'memoryBytes',
  'memoryPercent',
  'ioReadBytesPerSec',
  'ioWriteBytesPerSec',
  'ioWait',
  'pageFaultsPerSec',
  'majorPageFaultsPerSec',
]

/** Counters whose gaps count; bit positions in the gap masks. */
const COUNTERS = ['cpu', 'periods', 'throttled', 'ioRead', 'ioWrite', 'ioWait', 'faults', 'majorFaults'] as const
const LATE_FACTOR = 1.2

interface OpenRun {
  start: number
  end: number
  intervals: number
  peak: number
}

/**
 * Turns one target's samples into per-interval rates, millibottlenecks and sampling
 * statistics, one sample at a time, in memory that does not grow with the log: it keeps
 * the previous sample, the open saturation runs, one bounded distribution per rate, the
 * millibottleneck counts and longest few, and (with `charts`) the bounded chart data.
 */
export class TargetAnalyzer {
  private readonly previous: Record<(typeof COUNTERS)[number] | 'time', number> = {
    time: Number.NaN,
    cpu: Number.NaN,
    periods: Number.NaN,
    throttled: Number.NaN,
    ioRead: Number.NaN,
    ioWrite: Number.NaN,
    ioWait: Number.NaN,
    faults: Number.NaN,
    majorFaults: Number.NaN,
  }
  private readonly deltas = new Distribution()
  private readonly rates = Object.fromEntries(RATE_NAMES.map((name) => [name, new Distribution()])) as Record<RateName, Distribution>
  private readonly open = new Map<Resource, OpenRun>()
  private readonly runs = new RunStats()
  private readonly chart: ChartRecorder | null
  private readonly chartValues = new Float64Array(CHART_SERIES.length)
  private readonly gapMasks = new Map<number, number>()
  private presentMask = 0
  private samples = 0
  private intervals = 0
  private first = Number.NaN
  private quotaSeen = Number.NaN
  private memoryLimit = Number.NaN
  private peakMemory = Number.NaN
  private readonly totals = { cpu: 0, ioRead: 0, ioWrite: 0, faults: 0, majorFaults: 0, periods: 0, throttled: 0 }

  constructor(
    readonly info: LogInfo,
    private readonly options: AnalysisOptions = defaultAnalysisOptions,
    private readonly onProblem: (line: number, message: string) => void = () => {},
    charts = true,
  ) {
    this.chart = charts ? new ChartRecorder() : null
  }

  push(sample: Sample): void {
    const previous = this.previous
    if (this.samples > 0 && !(sample.time > previous.time)) {
      this.onProblem(sample.line, "'read' time does not advance past the previous row's; row skipped")
      return
    }
    this.samples++
    if (Number.isFinite(sample.memory)) this.peakMemory = Number.isNaN(this.peakMemory) ? sample.memory : Math.max(this.peakMemory, sample.memory)
    if (Number.isFinite(sample.cpuQuota)) this.quotaSeen = sample.cpuQuota
    if (!Number.isNaN(sample.memoryLimit)) this.memoryLimit = sample.memoryLimit
    let gapMask = 0
    for (let bit = 0; bit < COUNTERS.length; bit++) {
      if (Number.isFinite(sample[COUNTERS[bit] as (typeof COUNTERS)[number]])) this.presentMask |= 1 << bit
    }
    if (this.samples === 1) this.first = sample.time
    else gapMask = this.interval(sample)
    if (gapMask !== 0) this.gapMasks.set(gapMask, (this.gapMasks.get(gapMask) ?? 0) + 1)
    for (const counter of COUNTERS) previous[counter] = sample[counter]
    previous.time = sample.time
  }

  /** Closes open runs and computes the summary. */
  finish(): TargetAnalysis {
    for (const resource of [...this.open.keys()]) this.close(resource)
    return { summary: this.summary(), chart: this.chart?.finish() ?? null }
  }

  /** Numbers held by the distributions and the chart data: what a test of the memory bound checks. */
  get footprint(): { readonly distributions: number; readonly buckets: number; readonly windowPoints: number; readonly shadedRuns: number } {
    let distributions = this.deltas.footprint
    for (const name of RATE_NAMES) distributions += this.rates[name].footprint
    return { distributions, ...(this.chart?.footprint ?? { buckets: 0, windowPoints: 0, shadedRuns: 0 }) }
  }

  /** Derives the interval from the previous sample to this one; returns its gap mask. */
  private interval(sample: Sample): number {
    const previous = this.previous
    const elapsedMs = sample.time - previous.time
    let gapMask = 0
    const change = (counter: (typeof COUNTERS)[number]): number => {
      const now = sample[counter]
      const before = previous[counter]
      if (now >= before) return now - before
      gapMask |= 1 << COUNTERS.indexOf(counter)
      return Number.NaN
    }
    const cpu = change('cpu')
    const periods = change('periods')
    const throttled = change('throttled')
    const ioRead = change('ioRead')
    const ioWrite = change('ioWrite')
    const ioWait = change('ioWait')
    const faults = change('faults')
    const majorFaults = change('majorFaults')

    const cpuCores = cpu / (elapsedMs * 1e6)
    const limit = this.cpuLimitCores(sample)
    const cpuPercent = limit === null ? Number.NaN : (cpuCores / limit) * 100
    const throttledFraction = periods > 0 ? throttled / periods : periods === 0 && throttled === 0 ? 0 : Number.NaN
    const memoryPercent = sample.memoryLimit > 0 ? (sample.memory / sample.memoryLimit) * 100 : Number.NaN
    const waiting = ioWait / (elapsedMs * 1e6)
    const perSecond = 1000 / elapsedMs

    this.intervals++
    this.deltas.push(elapsedMs)
    const rates = this.rates
    rates.cpuCores.push(cpuCores)
    rates.cpuPercent.push(cpuPercent)
    rates.throttledFraction.push(throttledFraction)
    rates.memoryBytes.push(sample.memory)
    rates.memoryPercent.push(memoryPercent)
    rates.ioReadBytesPerSec.push(ioRead * perSecond)
    rates.ioWriteBytesPerSec.push(ioWrite * perSecond)
    rates.ioWait.push(waiting)
    rates.pageFaultsPerSec.push(faults * perSecond)
    rates.majorPageFaultsPerSec.push(majorFaults * perSecond)

    const totals = this.totals
    if (cpu >= 0) totals.cpu += cpu
    if (ioRead >= 0) totals.ioRead += ioRead
    if (ioWrite >= 0) totals.ioWrite += ioWrite
    if (faults >= 0) totals.faults += faults
    if (majorFaults >= 0) totals.majorFaults += majorFaults
    if (periods >= 0) totals.periods += periods
    if (throttled >= 0) totals.throttled += throttled

    const start = previous.time
    const cpuSaturated = this.track('cpu', cpuPercent >= this.options.cpuThreshold, cpuPercent, start, sample.time)
    const throttlingSaturated = this.track('throttling', throttledFraction > 0, throttledFraction, start, sample.time)
    const memorySaturated = this.track('memory', memoryPercent >= this.options.memoryThreshold, memoryPercent, start, sample.time)
    const ioSaturated = this.track('io-wait', waiting >= 1, waiting, start, sample.time)
    const saturated = cpuSaturated || throttlingSaturated || memorySaturated || ioSaturated
    const chart = this.chart
    if (chart !== null) {
      const values = this.chartValues // in CHART_SERIES order
      values[0] = cpuCores
      values[1] = cpuPercent
      values[2] = sample.memory
      values[3] = ioRead * perSecond
      values[4] = ioWrite * perSecond
      values[5] = throttledFraction
      chart.push(sample.time, values, saturated)
    }
    return gapMask
  }

  /** The quota from the row (if the log has quota columns), else from the header, else the host's CPUs. */
  private cpuLimitCores(sample: Sample): number | null {
    if (sample.cpuQuota > 0) return sample.cpuQuota
    return this.info.cpuQuota ?? this.info.hostCpus
  }

  /** Extends the resource's open run while saturated; a gap (NaN) or an idle interval ends it. Returns `saturated`. */
  private track(resource: Resource, saturated: boolean, value: number, start: number, end: number): boolean {
    const run = this.open.get(resource)
    if (!saturated) {
      if (run) this.close(resource)
      return false
    }
    if (run) {
      run.end = end
      run.intervals++
      run.peak = Math.max(run.peak, value)
    } else {
      this.open.set(resource, { start, end, intervals: 1, peak: value })
    }
    return true
  }

  private close(resource: Resource): void {
    const run = this.open.get(resource)
    if (!run) return
    this.open.delete(resource)
    const millibottleneck: Millibottleneck = { resource, start: run.start, end: run.end, duration: run.end - run.start, intervals: run.intervals, peak: run.peak }
    this.runs.add(millibottleneck)
    this.chart?.addRun(millibottleneck)
  }

  private summary(): TargetSummary {
    const info = this.info
    let gaps = 0
    for (const [mask, count] of this.gapMasks) if ((mask & this.presentMask) !== 0) gaps += count
    const hasSamples = this.samples > 0
    const last = hasSamples ? this.previous.time : Number.NaN
    return {
      source: info.source,
      name: info.name,
      id: info.id,
      provider: info.provider,
      version: info.version,
      collectorType: info.collectorType,
      cgroup: info.cgroup,
      cpuLimit: Number.isFinite(this.quotaSeen)
        ? { cores: this.quotaSeen, from: 'quota' }
        : info.cpuQuota !== null
          ? { cores: info.cpuQuota, from: 'quota' }
          : info.hostCpus === null
          ? null
          : { cores: info.hostCpus, from: 'host' },
      memoryLimit: Number.isFinite(this.memoryLimit) ? this.memoryLimit : null,
      start: this.first,
      end: last,
      duration: hasSamples ? last - this.first : 0,
      samples: this.samples,
      intervals: this.intervals,
      gaps,
      totals: {
        cpuSeconds: this.totals.cpu / 1e9,
        ioReadBytes: this.totals.ioRead,
        ioWriteBytes: this.totals.ioWrite,
        pageFaults: this.totals.faults,
        majorPageFaults: this.totals.majorFaults,
        periods: this.totals.periods,
        throttledPeriods: this.totals.throttled,
        peakMemoryBytes: Number.isFinite(this.peakMemory) ? this.peakMemory : null,
      },
      rates: Object.fromEntries(RATE_NAMES.map((name) => [name, this.rates[name].quantiles()])) as Record<RateName, Quantiles | null>,
      percentileError: Math.max(this.deltas.relativeError, ...RATE_NAMES.map((name) => this.rates[name].relativeError)),
      millibottlenecks: this.runs.summary(),
      sampling: this.sampling(),
    }
  }

  private sampling(): SamplingStats | null {
    const deltas = this.deltas
    if (deltas.count === 0) return null
    const nominal = deltas.percentile(50)
    const late = deltas.above(LATE_FACTOR * nominal)
    return {
      nominalInterval: nominal,
      deltas: { min: deltas.min, p50: nominal, p90: deltas.percentile(90), p99: deltas.percentile(99), max: deltas.max },
      lateIntervals: late.count,
      lateDuration: late.sum,
      lateShare: deltas.sum > 0 ? late.sum / deltas.sum : 0,
    }
  }
}
