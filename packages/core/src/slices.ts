import type { Clock, Timer } from './clock.ts'

/** How long poll processing may hold the event loop before it lets a tick run. */
export const SLICE_MS = 4

/**
 * Cuts a long loop (a list of 20,000 containers, its cgroup lookups) into slices of `sliceMs`,
 * yielding to the event loop between them so that ticks keep their slots. `await
 * slices.yieldIfDue()` costs a clock read when the slice is not over.
 */
export class TimeSlices {
  private sliceStart: number

  constructor(
    private readonly clock: Clock,
    private readonly timer: Timer,
    private readonly sliceMs = SLICE_MS,
  ) {
    this.sliceStart = clock.monotonic()
  }

  /** Whether the current slice is over. */
  get due(): boolean {
    return this.clock.monotonic() - this.sliceStart >= this.sliceMs
  }

  /** Yields to the event loop when the current slice is over, then starts the next. */
  yieldIfDue(): Promise<void> | undefined {
    return this.due ? this.yield() : undefined
  }

  private async yield(): Promise<void> {
    await new Promise<void>((resolve) => this.timer.setTimeout(resolve, 0))
    this.sliceStart = this.clock.monotonic()
  }
}
