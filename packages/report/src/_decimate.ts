/** Points of a chart: times (Unix ms) and, per series, one value per point (NaN: a gap). */
export interface ChartPoints {
  readonly time: Float64Array
  readonly values: readonly Float32Array[]
}

/** A chart's points at one resolution: `bucketMs` wide buckets, each drawn as its first/last point pair. */
export interface ChartLevel extends ChartPoints {
  readonly bucketMs: number
}

/**
 * Min/max decimation (the idea of M4: keep each bucket's extremes, so peaks and dips
 * survive) of several series sharing one time axis, in one pass and fixed memory. Time
 * is cut into at most `buckets` buckets of equal width; when a value falls past the last,
 * neighbouring buckets merge pairwise and the width doubles, so the log's length need not
 * be known. Per bucket and series it keeps the lowest and highest value and which came
 * first; a bucket is drawn as two points, at its first and last sample's time, carrying
 * the extremes in their order (one point when it holds one sample).
 */
export class MinMaxDecimator {
  private readonly store: Buckets
  private width: number
  private origin = Number.NaN
  private used = 0

  constructor(
    private readonly seriesCount: number,
    private readonly buckets = 1 << 15,
    initialWidthMs = 1,
  ) {
    this.store = new Buckets(buckets, seriesCount)
    this.width = initialWidthMs
  }

  /** Adds one sample: its time (increasing) and one value per series. */
  push(time: number, values: ArrayLike<number>): void {
    if (Number.isNaN(this.origin)) this.origin = time
    let index = Math.floor((time - this.origin) / this.width)
    while (index >= this.buckets) {
      this.halve()
      index = Math.floor((time - this.origin) / this.width)
    }
    this.store.add(index, time, values)
    this.used = Math.max(this.used, index + 1)
  }

  /**
   * The points at the finest resolution and at each coarser one `factor` times wider
   * (`levels` in all), coarsest first. A coarser level that would not halve the points of
   * the next finer one is left out.
   */
  levels(levels: number, factor: number): ChartLevel[] {
    const result: ChartLevel[] = [this.store.points(this.used, this.width)]
    let store = this.store
    let used = this.used
    let width = this.width
    for (let level = 1; level < levels && used > 1; level++) {
      const coarser = new Buckets(Math.ceil(used / factor), this.seriesCount)
      for (let index = 0; index < used; index++) coarser.mergeFrom(Math.floor(index / factor), store, index)
      store = coarser
      used = coarser.size
      width *= factor
      const points = store.points(used, width)
      if (points.time.length * 2 > (result[0] as ChartLevel).time.length) break
      result.unshift(points)
    }
    return result
  }

  /** Buckets held, for tests of the memory bound. */
  get footprint(): number {
    return this.store.size
  }

  private halve(): void {
    for (let index = 1; index < this.used; index++) {
      const into = index >> 1
      // Bucket `into` was read already: the first of its pair replaces it, the second merges in.
      if (index % 2 === 0) this.store.clear(into, into + 1)
      this.store.mergeFrom(into, this.store, index)
    }
    this.store.clear(Math.ceil(this.used / 2), this.used)
    this.used = Math.ceil(this.used / 2)
    this.width *= 2
  }
}

/** Fixed-size bucket arrays: sample count, first and last time, and per series the low, the high and their order. */
class Buckets {
  private readonly count: Uint32Array
  private readonly first: Float64Array
  private readonly last: Float64Array
  private readonly low: Float32Array
  private readonly high: Float32Array
  /** 1 when the low came first (or together with the high). */
  private readonly lowFirst: Uint8Array

  constructor(
    readonly size: number,
    private readonly series: number,
  ) {
    this.count = new Uint32Array(size)
    this.first = new Float64Array(size)
    this.last = new Float64Array(size)
    this.low = new Float32Array(size * series).fill(Number.POSITIVE_INFINITY)
    this.high = new Float32Array(size * series).fill(Number.NEGATIVE_INFINITY)
    this.lowFirst = new Uint8Array(size * series)
  }

  add(index: number, time: number, values: ArrayLike<number>): void {
    if (this.count[index] === 0) this.first[index] = time
    this.last[index] = time
    this.count[index] = (this.count[index] as number) + 1
    for (let s = 0; s < this.series; s++) {
      const value = values[s] as number
      if (Number.isNaN(value)) continue
      const at = index * this.series + s
      const rounded = Math.fround(value)
      if (rounded < (this.low[at] as number)) {
        const empty = (this.high[at] as number) === Number.NEGATIVE_INFINITY
        this.low[at] = rounded
        this.lowFirst[at] = empty ? 1 : 0
      }
      if (rounded > (this.high[at] as number)) {
        this.high[at] = rounded
        this.lowFirst[at] = 1
      }
    }
  }

  /** Folds bucket `from` of `source` (later in time, or empty here) into bucket `into`. */
  mergeFrom(into: number, source: Buckets, from: number): void {
    const count = source.count[from] as number
    if (count === 0) return
    if (this.count[into] === 0) this.first[into] = source.first[from] as number
    this.last[into] = source.last[from] as number
    this.count[into] = (this.count[into] as number) + count
    for (let s = 0; s < this.series; s++) {
      const a = into * this.series + s
      const b = from * this.series + s
      const low = source.low[b] as number
      const high = source.high[b] as number
      if (high === Number.NEGATIVE_INFINITY) continue
      const hadValues = (this.high[a] as number) !== Number.NEGATIVE_INFINITY
      const lowFromSource = !hadValues || low < (this.low[a] as number)
      const highFromSource = !hadValues || high > (this.high[a] as number)
      if (lowFromSource) this.low[a] = low
      if (highFromSource) this.high[a] = high
      // Both extremes from one side keep that side's order; otherwise the earlier side (here) holds the one that came first.
      if (lowFromSource && highFromSource) this.lowFirst[a] = source.lowFirst[b] as number
      else if (lowFromSource) this.lowFirst[a] = 0
      else if (highFromSource) this.lowFirst[a] = 1
    }
  }

  clear(from: number, to: number): void {
    this.count.fill(0, from, to)
    this.low.fill(Number.POSITIVE_INFINITY, from * this.series, to * this.series)
    this.high.fill(Number.NEGATIVE_INFINITY, from * this.series, to * this.series)
    this.lowFirst.fill(0, from * this.series, to * this.series)
  }

  points(used: number, bucketMs: number): ChartLevel {
    let total = 0
    for (let index = 0; index < used; index++) {
      const count = this.count[index] as number
      total += count === 0 ? 0 : count === 1 ? 1 : 2
    }
    const time = new Float64Array(total)
    const values = Array.from({ length: this.series }, () => new Float32Array(total))
    let point = 0
    for (let index = 0; index < used; index++) {
      const count = this.count[index] as number
      if (count === 0) continue
      time[point] = this.first[index] as number
      if (count > 1) time[point + 1] = this.last[index] as number
      for (let s = 0; s < this.series; s++) {
        const at = index * this.series + s
        const column = values[s] as Float32Array
        const low = this.low[at] as number
        const high = this.high[at] as number
        if (high === Number.NEGATIVE_INFINITY) {
          column[point] = Number.NaN
          if (count > 1) column[point + 1] = Number.NaN
        } else if (count === 1) {
          column[point] = low
        } else {
          column[point] = this.lowFirst[at] ? low : high
          column[point + 1] = this.lowFirst[at] ? high : low
        }
      }
      point += count === 1 ? 1 : 2
    }
    return { time, values, bucketMs }
  }
}
