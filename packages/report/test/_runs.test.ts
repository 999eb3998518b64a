import { describe, expect, test } from 'bun:test'
import { type Millibottleneck, RESOURCES, RunStats, ShadedRuns } from '../src/_runs.ts'

function run(resource: Millibottleneck['resource'], start: number, intervals: number, peak = 99): Millibottleneck {
  return { resource, start, end: start + intervals * 50, duration: intervals * 50, intervals, peak }
}

describe('RunStats', () => {
  test('counts every run and keeps the 10 longest as a full sort would', () => {
    const stats = new RunStats()
    const runs: Millibottleneck[] = []
    let state = 3
    for (let i = 0; i < 5000; i++) {
      state = (state * 69069 + 1) % 4294967296
      const resource = RESOURCES[state % 4] as Millibottleneck['resource']
      const added = run(resource, i * 1000, 1 + (state % 13))
      runs.push(added)
      stats.add(added)
    }
    const summary = stats.summary()
    expect(summary.count).toBe(5000)
    expect(summary.totalDuration).toBe(runs.reduce((total, r) => total + r.duration, 0))
    expect(summary.byResource.cpu.count).toBe(runs.filter((r) => r.resource === 'cpu').length)
    const sorted = [...runs].sort((a, b) => b.duration - a.duration || a.start - b.start)
    expect(summary.longest).toEqual(sorted.slice(0, 10))
  })
})

describe('ShadedRuns', () => {
  test('keeps every run while they fit', () => {
    const shaded = new ShadedRuns(8)
    for (let i = 0; i < 8; i++) shaded.add(run('cpu', i * 1000, 2))
    expect(shaded.mergedWithin).toBe(0)
    expect(shaded.values().map((r) => [r.start, r.end, r.runs])).toEqual(Array.from({ length: 8 }, (_, i) => [i * 1000, i * 1000 + 100, 1]))
  })

  test('past its limit merges close neighbours, so every run is still covered, its peak kept, within the limit', () => {
    const limit = 64
    const shaded = new ShadedRuns(limit)
    const runs: Millibottleneck[] = []
    let start = 0
    for (let i = 0; i < 100_000; i++) {
      start += 100 + ((i * 7919) % 5000)
      const added = run('throttling', start, 1 + (i % 3), (i % 1000) / 1000)
      runs.push(added)
      shaded.add(added)
      expect(shaded.values().length).toBeLessThanOrEqual(limit)
    }
    const spans = shaded.values()
    expect(shaded.mergedWithin).toBeGreaterThan(0)
    expect(spans.reduce((total, span) => total + span.runs, 0)).toBe(runs.length)
    expect(spans.reduce((total, span) => total + span.intervals, 0)).toBe(runs.reduce((total, r) => total + r.intervals, 0))
    let next = 0
    for (const span of spans) {
      const covered = runs.slice(next, next + span.runs)
      next += span.runs
      expect(span.start).toBe(covered[0]?.start as number)
      expect(span.end).toBe(covered[covered.length - 1]?.end as number)
      expect(span.peak).toBe(Math.max(...covered.map((r) => r.peak)))
      for (let i = 1; i < covered.length; i++) expect((covered[i] as Millibottleneck).start - (covered[i - 1] as Millibottleneck).end).toBeLessThanOrEqual(shaded.mergedWithin)
    }
  }, 60_000)
})
