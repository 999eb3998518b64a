import { type ChartLevel, type ChartPoints, MinMaxDecimator } from './_decimate.ts'
import type { OomKill } from './_events.ts'
import { type Millibottleneck, RESOURCES, type Resource, type ShadedRun, ShadedRuns } from './_runs.ts'
import { SaturationWindows } from './_windows.ts'

/** The per-interval values the charts can draw (each one of the rates), in order. */
export const CHART_SERIES = [
  'cpuCores',
  'cpuPercent',
  'memoryBytes',
  'workingSetBytes',
  'ioReadBytesPerSec',
  'ioWriteBytesPerSec',
  'throttledFraction',
  'cpuPressureSome',
  'cpuPressureFull',
  'memoryPressureSome',
  'memoryPressureFull',
  'ioPressureSome',
  'ioPressureFull',
  'networkRxBytesPerSec',
  'networkTxBytesPerSec',
] as const
export type ChartSeries = (typeof CHART_SERIES)[number]

/** What the HTML page draws for one target: bounded, whatever the log's length. */
export interface ChartData {
  /** The series recorded (those the log's columns can give), in the order of `ChartPoints.values`. */
  readonly series: readonly ChartSeries[]
  /** The series min/max-decimated, coarsest (the overview) first, each over the whole run. */
  readonly levels: readonly ChartLevel[]
  /** Full-resolution stretches around saturated intervals, in time order, never overlapping. */
  readonly windows: readonly ChartPoints[]
  /** The millibottlenecks to shade, by start (then resource). */
  readonly millibottlenecks: readonly ShadedRun[]
  /** Millibottlenecks of one resource closer than this many ms share one shading (0: none do). */
  readonly mergedWithin: number
  /** The OOM kills to mark (the listed ones, see `MAX_OOM_EVENTS`). */
  readonly oomKills: readonly OomKill[]
}

/** Sizes that bound a target's chart data (the page holds about 2 points per bucket and every window point). */
export interface ChartLimits {
  /** Buckets of the finest level; coarser levels have `factor` times fewer. */
  readonly buckets: number
  readonly levels: number
  readonly factor: number
  /** Samples kept before and after saturation in a window, its longest length, and all windows' points. */
  readonly windowContext: number
  readonly windowPoints: number
  readonly windowBudget: number
  /** Shaded millibottlenecks per resource before neighbours merge. */
  readonly shadedRuns: number
}

export const defaultChartLimits: ChartLimits = {
  buckets: 1 << 15,
  levels: 2,
  factor: 16,
  windowContext: 16,
  windowPoints: 1024,
  windowBudget: 1 << 15,
  shadedRuns: 2048,
}

/** Collects a target's chart data one interval at a time. */
export class ChartRecorder {
  private readonly decimator: MinMaxDecimator
  private readonly windows: SaturationWindows
  private readonly shaded: Record<Resource, ShadedRuns>
  private intervals = 0

  constructor(
    private readonly series: readonly ChartSeries[] = CHART_SERIES,
    private readonly limits: ChartLimits = defaultChartLimits,
  ) {
    this.decimator = new MinMaxDecimator(series.length, limits.buckets)
    this.windows = new SaturationWindows(series.length, limits.windowContext, limits.windowPoints, limits.windowBudget)
    this.shaded = Object.fromEntries(RESOURCES.map((resource) => [resource, new ShadedRuns(limits.shadedRuns)])) as Record<Resource, ShadedRuns>
  }

  /** One interval: its end time, the values in `series` order, and whether any resource was saturated. */
  push(time: number, values: ArrayLike<number>, saturated: boolean): void {
    this.intervals++
    this.decimator.push(time, values)
    this.windows.push(time, values, saturated)
  }

  addRun(run: Millibottleneck): void {
    this.shaded[run.resource].add(run)
  }

  finish(oomKills: readonly OomKill[]): ChartData {
    const millibottlenecks = RESOURCES.flatMap((resource) => this.shaded[resource].values()).sort(
      (a, b) => a.start - b.start || RESOURCES.indexOf(a.resource) - RESOURCES.indexOf(b.resource),
    )
    const levels = this.decimator.levels(this.limits.levels, this.limits.factor)
    // A finest level with a point per interval holds the windows' samples already.
    const exact = levels[levels.length - 1]?.time.length === this.intervals
    return {
      series: this.series,
      levels,
      windows: exact ? [] : this.windows.finish(),
      millibottlenecks,
      mergedWithin: Math.max(...RESOURCES.map((resource) => this.shaded[resource].mergedWithin)),
      oomKills,
    }
  }

  /** Numbers held, for tests of the memory bound: buckets, window points, shaded runs. */
  get footprint(): { readonly buckets: number; readonly windowPoints: number; readonly shadedRuns: number } {
    return {
      buckets: this.decimator.footprint,
      windowPoints: this.windows.footprint,
      shadedRuns: RESOURCES.reduce((total, resource) => total + this.shaded[resource].values().length, 0),
    }
  }
}
