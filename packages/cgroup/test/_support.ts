import { expect } from 'bun:test'
import type { CgroupLocator, Clock, Collector, Target } from '@radvisor/core'
import { Row } from '@radvisor/core'

/** 2023-11-14T22:13:20Z, a round start for fake clocks. */
export const START_MS = 1_700_000_000_000

/** A clock that moves only when told to. */
export function fakeClock(startMs = START_MS): Clock & { advance(ms: number): void } {
  let now = startMs
  return {
    now: () => now,
    monotonic: () => now - startMs,
    advance: (ms) => {
      now += ms
    },
  }
}

export function target(cgroup: CgroupLocator, name = 'test'): Target {
  return { provider: 'test', id: name, name, metadata: {}, polledAt: 0n, cgroup }
}

/** One tick of `collector`: the row's cells as strings ('' for empty), or null when there was no row. */
export function tick(collector: Collector): string[] | null {
  const row = new Row(target({ kind: 'path', path: '' }), collector.info.columns)
  row.reset()
  if (!collector.collect(row)) return null
  expect(row.cells).toBe(collector.info.columns.length)
  return Array.from({ length: row.cells }, (_, i) => row.text(i) ?? '')
}

/** The cell of `column` in `cells`. */
export function cell(collector: Collector, cells: readonly string[] | null, column: string): string | undefined {
  const index = collector.info.columns.indexOf(column)
  if (index < 0) throw new Error(`no column ${column}`)
  return cells?.[index]
}
