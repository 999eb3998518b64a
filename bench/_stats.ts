/** A measured quantity over the pairs of a run: its median and range. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly values: readonly number[]
}

/** Median and range of `values` (NaN everywhere when there are none). */
export function spread(values: readonly number[]): Spread {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, values }
  const middle = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  return { median, min: sorted[0]!, max: sorted.at(-1)!, values }
}

/** Per-pair ratios `a[i] / b[i]` (pairs ran back to back, so they share the machine's state). */
export function ratios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, i) => value / b[i]!)
}
