import { describe, expect, test } from 'bun:test'
import { type ChartLevel, MinMaxDecimator } from '../src/_decimate.ts'

function levelPoints(level: ChartLevel, series: number, from: number, to: number): number[] {
  const values: number[] = []
  for (let i = 0; i < level.time.length; i++) {
    const time = level.time[i] as number
    if (time >= from && time <= to) values.push((level.values[series] as Float32Array)[i] as number)
  }
  return values
}

describe('MinMaxDecimator', () => {
  test('keeps every sample while they fit in its buckets', () => {
    const decimator = new MinMaxDecimator(2, 1024)
    for (let i = 0; i < 300; i++) decimator.push(1000 + i * 50, [i, i % 7 === 0 ? Number.NaN : -i])
    const levels = decimator.levels(2, 16)
    const finest = levels[levels.length - 1] as ChartLevel
    expect(Array.from(finest.time)).toEqual(Array.from({ length: 300 }, (_, i) => 1000 + i * 50))
    expect(Array.from(finest.values[0] as Float32Array)).toEqual(Array.from({ length: 300 }, (_, i) => i))
    expect(Number.isNaN((finest.values[1] as Float32Array)[7] as number)).toBe(true)
  })

  test('bounds the points of every level, whatever the number of samples', () => {
    const buckets = 4096
    const factor = 16
    for (const samples of [10_000, 100_000, 1_000_000]) {
      const decimator = new MinMaxDecimator(1, buckets)
      for (let i = 0; i < samples; i++) decimator.push(i * 50, [Math.sin(i / 100)])
      const [overview, finest] = decimator.levels(2, factor) as [ChartLevel, ChartLevel]
      expect(finest.time.length).toBeLessThanOrEqual(2 * buckets)
      expect(overview.time.length).toBeLessThanOrEqual((2 * buckets) / factor + 2)
      expect(overview.bucketMs).toBe(finest.bucketMs * factor)
      // the last sample is in the run: every level covers all of it
      expect(finest.time[finest.time.length - 1]).toBe((samples - 1) * 50)
      expect(overview.time[0]).toBe(0)
      expect(decimator.footprint).toBe(buckets)
    }
  }, 60_000)

  test('keeps every spike and dip, at every level, near where it happened', () => {
    const decimator = new MinMaxDecimator(2, 2048)
    const spikes = new Map<number, number>()
    let state = 11
    const next = (): number => {
      state = (state * 1103515245 + 12345) % 2147483648
      return state / 2147483648
    }
    for (let i = 0; i < 500_000; i++) {
      let cpu = 20 + next() * 10
      let memory = 1e8 + next() * 1e6
      if (i % 100_000 === 40_000) {
        // spikes further apart than two of the coarsest buckets (25,000 s / 2048 * 64 < 1,600 s)
        cpu = 100 + i / 100_000 // one-sample CPU spike
        memory = 1e6 // one-sample memory dip
        spikes.set(i * 50, cpu)
      }
      decimator.push(i * 50, [cpu, memory])
    }
    for (const level of decimator.levels(3, 8)) {
      for (const [time, peak] of spikes) {
        const near = [time - level.bucketMs, time + level.bucketMs] as const
        expect(Math.max(...levelPoints(level, 0, ...near))).toBe(Math.fround(peak))
        expect(Math.min(...levelPoints(level, 1, ...near))).toBe(1e6)
      }
    }
  }, 60_000)

  test('draws a bucket as its extremes in the order they came', () => {
    const decimator = new MinMaxDecimator(1, 4, 100) // buckets of 100 ms
    for (const [time, value] of [
      [0, 5],
      [10, 9], // high first
      [20, 1],
      [30, 4],
      [100, 5],
      [110, 1], // low first
      [120, 9],
      [130, 6],
    ] as const) {
      decimator.push(time, [value])
    }
    const [level] = decimator.levels(1, 2) as [ChartLevel]
    expect(Array.from(level.time)).toEqual([0, 30, 100, 130])
    expect(Array.from(level.values[0] as Float32Array)).toEqual([9, 1, 1, 9])
  })

  test('keeps the order right when buckets merge', () => {
    const decimator = new MinMaxDecimator(1, 2, 10)
    decimator.push(0, [5])
    decimator.push(5, [9]) // the high, in the first bucket
    decimator.push(12, [1]) // the low, later, in the second
    decimator.push(25, [4]) // past two buckets: they merge (width 20)
    const [level] = decimator.levels(1, 2) as [ChartLevel]
    expect(level.bucketMs).toBe(20)
    expect(Array.from(level.time)).toEqual([0, 12, 25])
    expect(Array.from(level.values[0] as Float32Array)).toEqual([9, 1, 4])
  })
})
