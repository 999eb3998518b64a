import type { Clock, Timer } from './clock.ts'

/**
 * A clock and timer that only move when told, for tests of anything scheduled.
 * `advance(ms)` runs due timers in order, each at its own due time.
 */
export class ManualClock implements Clock, Timer {
  private time: number
  private readonly timers: { id: number; due: number; callback: () => void }[] = []
  private nextId = 1
  /** Extra time each timer fires after its due time (simulated timer lateness). */
  lateness = 0

  constructor(
    start = 0,
    private readonly unixOffset = 1_700_000_000_000,
  ) {
    this.time = start
  }

  now(): number {
    return this.unixOffset + this.time
  }

  monotonic(): number {
    return this.time
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++
    this.timers.push({ id, due: this.time + delayMs, callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    const index = this.timers.findIndex((timer) => timer.id === handle)
    if (index >= 0) this.timers.splice(index, 1)
  }

  /** Moves time forward by `ms` without firing timers (work done inside a callback). */
  spend(ms: number): void {
    this.time += ms
  }

  /** Moves time forward by `ms`, firing every timer that falls due. */
  advance(ms: number): void {
    const end = this.time + ms
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due || a.id - b.id)
      const next = this.timers[0]
      if (!next || next.due + this.lateness > end) break
      this.timers.shift()
      this.time = Math.max(this.time, next.due + this.lateness)
      next.callback()
    }
    this.time = Math.max(this.time, end)
  }

  get pending(): number {
    return this.timers.length
  }
}
