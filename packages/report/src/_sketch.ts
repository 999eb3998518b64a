/**
 * DDSketch (Masson, Rim and Lee, VLDB 2019): a quantile sketch with a relative-error
 * guarantee. Values fall into logarithmic buckets `(γ^(k-1), γ^k]`, γ = (1+α)/(1-α), one
 * dense array of counts per sign; any quantile is read back within `α` of the true value
 * (relative), whatever the distribution. Memory is bounded by `maxBuckets` keys per sign
 * (arrays of at most twice that): past that (values spanning more than ~35 orders of
 * magnitude at α = 0.5%) the lowest buckets collapse into one, so only the smallest
 * magnitudes lose accuracy.
 */
export class LogSketch {
  private readonly multiplier: number
  private readonly gamma: number
  private readonly positive: BucketStore
  private readonly negative: BucketStore
  private zeros = 0
  count = 0

  constructor(
    readonly relativeError: number,
    maxBuckets = 8192,
  ) {
    this.gamma = (1 + relativeError) / (1 - relativeError)
    this.multiplier = 1 / Math.log(this.gamma)
    this.positive = new BucketStore(maxBuckets)
    this.negative = new BucketStore(maxBuckets)
  }

  /** Adds a finite value. */
  add(value: number): void {
    this.count++
    if (value > 0) this.positive.add(this.key(value))
    else if (value < 0) this.negative.add(this.key(-value))
    else this.zeros++
  }

  /** The value of 0-based rank `rank` in sorted order, within `relativeError`; NaN when empty. */
  valueAt(rank: number): number {
    if (this.count === 0) return Number.NaN
    const target = Math.min(Math.max(rank, 0), this.count - 1)
    const negatives = this.negative.total
    if (target < negatives) return -this.value(this.negative.keyAtRank(negatives - 1 - target))
    if (target < negatives + this.zeros) return 0
    return this.value(this.positive.keyAtRank(target - negatives - this.zeros))
  }

  /** Visits each non-empty bucket as (representative value, count), in no particular order. */
  forEachBucket(visit: (value: number, count: number) => void): void {
    this.positive.forEach((key, count) => visit(this.value(key), count))
    this.negative.forEach((key, count) => visit(-this.value(key), count))
    if (this.zeros > 0) visit(0, this.zeros)
  }

  /** Buckets held, for tests of the memory bound. */
  get buckets(): number {
    return this.positive.size + this.negative.size
  }

  private key(magnitude: number): number {
    return Math.ceil(Math.log(magnitude) * this.multiplier)
  }

  /** The bucket's midpoint in relative terms: within α of every value in `(γ^(k-1), γ^k]`. */
  private value(key: number): number {
    return (2 * this.gamma ** key) / (this.gamma + 1)
  }
}

/**
 * Counts per integer key in one array over the keys seen (at most `maxBuckets` of them, the
 * lowest collapsing past that), growing in chunks to at most twice that.
 */
class BucketStore {
  private counts = new Float64Array(0)
  /** Key of counts[0]. */
  private offset = 0
  private lowest = Number.POSITIVE_INFINITY
  private highest = Number.NEGATIVE_INFINITY
  total = 0

  constructor(private readonly maxBuckets: number) {}

  get size(): number {
    return this.counts.length
  }

  add(key: number): void {
    this.total++
    if (key < this.lowest || key > this.highest) this.extend(key)
    const index = Math.max(key, this.lowest) - this.offset
    this.counts[index] = (this.counts[index] as number) + 1
  }

  keyAtRank(rank: number): number {
    let seen = 0
    for (let index = this.lowest - this.offset; index <= this.highest - this.offset; index++) {
      seen += this.counts[index] as number
      if (seen > rank) return index + this.offset
    }
    return this.highest
  }

  forEach(visit: (key: number, count: number) => void): void {
    if (this.total === 0) return
    for (let index = this.lowest - this.offset; index <= this.highest - this.offset; index++) {
      const count = this.counts[index] as number
      if (count > 0) visit(index + this.offset, count)
    }
  }

  private extend(key: number): void {
    const highest = Math.max(this.highest, key)
    // Keys below the window of maxBuckets keys ending at the highest are counted in its lowest bucket.
    const lowest = Math.max(Math.min(this.lowest, key), highest - this.maxBuckets + 1)
    if (lowest < this.offset || highest >= this.offset + this.counts.length) {
      const span = highest - lowest + 1
      const size = Math.min(2 * this.maxBuckets, span + Math.max(GROWTH, span >> 1))
      // Room on both sides; all of it above once the window slides up, as it then keeps doing
      // (so a log of ever larger values reallocates once per maxBuckets/2 new keys, not per key).
      const offset = lowest > Math.min(this.lowest, key) ? lowest : lowest - Math.floor((size - span) / 2)
      const counts = new Float64Array(size)
      for (let index = this.lowest - this.offset; index <= this.highest - this.offset; index++) {
        const moved = Math.max(index + this.offset, lowest) - offset
        counts[moved] = (counts[moved] as number) + (this.counts[index] as number)
      }
      this.counts = counts
      this.offset = offset
    } else {
      // Same array: fold the keys that fell out of the window into the new lowest.
      for (let index = this.lowest - this.offset; index < lowest - this.offset; index++) {
        this.counts[lowest - this.offset] = (this.counts[lowest - this.offset] as number) + (this.counts[index] as number)
        this.counts[index] = 0
      }
    }
    this.lowest = lowest
    this.highest = highest
  }
}

/** Buckets added at least, each time a store grows. */
const GROWTH = 64
