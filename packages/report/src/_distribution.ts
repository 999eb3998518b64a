import { LogSketch } from './_sketch.ts'

/** p50/p99/max of a rate; null when the log had no value for it. */
export interface Quantiles {
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** Values kept exactly per distribution; past this many they go into a sketch. */
export const EXACT_VALUES = 1 << 16
/** Relative error of a percentile read from the sketch. */
export const SKETCH_RELATIVE_ERROR = 0.005

/**
 * The distribution of one rate over a target's intervals in bounded memory: the first
 * `EXACT_VALUES` values are kept, so percentiles are exact (nearest rank) up to there; past
 * that every value goes into a DDSketch and percentiles are within `SKETCH_RELATIVE_ERROR`
 * of the exact ones. Count, sum, min and max stay exact. NaN (a gap) and infinities are
 * not values.
 */
export class Distribution {
  count = 0
  sum = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY
  private exact: Float64Array | null
  /** How many of the kept values are in order (sorted in place by `percentile`). */
  private sortedCount = 0
  private sketch: LogSketch | null = null

  constructor(private readonly exactLimit = EXACT_VALUES) {
    this.exact = new Float64Array(Math.min(1024, exactLimit))
  }

  push(value: number): void {
    if (!Number.isFinite(value)) return
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    const exact = this.exact
    if (exact === null) {
      ;(this.sketch as LogSketch).add(value)
    } else if (this.count < this.exactLimit) {
      if (this.count === exact.length) this.grow()
      ;(this.exact as Float64Array)[this.count] = value
    } else {
      const sketch = new LogSketch(SKETCH_RELATIVE_ERROR)
      for (let i = 0; i < this.count; i++) sketch.add(exact[i] as number)
      sketch.add(value)
      this.sketch = sketch
      this.exact = null
    }
    this.count++
  }

  /** 0 while every value is kept, else the sketch's relative error. */
  get relativeError(): number {
    return this.sketch === null ? 0 : SKETCH_RELATIVE_ERROR
  }

  /** The nearest-rank percentile (0 < percent <= 100); NaN when there are no values. */
  percentile(percent: number): number {
    if (this.count === 0) return Number.NaN
    const rank = Math.max(0, Math.ceil((percent / 100) * this.count) - 1)
    if (rank === this.count - 1) return this.max
    if (rank === 0) return this.min
    if (this.sketch !== null) return Math.min(Math.max(this.sketch.valueAt(rank), this.min), this.max)
    // Sorted in place, not copied (up to 512 KiB per distribution): `above` only counts and sums.
    const exact = this.exact as Float64Array
    if (this.sortedCount !== this.count) {
      exact.subarray(0, this.count).sort()
      this.sortedCount = this.count
    }
    return exact[rank] as number
  }

  /** p50, p99 and max; null when there are no values. */
  quantiles(): Quantiles | null {
    return this.count === 0 ? null : { p50: this.percentile(50), p99: this.percentile(99), max: this.max }
  }

  /**
   * How many values exceed `threshold` and their sum: exact while the values are kept;
   * from the sketch, each value counts as its bucket's representative (within the relative
   * error), so only values within that error of the threshold may be misplaced.
   */
  above(threshold: number): { readonly count: number; readonly sum: number } {
    let count = 0
    let sum = 0
    const visit = (value: number, times: number): void => {
      if (value > threshold) {
        count += times
        sum += value * times
      }
    }
    if (this.sketch !== null) this.sketch.forEachBucket(visit)
    else for (let i = 0; i < this.count; i++) visit((this.exact as Float64Array)[i] as number, 1)
    return { count, sum }
  }

  /** Numbers held (kept values or sketch buckets), for tests of the memory bound. */
  get footprint(): number {
    return this.sketch === null ? (this.exact as Float64Array).length : this.sketch.buckets
  }

  private grow(): void {
    const exact = this.exact as Float64Array
    const grown = new Float64Array(Math.min(exact.length * 2, this.exactLimit))
    grown.set(exact)
    this.exact = grown
  }
}
