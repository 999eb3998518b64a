/** A resource that can saturate; `*-pressure`: some task stalled on it for more than the pressure threshold of the interval. */
export type Resource = 'cpu' | 'throttling' | 'memory' | 'io-wait' | 'cpu-pressure' | 'memory-pressure' | 'io-pressure'
export const RESOURCES: readonly Resource[] = ['cpu', 'throttling', 'memory', 'io-wait', 'cpu-pressure', 'memory-pressure', 'io-pressure']

/**
 * A run of consecutive saturated intervals of one resource. `peak` is in the resource's
 * unit: CPU and memory in percent of the limit, throttling as the fraction of CFS periods
 * throttled, I/O wait as the average number of requests waiting, pressure as the fraction
 * of the interval in which some task stalled.
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

/**
 * Millibottlenecks of one resource to shade on a chart: one per millibottleneck, or, once
 * there were too many to draw, neighbours merged. `runs` says how many it stands for;
 * `duration` and `intervals` add up the saturated time only, `start` to `end` spans them all.
 */
export interface ShadedRun extends Millibottleneck {
  readonly runs: number
}

/** The count, total duration and longest few of a target's millibottlenecks, exact, in constant memory. */
export interface RunSummary {
  readonly count: number
  readonly totalDuration: number
  readonly byResource: Readonly<Record<Resource, { readonly count: number; readonly totalDuration: number }>>
  /** The longest, longest first (ties: earlier first). */
  readonly longest: readonly Millibottleneck[]
}

export class RunStats {
  private readonly byResource = Object.fromEntries(RESOURCES.map((resource) => [resource, { count: 0, totalDuration: 0 }])) as Record<
    Resource,
    { count: number; totalDuration: number }
  >
  private readonly longest: Millibottleneck[] = []

  constructor(private readonly top = 10) {}

  add(run: Millibottleneck): void {
    const stats = this.byResource[run.resource]
    stats.count++
    stats.totalDuration += run.duration
    const longest = this.longest
    let at = longest.length
    while (at > 0 && longer(run, longest[at - 1] as Millibottleneck)) at--
    if (at < this.top) {
      longest.splice(at, 0, run)
      if (longest.length > this.top) longest.pop()
    }
  }

  summary(): RunSummary {
    const resources = RESOURCES.map((resource) => this.byResource[resource])
    return {
      count: resources.reduce((total, stats) => total + stats.count, 0),
      totalDuration: resources.reduce((total, stats) => total + stats.totalDuration, 0),
      byResource: Object.fromEntries(RESOURCES.map((resource) => [resource, { ...this.byResource[resource] }])) as RunSummary['byResource'],
      longest: [...this.longest],
    }
  }
}

/** Longer first; among equals, the earlier, then the resource listed first. */
function longer(a: Millibottleneck, b: Millibottleneck): boolean {
  return a.duration > b.duration || (a.duration === b.duration && (a.start < b.start || (a.start === b.start && RESOURCES.indexOf(a.resource) < RESOURCES.indexOf(b.resource))))
}

/**
 * One resource's millibottlenecks in time order for shading, at most `limit`: every one
 * while they fit; past that, neighbours closer than `mergedWithin` ms merge (the distance
 * doubles as needed), so a chart still shades every saturated moment, a little wider.
 */
export class ShadedRuns {
  private runs: ShadedRun[] = []
  /** Gaps up to this many ms were merged (0: every run is its own). */
  mergedWithin = 0

  constructor(private readonly limit = 2048) {}

  add(run: Millibottleneck): void {
    const last = this.runs[this.runs.length - 1]
    if (last && this.mergedWithin > 0 && run.start - last.end <= this.mergedWithin) this.runs[this.runs.length - 1] = merge(last, { ...run, runs: 1 })
    else this.runs.push({ ...run, runs: 1 })
    if (this.runs.length > this.limit) this.coalesce()
  }

  values(): readonly ShadedRun[] {
    return this.runs
  }

  /** Merges neighbours, doubling the distance, until at most half the limit are left. */
  private coalesce(): void {
    while (this.runs.length > this.limit / 2) {
      let closest = Number.POSITIVE_INFINITY
      for (let i = 1; i < this.runs.length; i++) closest = Math.min(closest, (this.runs[i] as ShadedRun).start - (this.runs[i - 1] as ShadedRun).end)
      this.mergedWithin = Math.max(this.mergedWithin * 2, closest)
      const merged: ShadedRun[] = []
      for (const run of this.runs) {
        const last = merged[merged.length - 1]
        if (last && run.start - last.end <= this.mergedWithin) merged[merged.length - 1] = merge(last, run)
        else merged.push(run)
      }
      this.runs = merged
    }
  }
}

function merge(a: ShadedRun, b: ShadedRun): ShadedRun {
  return {
    resource: a.resource,
    start: a.start,
    end: b.end,
    duration: a.duration + b.duration,
    intervals: a.intervals + b.intervals,
    peak: Math.max(a.peak, b.peak),
    runs: a.runs + b.runs,
  }
}
