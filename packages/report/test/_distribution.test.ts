import { describe, expect, test } from 'bun:test'
import { Distribution, SKETCH_RELATIVE_ERROR } from '../src/_distribution.ts'
import { LogSketch } from '../src/_sketch.ts'

/** mulberry32, so every run draws the same values. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function nearestRank(sorted: Float64Array, percent: number): number {
  return sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)] as number
}

const PERCENTS = [0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100]

const SHAPES: Record<string, (next: () => number) => number> = {
  'uniform 0-100': (next) => next() * 100,
  'log-normal, 12 orders of magnitude': (next) => Math.exp((next() + next() + next() - 1.5) * 18),
  'mostly zero (idle throttling)': (next) => (next() < 0.9 ? 0 : next()),
  'negative and positive': (next) => (next() - 0.5) * 1e6,
  'a few distinct values (a 50 ms interval with jitter)': (next) => 50 + Math.floor(next() * 3) * 0.001,
}

describe('Distribution', () => {
  test('is exact (nearest rank) while it keeps every value', () => {
    const next = random(1)
    const distribution = new Distribution(5000)
    const values = Float64Array.from({ length: 5000 }, () => next() * 1000)
    for (const value of values) distribution.push(value)
    const sorted = values.slice().sort()
    expect(distribution.relativeError).toBe(0)
    for (const percent of PERCENTS) expect(distribution.percentile(percent)).toBe(nearestRank(sorted, percent))
    const threshold = 600
    const above = values.filter((value) => value > threshold)
    expect(distribution.above(threshold)).toEqual({ count: above.length, sum: above.reduce((a, b) => a + b, 0) })
  })

  for (const [shape, draw] of Object.entries(SHAPES)) {
    test(`past its exact limit, every percentile is within ${SKETCH_RELATIVE_ERROR * 100}% of the exact one: ${shape}`, () => {
      const next = random(7)
      const distribution = new Distribution(1000)
      const values = Float64Array.from({ length: 200_000 }, () => draw(next))
      let sum = 0
      for (const value of values) {
        distribution.push(value)
        sum += value
      }
      distribution.push(Number.NaN) // a gap is not a value
      const sorted = values.slice().sort()
      expect(distribution.relativeError).toBe(SKETCH_RELATIVE_ERROR)
      expect(distribution.count).toBe(values.length)
      expect(distribution.min).toBe(sorted[0] as number)
      expect(distribution.max).toBe(sorted[sorted.length - 1] as number)
      expect(distribution.sum).toBe(sum)
      for (const percent of PERCENTS) {
        const exact = nearestRank(sorted, percent)
        const estimate = distribution.percentile(percent)
        expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(Math.abs(exact) * SKETCH_RELATIVE_ERROR)
      }
    })
  }

  test('past its exact limit, counts above a threshold miss only values within the error of it', () => {
    const next = random(3)
    const distribution = new Distribution(1000)
    const values = Float64Array.from({ length: 100_000 }, () => 40 + next() * 40)
    for (const value of values) distribution.push(value)
    const threshold = 60
    const { count, sum } = distribution.above(threshold)
    const near = values.filter((value) => Math.abs(value - threshold) <= threshold * 2 * SKETCH_RELATIVE_ERROR).length
    const exact = values.filter((value) => value > threshold)
    expect(Math.abs(count - exact.length)).toBeLessThanOrEqual(near)
    expect(near).toBeLessThan(values.length / 20) // the bound says something
    expect(Math.abs(sum - exact.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(near * threshold * 1.01 + sum * SKETCH_RELATIVE_ERROR)
  })

  test('holds a bounded number of numbers whatever it is fed', () => {
    const next = random(5)
    const distribution = new Distribution()
    const sizes: number[] = []
    for (let i = 1; i <= 1_000_000; i++) {
      distribution.push(Math.exp((next() - 0.5) * 40)) // 17 orders of magnitude
      if (i % 250_000 === 0) sizes.push(distribution.footprint)
    }
    for (const size of sizes) expect(size).toBeLessThanOrEqual(2 * 8192)
    expect(sizes[sizes.length - 1]).toBe(sizes[0] as number)
  }, 60_000)
})

describe('LogSketch', () => {
  test('keeps at most maxBuckets per sign when values span more than they cover, losing only the smallest', () => {
    const sketch = new LogSketch(0.01, 256) // 256 buckets of 2% cover about 2 orders of magnitude
    const values: number[] = []
    for (let exponent = -20; exponent <= 20; exponent += 0.01) values.push(10 ** exponent)
    for (const value of values) sketch.add(value)
    expect(sketch.buckets).toBeLessThanOrEqual(2 * 256)
    const top = values.length - 1
    for (const rank of [top, top - 10, Math.floor(top * 0.99)]) {
      expect(Math.abs(sketch.valueAt(rank) - (values[rank] as number))).toBeLessThanOrEqual((values[rank] as number) * 0.01)
    }
    expect(sketch.valueAt(0)).toBeGreaterThan(values[0] as number) // collapsed into the lowest kept bucket
  })

  test('values that keep growing past the window slide it, in bounded memory, keeping the top accurate', () => {
    const sketch = new LogSketch(0.005, 1024)
    let value = 1e-300
    let count = 0
    while (value < 1e300) {
      sketch.add(value)
      value *= 1.011 // a new key each time
      count++
      expect(sketch.buckets).toBeLessThanOrEqual(2 * 1024)
    }
    expect(count).toBeGreaterThan(100_000)
    expect(Math.abs(sketch.valueAt(count - 1) / (value / 1.011) - 1)).toBeLessThanOrEqual(0.005)
  }, 60_000)
})
