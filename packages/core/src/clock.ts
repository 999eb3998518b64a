/** Time source. Injected everywhere so that tests need no real time. */
export interface Clock {
  /** Unix time in milliseconds, with sub-millisecond precision where available. */
  now(): number
  /** Monotonic milliseconds (only differences are meaningful). */
  monotonic(): number
}

/** Timer functions, injectable for tests. */
export interface Timer {
  setTimeout(callback: () => void, delayMs: number): unknown
  clearTimeout(handle: unknown): void
  /**
   * Blocks for `ms` (fractional), to the microsecond where the system allows: timer delays are
   * whole milliseconds, so a loop that must start on time wakes a little early and waits out
   * the rest. Optional: without it, delays are rounded to the nearest millisecond.
   */
  wait?(ms: number): void
}

/** What `Atomics.wait` sleeps on: never notified, so it always times out. */
const never = new Int32Array(new SharedArrayBuffer(4))

const origin = performance.timeOrigin

/** The real clock: `performance.timeOrigin + performance.now()` for sub-ms Unix time. */
export const systemClock: Clock = {
  now: () => origin + performance.now(),
  monotonic: () => performance.now(),
}

/**
 * The real timer. A zero delay runs on the next turn of the event loop (`setImmediate`)
 * rather than through `setTimeout`, which waits at least a millisecond: a tick that is due
 * now (back-to-back sampling, or a slot already reached) must not wait for nothing.
 */
export const systemTimer: Timer = {
  setTimeout: (callback, delayMs) => (delayMs > 0 ? setTimeout(callback, delayMs) : { immediate: setImmediate(callback) }),
  clearTimeout: (handle) => {
    if (handle && typeof handle === 'object' && 'immediate' in handle) clearImmediate(handle.immediate as ReturnType<typeof setImmediate>)
    else clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
  // A futex wait with a timeout: microsecond precision (Bun.sleepSync truncates to whole milliseconds).
  wait: (ms) => void Atomics.wait(never, 0, 0, ms),
}

/** Unix milliseconds (fractional) as nanoseconds. */
export function unixNanos(unixMs: number): bigint {
  const ms = Math.floor(unixMs)
  return BigInt(ms) * 1_000_000n + BigInt(Math.min(999_999, Math.round((unixMs - ms) * 1e6)))
}
