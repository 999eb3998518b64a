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

/** Without a precise wait, how early a tick may start: timer delays are whole milliseconds, so aim at the nearest one. */
const EARLY_TOLERANCE_MS = 0.5
/** With a precise wait (`Timer.wait`), the timer is set to fire this much early, and the wait covers the rest. */
const WAKE_EARLY_MS = 1
/** A timer that fired earlier than this before the tick is set again rather than waited out (the loop would block). */
const MAX_WAIT_MS = 3

/**
 * Drift-compensated periodic loop: tick k is due at start + k·interval (never
 * `setInterval`), so lateness never accumulates. A tick that overruns makes the loop skip
 * the slots it covered and count them as missed. Timer delays are whole milliseconds (Bun
 * truncates fractions), so with a precise `Timer.wait` the timer fires 1–2 ms early and the
 * wait blocks until the tick is due; without one, each delay is rounded to the nearest
 * millisecond and a tick runs within half a millisecond of its due time either way (early
 * starts count as on time). A timer that fires too early is set again.
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
    const remaining = this.due(this.next) - this.clock.monotonic()
    const delay = this.timer.wait ? Math.floor(remaining - WAKE_EARLY_MS) : Math.round(remaining)
    this.handle = this.timer.setTimeout(this.fire, Math.max(0, delay))
  }

  private readonly fire = (): void => {
    this.handle = null
    if (!this.running) return
    const tick = this.next
    const due = this.due(tick)
    let now = this.clock.monotonic()
    if (now < due) {
      const { wait } = this.timer
      if (wait === undefined ? now < due - EARLY_TOLERANCE_MS : due - now > MAX_WAIT_MS) return this.arm()
      if (wait !== undefined) {
        wait(due - now)
        now = this.clock.monotonic()
      }
    }
    this.histogram.record(now - due)
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
