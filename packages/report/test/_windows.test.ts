import { describe, expect, test } from 'bun:test'
import { SaturationWindows } from '../src/_windows.ts'

function feed(windows: SaturationWindows, samples: number, saturated: (i: number) => boolean): void {
  for (let i = 0; i < samples; i++) windows.push(i * 50, [i, i * 2], saturated(i))
}

describe('SaturationWindows', () => {
  test('keeps every sample from `context` before a saturation to `context` after it, exactly', () => {
    const windows = new SaturationWindows(2, 4)
    feed(windows, 1000, (i) => (i >= 100 && i < 103) || i === 500)
    const kept = windows.finish()
    expect(kept.map((window) => Array.from(window.time).map((time) => time / 50))).toEqual([
      [96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106],
      [496, 497, 498, 499, 500, 501, 502, 503, 504],
    ])
    expect(Array.from(kept[0]?.values[1] as Float32Array)).toEqual([192, 194, 196, 198, 200, 202, 204, 206, 208, 210, 212])
  })

  test('merges saturations closer than the context and splits long ones at maxPoints, never overlapping', () => {
    const windows = new SaturationWindows(1, 4, 50)
    feed(windows, 1000, (i) => i === 100 || i === 104 || (i >= 300 && i < 420))
    const kept = windows.finish()
    const times = kept.map((window) => Array.from(window.time).map((time) => time / 50))
    expect(times[0]).toEqual(Array.from({ length: 13 }, (_, k) => 96 + k)) // 96..108: one window for both
    const rest = times.slice(1).flat()
    expect(rest).toEqual(Array.from({ length: 424 - 296 }, (_, k) => 296 + k)) // 296..423, in pieces of at most 50
    for (const window of times.slice(1)) expect(window.length).toBeLessThanOrEqual(50)
  })

  test('holds at most `budget` points, keeping the busiest windows', () => {
    const windows = new SaturationWindows(1, 8, 1024, 2000)
    // a one-interval saturation every 100 samples, and one 60-interval run late in the log
    feed(windows, 200_000, (i) => i % 100 === 0 || (i >= 150_000 && i < 150_060))
    expect(windows.footprint).toBeLessThanOrEqual(2000 + 1024 + 8)
    const kept = windows.finish()
    const points = kept.reduce((total, window) => total + window.time.length, 0)
    expect(points).toBeLessThanOrEqual(2000)
    expect(points).toBeGreaterThan(1900)
    expect(kept.some((window) => window.time[0] === (150_000 - 8) * 50 && window.time.length === 60 + 16)).toBe(true)
    for (let i = 1; i < kept.length; i++) expect(kept[i]?.time[0] as number).toBeGreaterThan(kept[i - 1]?.time.at(-1) as number)
  }, 60_000)
})
