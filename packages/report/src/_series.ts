/** An append-only column of numbers in a typed array that doubles when full. */
export class Series<T extends Float32Array | Float64Array> {
  private data: T
  length = 0

  constructor(private readonly make: (size: number) => T) {
    this.data = make(1024)
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2)
      grown.set(this.data)
      this.data = grown
    }
    this.data[this.length++] = value
  }

  /** The filled part (a view, no copy). */
  values(): T {
    return this.data.subarray(0, this.length) as T
  }
}

export const float32 = (size: number): Float32Array => new Float32Array(size)
export const float64 = (size: number): Float64Array => new Float64Array(size)

/** p50/p99/max of a rate; null when the log had no value for it. */
export interface Quantiles {
  readonly p50: number
  readonly p99: number
  readonly max: number
}

/** Nearest-rank percentiles over the finite values (NaN marks a gap). */
export function quantiles(values: ArrayLike<number>): Quantiles | null {
  const sorted = finiteSorted(values)
  if (sorted.length === 0) return null
  return { p50: rank(sorted, 50), p99: rank(sorted, 99), max: sorted[sorted.length - 1] as number }
}

export function finiteSorted(values: ArrayLike<number>): Float64Array {
  const finite = new Float64Array(values.length)
  let count = 0
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number
    if (Number.isFinite(value)) finite[count++] = value
  }
  return finite.subarray(0, count).sort()
}

/** The nearest-rank percentile of sorted, non-empty values. */
export function rank(sorted: Float64Array, percent: number): number {
  const index = Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)
  return sorted[index] as number
}
