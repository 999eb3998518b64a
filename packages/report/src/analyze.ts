import type { Sample } from './_columns.ts'
import type { LogInfo } from './_header.ts'
import { finiteSorted, float32, float64, type Quantiles, quantiles, rank, Series } from './_series.ts'

/** A resource that can saturate. */
export type Resource = 'cpu' | 'throttling' | 'memory' | 'io-wait'
export const RESOURCES: readonly Resource[] = ['cpu', 'throttling', 'memory', 'io-wait']

/** Thresholds for calling an interval saturated. */
export interface AnalysisOptions {
  /** CPU use, percent of the quota (or of the host's online CPUs), at or above which CPU is saturated. */
  readonly cpuThreshold: number
  /** Memory use, percent of the limit, at or above which memory is saturated. */
  readonly memoryThreshold: number
}

export const defaultAnalysisOptions: AnalysisOptions = { cpuThreshold: 95, memoryThreshold: 95 }

/**
 * A run of consecutive saturated intervals of one resource. `peak` is in the resource's
 * unit: CPU and memory in percent of the limit, throttling as the fraction of CFS periods
 * throttled, I/O wait as the average number of requests waiting.
 */
export interface Millibottleneck {
  readonly resource: Resource
  /** Unix ms of the first saturated interval's start and of the last one's end. */
  readonly start: number
  readonly end: number
  readonly duration: number
  readonly intervals: number
  readonly peak: number
}

/** Per-interval values at full resolution, for charts; NaN is a gap. */
export interface TargetSeries {
  /** Unix ms at the end of each interval. */
  readonly time: Float64Array
  readonly cpuCores: Float32Array
  readonly cpuPercent: Float32Array
  readonly throttledFraction: Float32Array
  readonly memoryBytes: Float32Array
  readonly memoryPercent: Float32Array
  readonly ioReadBytesPerSec: Float32Array
  readonly ioWriteBytesPerSec: Float32Array
  readonly ioWait: Float32Array
  readonly pageFaultsPerSec: Float32Array
  readonly majorPageFaultsPerSec: Float32Array
}

export type RateName = Exclude<keyof TargetSeries, 'time'>

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
  readonly millibottlenecks: {
    readonly count: number
    readonly totalDuration: number
    readonly byResource: Readonly<Record<Resource, { readonly count: number; readonly totalDuration: number }>>
    /** The 10 longest, longest first. */
    readonly longest: readonly Millibottleneck[]
  }
  readonly sampling: SamplingStats | null
}

/** A target's summary plus the full-resolution data the HTML report draws. */
export interface TargetAnalysis {
  readonly summary: TargetSummary
  readonly series: TargetSeries
  /** Every millibottleneck, in time order. */
  readonly millibottlenecks: readonly Millibottleneck[]
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
const TOP = 10

interface OpenRun {
  start: number
  end: number
  intervals: number
  peak: number
}

/**
 * Turns one target's samples into per-interval rates, millibottlenecks and sampling
 * statistics, one sample at a time: it keeps the previous sample, the open saturation runs
 * and the per-interval series (a few bytes per interval), never the rows.
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
  private readonly time = new Series(float64)
  private readonly delta = new Series(float64)
  private readonly rates = Object.fromEntries(RATE_NAMES.map((name) => [name, new Series(float32)])) as Record<RateName, Series<Float32Array>>
  private readonly open = new Map<Resource, OpenRun>()
  private readonly done: Millibottleneck[] = []
  private readonly gapMasks = new Map<number, number>()
  private presentMask = 0
  private samples = 0
  private first = Number.NaN
  private quotaSeen = Number.NaN
  private memoryLimit = Number.NaN
  private peakMemory = Number.NaN
  private readonly totals = { cpu: 0, ioRead: 0, ioWrite: 0, faults: 0, majorFaults: 0, periods: 0, throttled: 0 }

  constructor(
    readonly info: LogInfo,
    private readonly options: AnalysisOptions = defaultAnalysisOptions,
    private readonly onProblem: (line: number, message: string) => void = () => {},
  ) {}

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
    const series = this.series()
    const millibottlenecks = [...this.done].sort((a, b) => a.start - b.start || RESOURCES.indexOf(a.resource) - RESOURCES.indexOf(b.resource))
    return { summary: this.summary(series, millibottlenecks), series, millibottlenecks }
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

    this.time.push(sample.time)
    this.delta.push(elapsedMs)
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
    this.track('cpu', cpuPercent >= this.options.cpuThreshold, cpuPercent, start, sample.time)
    this.track('throttling', throttledFraction > 0, throttledFraction, start, sample.time)
    this.track('memory', memoryPercent >= this.options.memoryThreshold, memoryPercent, start, sample.time)
    this.track('io-wait', waiting >= 1, waiting, start, sample.time)
    return gapMask
  }

  /** The quota from the row (if the log has quota columns), else from the header, else the host's CPUs. */
  private cpuLimitCores(sample: Sample): number | null {
    if (sample.cpuQuota > 0) return sample.cpuQuota
    return this.info.cpuQuota ?? this.info.hostCpus
  }

  /** Extends the resource's open run while saturated; a gap (NaN) or an idle interval ends it. */
  private track(resource: Resource, saturated: boolean, value: number, start: number, end: number): void {
    const run = this.open.get(resource)
    if (!saturated) {
      if (run) this.close(resource)
      return
    }
    if (run) {
      run.end = end
      run.intervals++
      run.peak = Math.max(run.peak, value)
    } else {
      this.open.set(resource, { start, end, intervals: 1, peak: value })
    }
  }

  private close(resource: Resource): void {
    const run = this.open.get(resource)
    if (!run) return
    this.open.delete(resource)
    this.done.push({ resource, start: run.start, end: run.end, duration: run.end - run.start, intervals: run.intervals, peak: run.peak })
  }

  private series(): TargetSeries {
    const values = Object.fromEntries(RATE_NAMES.map((name) => [name, this.rates[name].values()])) as Record<RateName, Float32Array>
    return { time: this.time.values(), ...values }
  }

  private summary(series: TargetSeries, millibottlenecks: readonly Millibottleneck[]): TargetSummary {
    const info = this.info
    const byResource = Object.fromEntries(
      RESOURCES.map((resource) => {
        const runs = millibottlenecks.filter((run) => run.resource === resource)
        return [resource, { count: runs.length, totalDuration: sum(runs.map((run) => run.duration)) }]
      }),
    ) as Record<Resource, { count: number; totalDuration: number }>
    const longest = [...millibottlenecks].sort((a, b) => b.duration - a.duration || a.start - b.start).slice(0, TOP)
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
      intervals: series.time.length,
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
      rates: Object.fromEntries(RATE_NAMES.map((name) => [name, quantiles(series[name])])) as Record<RateName, Quantiles | null>,
      millibottlenecks: {
        count: millibottlenecks.length,
        totalDuration: sum(millibottlenecks.map((run) => run.duration)),
        byResource,
        longest,
      },
      sampling: this.sampling(),
    }
  }

  private sampling(): SamplingStats | null {
    const deltas = this.delta.values()
    const sorted = finiteSorted(deltas)
    if (sorted.length === 0) return null
    const nominal = rank(sorted, 50)
    let lateIntervals = 0
    let lateDuration = 0
    let total = 0
    for (const delta of deltas) {
      total += delta
      if (delta > LATE_FACTOR * nominal) {
        lateIntervals++
        lateDuration += delta
      }
    }
    return {
      nominalInterval: nominal,
      deltas: {
        min: sorted[0] as number,
        p50: nominal,
        p90: rank(sorted, 90),
        p99: rank(sorted, 99),
        max: sorted[sorted.length - 1] as number,
      },
      lateIntervals,
      lateDuration,
      lateShare: total > 0 ? lateDuration / total : 0,
    }
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
