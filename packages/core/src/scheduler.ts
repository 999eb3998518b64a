import { type Clock, systemClock, systemTimer, type Timer } from './clock.ts'
import { LatenessHistogram } from './histogram.ts'

/** Punctuality of the sampling loop so far. */
export interface TickStats {
  readonly intervalMs: number
  /** Ticks that ran. */
  readonly ticks: number
  /** Ticks skipped because the previous one overran its slot. */
  readonly missed: number
  /** Lateness of ticks, in milliseconds (`sum`: of every tick's, for a mean or a Prometheus summary). */
  readonly lateness: { readonly p50: number; readonly p99: number; readonly max: number; readonly sum: number }
}

export interface SchedulerOptions {
  intervalMs: number
  /** Runs every tick. Synchronous: a tick never overlaps the next. Errors are passed to `onError`. */
  onTick: (tick: number) => void
  onError?: (error: unknown) => void
  clock?: Clock
  timer?: Timer
}

/** How early a tick may start: timer delays are whole milliseconds, so aim at the nearest one. */
const EARLY_TOLERANCE_MS = 0.5

/**
 * Drift-compensated periodic loop: tick k is due at start + k·interval (never
 * `setInterval`), so lateness never accumulates. A tick that overruns makes the loop skip
 * the slots it covered and count them as missed. Bun truncates fractional timer delays,
 * so each delay is rounded to the nearest millisecond and a tick runs within half a
 * millisecond of its due time either way (rounding up would make every tick up to 1 ms
 * late); a timer that fires earlier than that is re-armed. Early starts count as on time.
 */
export class Scheduler {
  private readonly clock: Clock
  private readonly timer: Timer
  private readonly histogram = new LatenessHistogram()
  private startedAt = 0
  private next = 0
  private handle: unknown = null
  private running = false
  private ticks = 0
  private missed = 0

  constructor(private readonly options: SchedulerOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError('interval must be positive')
    this.clock = options.clock ?? systemClock
    this.timer = options.timer ?? systemTimer
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.startedAt = this.clock.monotonic()
    this.next = 0
    this.arm()
  }

  stop(): void {
    this.running = false
    if (this.handle !== null) this.timer.clearTimeout(this.handle)
    this.handle = null
  }

  get stats(): TickStats {
    return {
      intervalMs: this.options.intervalMs,
      ticks: this.ticks,
      missed: this.missed,
      lateness: {
        p50: this.histogram.quantile(0.5),
        p99: this.histogram.quantile(0.99),
        max: this.histogram.max,
        sum: this.histogram.sum,
      },
    }
  }

  private due(tick: number): number {
    return this.startedAt + tick * this.options.intervalMs
  }

  private arm(): void {
    const delay = Math.max(0, Math.round(this.due(this.next) - this.clock.monotonic()))
    this.handle = this.timer.setTimeout(this.fire, delay)
  }

  private readonly fire = (): void => {
    this.handle = null
    if (!this.running) return
    const tick = this.next
    const now = this.clock.monotonic()
    if (now < this.due(tick) - EARLY_TOLERANCE_MS) return this.arm()
    this.histogram.record(now - this.due(tick))
    this.ticks++
    try {
      this.options.onTick(tick)
    } catch (error) {
      this.options.onError?.(error)
    }
    if (!this.running) return
    const elapsed = this.clock.monotonic() - this.startedAt
    const following = Math.max(tick + 1, Math.floor(elapsed / this.options.intervalMs) + 1)
    this.missed += following - (tick + 1)
    this.next = following
    this.arm()
  }
}
