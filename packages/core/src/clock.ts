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
}

const origin = performance.timeOrigin

/** The real clock: `performance.timeOrigin + performance.now()` for sub-ms Unix time. */
export const systemClock: Clock = {
  now: () => origin + performance.now(),
  monotonic: () => performance.now(),
}

export const systemTimer: Timer = {
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

/** Unix milliseconds (fractional) as nanoseconds. */
export function unixNanos(unixMs: number): bigint {
  const ms = Math.floor(unixMs)
  return BigInt(ms) * 1_000_000n + BigInt(Math.min(999_999, Math.round((unixMs - ms) * 1e6)))
}
