/** Buckets the window is cut into; one more holds the bucket being filled. */
const BUCKETS = 15

/**
 * The highest value recorded over a fixed sliding window, in constant memory: a ring of
 * per-bucket maxima, each bucket a fifteenth of the window (one second for 15 s). The peak is
 * the highest of the buckets that ended within the window, plus the current one, so it covers
 * between one window and one window plus a bucket. Reading it changes nothing, so every scraper
 * sees the same peak. Recording allocates nothing.
 */
export class SlidingPeak {
  private readonly bucketMs: number
  /** Bucket number (Unix ms / bucketMs) each slot holds; -1: none yet. */
  private readonly ids = new Float64Array(BUCKETS + 1).fill(-1)
  private readonly maxima = new Float64Array(BUCKETS + 1)

  constructor(windowMs: number) {
    this.bucketMs = windowMs / BUCKETS
  }

  /** Records `value` at `unixMs`. */
  record(unixMs: number, value: number): void {
    const id = Math.floor(unixMs / this.bucketMs)
    const slot = id % (BUCKETS + 1)
    if (this.ids[slot] !== id) {
      this.ids[slot] = id
      this.maxima[slot] = value
    } else if (value > this.maxima[slot]!) this.maxima[slot] = value
  }

  /** The highest value recorded in the window that ends at `unixMs`, or NaN when none was. */
  peak(unixMs: number): number {
    const current = Math.floor(unixMs / this.bucketMs)
    let peak = Number.NaN
    for (let slot = 0; slot <= BUCKETS; slot++) {
      const id = this.ids[slot]!
      if (id >= current - BUCKETS && id <= current && !(this.maxima[slot]! <= peak)) peak = this.maxima[slot]!
    }
    return peak
  }
}
