import { CHART_SERIES, type ChartData, ChartRecorder, type ChartSeries } from './_chart.ts'
import { type Sample, SIGNAL_COLUMNS } from './_columns.ts'
import { Distribution, type Quantiles } from './_distribution.ts'
import { OomEvents, type OomSummary } from './_events.ts'
import type { LogInfo } from './_header.ts'
import { type Millibottleneck, type Resource, type RunSummary, RunStats } from './_runs.ts'

export { type Millibottleneck, RESOURCES, type Resource, type ShadedRun } from './_runs.ts'

/** Thresholds for calling an interval saturated. */
export interface AnalysisOptions {
  /** CPU use, percent of the quota (or of the host's online CPUs), at or above which CPU is saturated. */
  readonly cpuThreshold: number
  /** Memory use, percent of the limit, at or above which memory is saturated. */
  readonly memoryThreshold: number
  /** Share of an interval, percent, in which some task stalled on a resource, above which it counts as a pressure millibottleneck. */
  readonly pressureThreshold: number
}

export const defaultAnalysisOptions: AnalysisOptions = { cpuThreshold: 95, memoryThreshold: 95, pressureThreshold: 50 }

/** The rates (and gauges) derived per interval, in this order. */
export const RATE_NAMES = [
  'cpuCores',
  'cpuPercent',
  'throttledFraction',
  'memoryBytes',
  'memoryPercent',
  'workingSetBytes',
  'ioReadBytesPerSec',
  'ioWriteBytesPerSec',
  'ioWait',
  'pageFaultsPerSec',
  'majorPageFaultsPerSec',
  // Share of the interval in which some (full: every non-idle) task stalled on the resource.
  'cpuPressureSome',
  'cpuPressureFull',
  'memoryPressureSome',
  'memoryPressureFull',
  'ioPressureSome',
  'ioPressureFull',
  'networkRxBytesPerSec',
  'networkTxBytesPerSec',
  'networkRxPacketsPerSec',
  'networkTxPacketsPerSec',
] as const
export type RateName = (typeof RATE_NAMES)[number]

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

/**
 * Whether a log has a group of the signals after radvisor 1.4's columns: values (`data`),
 * only empty cells (`empty`), no such columns (`not-logged`, as in radvisor 1.4's logs), or,
 * for network, a target in the host's namespace (`host-network`: not attributed).
 */
export type Availability = 'data' | 'empty' | 'not-logged' | 'host-network'

/** Counter totals of the target's network namespace (every interface but `lo`). */
export interface NetworkTotals {
  readonly rxBytes: number
  readonly rxPackets: number
  readonly rxErrors: number
  readonly rxDropped: number
  readonly txBytes: number
  readonly txPackets: number
  readonly txErrors: number
  readonly txDropped: number
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
  /**
   * The CPU limit percentages refer to: the quota, else the host's online CPUs; with the
   * CFS period in ms when the log carries it (v1 `cpu.cfs_period_us`, v2 `cpu.max` columns).
   */
  readonly cpuLimit: { readonly cores: number; readonly from: 'quota' | 'host'; readonly periodMs: number | null } | null
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
    /** Memory minus inactive file pages, floored at 0: what the kubelet evicts on. */
    readonly peakWorkingSetBytes: number | null
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
  /** Which of the signals beyond radvisor 1.4's columns the log has. */
  readonly signals: { readonly pressure: Availability; readonly memoryEvents: Availability; readonly network: Availability }
  /** OOM kills, null when the log has no value for them. */
  readonly oom: OomSummary | null
  /** v2 `memory.events` counts in the run (besides `oom_kill`), null without values. */
  readonly memoryEvents: { readonly low: number; readonly high: number; readonly max: number; readonly oom: number } | null
  /** Network counter totals, null unless the log has values for them. */
  readonly network: NetworkTotals | null
}

/** A target's summary plus, when asked for, the bounded chart data the HTML report draws. */
export interface TargetAnalysis {
  readonly summary: TargetSummary
  readonly chart: ChartData | null
}

/**
 * The counters turned into changes per interval, and the bit each sets in a gap mask when
 * it is missing or goes backwards. Counters read from one file (so logged together) share
 * a bit, which keeps the number of distinct masks bounded (2^17).
 */
const OOM_KILL_BIT = 14
const MEMORY_EVENTS_BIT = 15
const NETWORK_BIT = 16
const COUNTERS = [
  ['cpu', 0],
  ['periods', 1],
  ['throttled', 2],
  ['ioRead', 3],
  ['ioWrite', 4],
  ['ioWait', 5],
  ['faults', 6],
  ['majorFaults', 7],
  ['cpuSome', 8],
  ['cpuFull', 9],
  ['memorySome', 10],
  ['memoryFull', 11],
  ['ioSome', 12],
  ['ioFull', 13],
  ['oomKills', OOM_KILL_BIT],
  ['memoryLow', MEMORY_EVENTS_BIT],
  ['memoryHigh', MEMORY_EVENTS_BIT],
  ['memoryMax', MEMORY_EVENTS_BIT],
  ['memoryOom', MEMORY_EVENTS_BIT],
  ['netRxBytes', NETWORK_BIT],
  ['netRxPackets', NETWORK_BIT],
  ['netRxErrors', NETWORK_BIT],
  ['netRxDropped', NETWORK_BIT],
  ['netTxBytes', NETWORK_BIT],
  ['netTxPackets', NETWORK_BIT],
  ['netTxErrors', NETWORK_BIT],
  ['netTxDropped', NETWORK_BIT],
] as const satisfies readonly (readonly [keyof Sample, number])[]
type Counter = (typeof COUNTERS)[number][0]
const FIELDS: readonly Counter[] = COUNTERS.map(([counter]) => counter)
const MASKS: readonly number[] = COUNTERS.map(([, bit]) => 1 << bit)
const AT = Object.fromEntries(FIELDS.map((counter, index) => [counter, index])) as Record<Counter, number>
/** The group of signals each counter belongs to (undefined: radvisor 1.4's columns). */
const SIGNAL_GROUPS: readonly (keyof typeof SIGNAL_COLUMNS | undefined)[] = COUNTERS.map(([, bit]) =>
  bit >= 8 && bit <= 13 ? 'pressure' : bit === OOM_KILL_BIT || bit === MEMORY_EVENTS_BIT ? 'memoryEvents' : bit === NETWORK_BIT ? 'network' : undefined,
)
const RATE = Object.fromEntries(RATE_NAMES.map((name, index) => [name, index])) as Record<RateName, number>
/** Chart series a log can give only with a group of signals' columns (kept out of the chart data otherwise). */
const SIGNAL_SERIES: Readonly<Partial<Record<ChartSeries, keyof typeof SIGNAL_COLUMNS>>> = {
  cpuPressureSome: 'pressure',
  cpuPressureFull: 'pressure',
  memoryPressureSome: 'pressure',
  memoryPressureFull: 'pressure',
  ioPressureSome: 'pressure',
  ioPressureFull: 'pressure',
  networkRxBytesPerSec: 'network',
  networkTxBytesPerSec: 'network',
}
const PRESSURE_RUNS = [
  ['cpu-pressure', 'cpuPressureSome'],
  ['memory-pressure', 'memoryPressureSome'],
  ['io-pressure', 'ioPressureSome'],
] as const satisfies readonly (readonly [Resource, RateName])[]
const LATE_FACTOR = 1.2

interface OpenRun {
  start: number
  end: number
  intervals: number
  peak: number
}

/**
 * Percentage points a CPU millibottleneck, once begun, may dip below the threshold and go on.
 * The kernel books a running task's CPU time at its scheduler ticks (every 4 ms at HZ=250),
 * so a core that is busy for a whole 50 ms interval reads anywhere from about 92% to 108%:
 * judged interval by interval at 95%, one saturation would be cut into pieces by that
 * jitter alone. A run begins at the threshold and ends below threshold − 10.
 */
export const CPU_HYSTERESIS = 10

/**
 * Turns one target's samples into per-interval rates, millibottlenecks and sampling
 * statistics, one sample at a time, in memory that does not grow with the log: it keeps
 * the previous sample, the open saturation runs, one bounded distribution per rate, the
 * millibottleneck counts and longest few, the first OOM kills, and (with `charts`) the
 * bounded chart data.
 */
export class TargetAnalyzer {
  /** The counters the log's columns can give (indexes into COUNTERS); the others stay NaN. */
  private readonly active: readonly number[]
  /** Whether the log has pressure columns, so pressure millibottlenecks can occur. */
  private readonly pressureLogged: boolean
  private readonly previous = new Float64Array(COUNTERS.length).fill(Number.NaN)
  private previousTime = Number.NaN
  /** Per counter: its change in the current interval, its sum over the run, and whether it ever had one. */
  private readonly change = new Float64Array(COUNTERS.length).fill(Number.NaN)
  private readonly sums = new Float64Array(COUNTERS.length)
  private readonly counted = new Uint8Array(COUNTERS.length)
  private readonly deltas = new Distribution()
  private readonly rates = RATE_NAMES.map(() => new Distribution())
  private readonly rateValues = new Float64Array(RATE_NAMES.length)
  private readonly open = new Map<Resource, OpenRun>()
  private readonly runs = new RunStats()
  private readonly oom = new OomEvents()
  private readonly chart: ChartRecorder | null
  /** The rate (index) of each chart series recorded, and their values in an interval. */
  private readonly chartRates: readonly number[]
  private readonly chartValues: Float64Array
  private readonly gapMasks = new Map<number, number>()
  private presentMask = 0
  private samples = 0
  private intervals = 0
  private first = Number.NaN
  private quotaSeen = Number.NaN
  private periodSeen = Number.NaN
  private memoryLimit = Number.NaN
  private peakMemory = Number.NaN
  private peakWorkingSet = Number.NaN

  constructor(
    readonly info: LogInfo,
    private readonly options: AnalysisOptions = defaultAnalysisOptions,
    private readonly onProblem: (line: number, message: string) => void = () => {},
    charts = true,
  ) {
    const logged = (group: keyof typeof SIGNAL_COLUMNS | undefined): boolean =>
      group === undefined || (this.logs(group) && !(group === 'network' && info.network === 'host'))
    this.active = FIELDS.flatMap((_, index) => (logged(SIGNAL_GROUPS[index]) ? [index] : []))
    this.pressureLogged = logged('pressure')
    const series = CHART_SERIES.filter((name) => logged(SIGNAL_SERIES[name]))
    this.chart = charts ? new ChartRecorder(series) : null
    this.chartRates = series.map((name) => RATE[name])
    this.chartValues = new Float64Array(series.length)
  }

  push(sample: Sample): void {
    if (this.samples > 0 && !(sample.time > this.previousTime)) {
      this.onProblem(sample.line, "'read' time does not advance past the previous row's; row skipped")
      return
    }
    this.samples++
    this.peakMemory = highest(this.peakMemory, sample.memory)
    this.peakWorkingSet = highest(this.peakWorkingSet, workingSet(sample))
    if (Number.isFinite(sample.cpuQuota)) this.quotaSeen = sample.cpuQuota
    if (Number.isFinite(sample.cpuPeriod)) this.periodSeen = sample.cpuPeriod
    if (!Number.isNaN(sample.memoryLimit)) this.memoryLimit = sample.memoryLimit
    const active = this.active
    for (let a = 0; a < active.length; a++) {
      const i = active[a] as number
      if (Number.isFinite(sample[FIELDS[i] as Counter])) this.presentMask |= MASKS[i] as number
    }
    if (this.samples === 1) this.first = sample.time
    else {
      const gapMask = this.interval(sample)
      if (gapMask !== 0) this.gapMasks.set(gapMask, (this.gapMasks.get(gapMask) ?? 0) + 1)
    }
    for (let a = 0; a < active.length; a++) {
      const i = active[a] as number
      this.previous[i] = sample[FIELDS[i] as Counter]
    }
    this.previousTime = sample.time
  }

  /** Closes open runs and computes the summary. */
  finish(): TargetAnalysis {
    for (const resource of [...this.open.keys()]) this.close(resource)
    const summary = this.summary()
    return { summary, chart: this.chart?.finish(summary.oom?.events ?? []) ?? null }
  }

  /** Numbers held by the distributions and the chart data: what a test of the memory bound checks. */
  get footprint(): { readonly distributions: number; readonly buckets: number; readonly windowPoints: number; readonly shadedRuns: number } {
    let distributions = this.deltas.footprint
    for (const rate of this.rates) distributions += rate.footprint
    return { distributions, ...(this.chart?.footprint ?? { buckets: 0, windowPoints: 0, shadedRuns: 0 }) }
  }

  /** Derives the interval from the previous sample to this one; returns its gap mask. */
  private interval(sample: Sample): number {
    const elapsedMs = sample.time - this.previousTime
    const change = this.change
    const active = this.active
    let gapMask = 0
    for (let a = 0; a < active.length; a++) {
      const i = active[a] as number
      const now = sample[FIELDS[i] as Counter]
      const before = this.previous[i] as number
      if (now >= before) {
        change[i] = now - before
        this.sums[i] = (this.sums[i] as number) + (change[i] as number)
        this.counted[i] = 1
      } else {
        change[i] = Number.NaN
        gapMask |= MASKS[i] as number
      }
    }
    const delta = (counter: Counter): number => change[AT[counter]] as number
    const perSecond = 1000 / elapsedMs
    const stalled = (counter: Counter): number => delta(counter) / (elapsedMs * 1000)

    const r = this.rateValues
    const cpuCores = delta('cpu') / (elapsedMs * 1e6)
    const limit = this.cpuLimitCores(sample)
    const periods = delta('periods')
    const throttled = delta('throttled')
    r[RATE.cpuCores] = cpuCores
    r[RATE.cpuPercent] = limit === null ? Number.NaN : (cpuCores / limit) * 100
    r[RATE.throttledFraction] = periods > 0 ? throttled / periods : periods === 0 && throttled === 0 ? 0 : Number.NaN
    r[RATE.memoryBytes] = sample.memory
    r[RATE.memoryPercent] = sample.memoryLimit > 0 ? (sample.memory / sample.memoryLimit) * 100 : Number.NaN
    r[RATE.workingSetBytes] = workingSet(sample)
    r[RATE.ioReadBytesPerSec] = delta('ioRead') * perSecond
    r[RATE.ioWriteBytesPerSec] = delta('ioWrite') * perSecond
    r[RATE.ioWait] = delta('ioWait') / (elapsedMs * 1e6)
    r[RATE.pageFaultsPerSec] = delta('faults') * perSecond
    r[RATE.majorPageFaultsPerSec] = delta('majorFaults') * perSecond
    r[RATE.cpuPressureSome] = stalled('cpuSome')
    r[RATE.cpuPressureFull] = stalled('cpuFull')
    r[RATE.memoryPressureSome] = stalled('memorySome')
    r[RATE.memoryPressureFull] = stalled('memoryFull')
    r[RATE.ioPressureSome] = stalled('ioSome')
    r[RATE.ioPressureFull] = stalled('ioFull')
    r[RATE.networkRxBytesPerSec] = delta('netRxBytes') * perSecond
    r[RATE.networkTxBytesPerSec] = delta('netTxBytes') * perSecond
    r[RATE.networkRxPacketsPerSec] = delta('netRxPackets') * perSecond
    r[RATE.networkTxPacketsPerSec] = delta('netTxPackets') * perSecond

    this.intervals++
    this.deltas.push(elapsedMs)
    for (let i = 0; i < RATE_NAMES.length; i++) (this.rates[i] as Distribution).push(r[i] as number)
    this.oom.push(sample.time, elapsedMs, delta('oomKills'), sample.underOom)

    const start = this.previousTime
    const end = sample.time
    const options = this.options
    const cpuPercent = r[RATE.cpuPercent] as number
    const throttledFraction = r[RATE.throttledFraction] as number
    const memoryPercent = r[RATE.memoryPercent] as number
    const waiting = r[RATE.ioWait] as number
    // Once saturated, CPU stays so down to CPU_HYSTERESIS points below the threshold (see there).
    const cpuFloor = this.open.has('cpu') ? options.cpuThreshold - CPU_HYSTERESIS : options.cpuThreshold
    let saturated = this.track('cpu', cpuPercent >= cpuFloor, cpuPercent, start, end)
    saturated = this.track('throttling', throttledFraction > 0, throttledFraction, start, end) || saturated
    saturated = this.track('memory', memoryPercent >= options.memoryThreshold, memoryPercent, start, end) || saturated
    saturated = this.track('io-wait', waiting >= 1, waiting, start, end) || saturated
    if (this.pressureLogged) {
      for (const [resource, rate] of PRESSURE_RUNS) {
        const share = r[RATE[rate]] as number
        saturated = this.track(resource, share * 100 > options.pressureThreshold, share, start, end) || saturated
      }
    }
    const chart = this.chart
    if (chart !== null) {
      const values = this.chartValues
      for (let s = 0; s < values.length; s++) values[s] = r[this.chartRates[s] as number] as number
      chart.push(end, values, saturated)
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
    const last = hasSamples ? this.previousTime : Number.NaN
    const sum = (counter: Counter): number => this.sums[AT[counter]] as number
    const counted = (counter: Counter): boolean => this.counted[AT[counter]] === 1
    const signals = { pressure: this.availability('pressure'), memoryEvents: this.availability('memoryEvents'), network: this.availability('network') }
    const periodMs = Number.isFinite(this.periodSeen) ? this.periodSeen : null
    return {
      source: info.source,
      name: info.name,
      id: info.id,
      provider: info.provider,
      version: info.version,
      collectorType: info.collectorType,
      cgroup: info.cgroup,
      cpuLimit: Number.isFinite(this.quotaSeen)
        ? { cores: this.quotaSeen, from: 'quota', periodMs }
        : info.cpuQuota !== null
          ? { cores: info.cpuQuota, from: 'quota', periodMs }
          : info.hostCpus === null
            ? null
            : { cores: info.hostCpus, from: 'host', periodMs },
      memoryLimit: Number.isFinite(this.memoryLimit) ? this.memoryLimit : null,
      start: this.first,
      end: last,
      duration: hasSamples ? last - this.first : 0,
      samples: this.samples,
      intervals: this.intervals,
      gaps,
      totals: {
        cpuSeconds: sum('cpu') / 1e9,
        ioReadBytes: sum('ioRead'),
        ioWriteBytes: sum('ioWrite'),
        pageFaults: sum('faults'),
        majorPageFaults: sum('majorFaults'),
        periods: sum('periods'),
        throttledPeriods: sum('throttled'),
        peakMemoryBytes: Number.isFinite(this.peakMemory) ? this.peakMemory : null,
        peakWorkingSetBytes: Number.isFinite(this.peakWorkingSet) ? this.peakWorkingSet : null,
      },
      rates: Object.fromEntries(RATE_NAMES.map((name, index) => [name, (this.rates[index] as Distribution).quantiles()])) as Record<RateName, Quantiles | null>,
      percentileError: Math.max(this.deltas.relativeError, ...this.rates.map((rate) => rate.relativeError)),
      millibottlenecks: this.runs.summary(),
      sampling: this.sampling(),
      signals,
      oom: this.oom.summary(counted('oomKills')),
      memoryEvents: counted('memoryLow')
        ? { low: sum('memoryLow'), high: sum('memoryHigh'), max: sum('memoryMax'), oom: sum('memoryOom') }
        : null,
      network: counted('netRxBytes')
        ? {
            rxBytes: sum('netRxBytes'),
            rxPackets: sum('netRxPackets'),
            rxErrors: sum('netRxErrors'),
            rxDropped: sum('netRxDropped'),
            txBytes: sum('netTxBytes'),
            txPackets: sum('netTxPackets'),
            txErrors: sum('netTxErrors'),
            txDropped: sum('netTxDropped'),
          }
        : null,
    }
  }

  /** Whether the log has any column of the group. */
  private logs(group: keyof typeof SIGNAL_COLUMNS): boolean {
    return SIGNAL_COLUMNS[group].some((column) => this.info.columns.includes(column))
  }

  private availability(group: keyof typeof SIGNAL_COLUMNS): Availability {
    if (!this.logs(group)) return 'not-logged'
    if (group === 'network' && this.info.network === 'host') return 'host-network'
    // Values for a whole interval: one lone value would give no change to report.
    let measured = group === 'memoryEvents' && this.oom.underOomLogged
    for (let i = 0; i < FIELDS.length; i++) if (SIGNAL_GROUPS[i] === group && this.counted[i] === 1) measured = true
    return measured ? 'data' : 'empty'
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

/** Memory minus inactive file pages, floored at 0 (NaN when either is unknown). */
function workingSet(sample: Sample): number {
  return Math.max(0, sample.memory - sample.inactiveFile)
}

function highest(peak: number, value: number): number {
  if (!Number.isFinite(value)) return peak
  return Number.isNaN(peak) ? value : Math.max(peak, value)
}
