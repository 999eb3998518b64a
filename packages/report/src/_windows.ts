import type { ChartPoints } from './_decimate.ts'

interface Window {
  readonly time: Float64Array
  readonly values: Float32Array[]
  length: number
  /** Saturated intervals inside: what makes a window worth keeping. */
  saturated: number
}

/**
 * Full-resolution stretches of a chart around its saturated intervals, in bounded memory:
 * a window opens at a saturated sample with the `context` samples before it, and closes
 * after `context` quiet samples or at `maxPoints`. At most `budget` points are kept in all;
 * when a new window does not fit, windows with fewer saturated intervals make room for it
 * (it is dropped if there are none), so the busiest stretches stay exact.
 */
export class SaturationWindows {
  private readonly ring: Float64Array
  private ringStart = 0
  private ringLength = 0
  private open: Window | null = null
  private scratch: Window | null = null
  private quiet = 0
  /** Time of the last sample put in a window: windows never overlap. */
  private lastEnd = Number.NEGATIVE_INFINITY
  private readonly kept: Window[] = []
  private points = 0

  constructor(
    private readonly seriesCount: number,
    private readonly context = 16,
    private readonly maxPoints = 1024,
    private readonly budget = 1 << 15,
  ) {
    this.ring = new Float64Array(context * (seriesCount + 1))
  }

  push(time: number, values: ArrayLike<number>, saturated: boolean): void {
    const open = this.open
    if (open !== null) {
      this.append(open, time, values)
      if (saturated) {
        open.saturated++
        this.quiet = 0
      } else {
        this.quiet++
      }
      if (this.quiet >= this.context || open.length >= this.maxPoints) this.close()
    } else if (saturated) {
      const window = this.start()
      this.append(window, time, values)
      window.saturated = 1
      this.quiet = 0
      if (window.length >= this.maxPoints) this.close()
    }
    this.remember(time, values)
  }

  /** The kept windows, in time order (closing the open one). */
  finish(): ChartPoints[] {
    if (this.open !== null) this.close()
    return this.kept.map(({ time, values }) => ({ time, values }))
  }

  /** Points held (kept, open and remembered), for tests of the memory bound. */
  get footprint(): number {
    return this.points + (this.open?.time.length ?? 0) + this.ring.length / (this.seriesCount + 1)
  }

  private start(): Window {
    // One full-size window, reused: `close` keeps a copy trimmed to its length.
    const window = (this.scratch ??= {
      time: new Float64Array(this.maxPoints),
      values: Array.from({ length: this.seriesCount }, () => new Float32Array(this.maxPoints)),
      length: 0,
      saturated: 0,
    })
    window.length = 0
    window.saturated = 0
    const stride = this.seriesCount + 1
    for (let i = 0; i < this.ringLength; i++) {
      const at = ((this.ringStart + i) % this.context) * stride
      if ((this.ring[at] as number) > this.lastEnd) this.append(window, this.ring[at] as number, this.ring.subarray(at + 1, at + stride))
    }
    this.open = window
    return window
  }

  private append(window: Window, time: number, values: ArrayLike<number>): void {
    window.time[window.length] = time
    for (let s = 0; s < this.seriesCount; s++) (window.values[s] as Float32Array)[window.length] = values[s] as number
    window.length++
    this.lastEnd = time
  }

  private remember(time: number, values: ArrayLike<number>): void {
    if (this.context === 0) return
    const stride = this.seriesCount + 1
    const slot = (this.ringStart + this.ringLength) % this.context
    if (this.ringLength < this.context) this.ringLength++
    else this.ringStart = (this.ringStart + 1) % this.context
    this.ring[slot * stride] = time
    for (let s = 0; s < this.seriesCount; s++) this.ring[slot * stride + 1 + s] = values[s] as number
  }

  private close(): void {
    const window = this.open as Window
    this.open = null
    let spare = 0
    for (const kept of this.kept) if (kept.saturated < window.saturated) spare += kept.length
    if (this.points + window.length - spare > this.budget) return
    while (this.points + window.length > this.budget) {
      // Evict the least busy window (the latest of equals).
      let least = 0
      for (let i = 1; i < this.kept.length; i++) if ((this.kept[i] as Window).saturated <= (this.kept[least] as Window).saturated) least = i
      this.points -= (this.kept[least] as Window).length
      this.kept.splice(least, 1)
    }
    this.kept.push(this.trimmed(window))
    this.points += window.length
  }

  /** The window copied to its length, so a short one does not hold `maxPoints`. */
  private trimmed(window: Window): Window {
    return { ...window, time: window.time.slice(0, window.length), values: window.values.map((column) => column.slice(0, window.length)) }
  }
}
