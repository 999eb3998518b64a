import type { Clock, Timer } from '@radvisor/core'

/** The longest delay a timer holds (2^31-1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1

/**
 * Calls `callback` once `delayMs` has passed on `clock`, however long that is: the timer is
 * re-armed in pieces it can hold. Returns a function that cancels it.
 */
export function setDeadline(clock: Clock, timer: Timer, delayMs: number, callback: () => void): () => void {
  const due = clock.monotonic() + delayMs
  let handle: unknown = null
  const arm = () => {
    const left = due - clock.monotonic()
    if (left <= 0) callback()
    else handle = timer.setTimeout(arm, Math.min(left, MAX_TIMER_DELAY_MS))
  }
  handle = timer.setTimeout(arm, Math.min(delayMs, MAX_TIMER_DELAY_MS))
  return () => timer.clearTimeout(handle)
}
