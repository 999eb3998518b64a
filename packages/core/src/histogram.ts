const BUCKET_MS = 0.01
const BUCKETS = 10_000 // 10 µs resolution up to 100 ms; beyond that only the max is exact

/** Fixed-memory histogram of tick lateness (milliseconds), 10 µs resolution. */
export class LatenessHistogram {
  private readonly buckets = new Uint32Array(BUCKETS + 1)
  count = 0
  max = 0
  /** Sum of every recorded value, in milliseconds. */
  sum = 0

  record(lateMs: number): void {
    const value = lateMs > 0 ? lateMs : 0
    const index = Math.min(BUCKETS, Math.floor(value / BUCKET_MS))
    this.buckets[index]!++
    this.count++
    this.sum += value
    if (value > this.max) this.max = value
  }

  /** The `p`-quantile (0..1) in milliseconds, the upper edge of its bucket (capped at max). */
  quantile(p: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(p * this.count))
    let seen = 0
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.buckets[i]!
      if (seen >= rank) return i === BUCKETS ? this.max : Math.min(this.max, (i + 1) * BUCKET_MS)
    }
    return this.max
  }
}
