import { describe, expect, test } from 'bun:test'
import { LineSplitter } from '../src/_lines.ts'
import { analyzeLog } from '../src/report.ts'
import { syntheticChunks } from '../scripts/_synthetic.ts'

describe('streaming a generated log', () => {
  test('reads 60 000 rows in 64 KiB chunks holding at most one partial row, and finds the injected saturations', async () => {
    const rows = 60_000
    const log = {
      name: 'stream',
      schema: 'cgroup_v1' as const,
      rows,
      hostCpus: 4,
      bursts: [
        { resource: 'cpu' as const, at: 1000, rows: 3 },
        { resource: 'memory' as const, at: 30_000, rows: 8 },
        { resource: 'throttling' as const, at: 59_000, rows: 2 },
      ],
    }
    let bytes = 0
    let longestRow = 0
    for (const chunk of syntheticChunks(log)) {
      bytes += chunk.length
      for (const line of new TextDecoder().decode(chunk).split('\n')) longestRow = Math.max(longestRow, line.length)
    }
    const splitter = new LineSplitter()
    const analysis = await analyzeLog(splitter.lines(syntheticChunks(log)), 'stream.log')
    expect(bytes).toBeGreaterThan(10_000_000)
    expect(analysis?.summary.samples).toBe(rows)
    expect(splitter.peakBufferedChars).toBeLessThanOrEqual(longestRow)
    expect(analysis?.millibottlenecks.map(({ resource, intervals, start }) => ({ resource, intervals, at: Math.round(start - 1_700_000_000_000) }))).toEqual([
      { resource: 'cpu', intervals: 3, at: 50_000 },
      { resource: 'memory', intervals: 8, at: 1_500_000 },
      { resource: 'throttling', intervals: 2, at: 2_950_000 },
    ])
  })
})
