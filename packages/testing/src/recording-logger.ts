import { Logger, type ManualClock } from '@radvisor/core'

/** A logger that keeps what it prints; see `recordingLogger`. */
export type RecordingLogger = Logger & {
  /** What a user sees at normal verbosity. */
  lines: string[]
  /** The lines only `-v` shows. */
  details: string[]
  /** Both, in order. */
  all: string[]
  /** The clock's time at which each line of `all` was written (with a clock). */
  times: number[]
  /** Resolves with the first line matching `pattern` from index `from` of `all` on, waiting for it if need be. */
  waitFor(pattern: RegExp, from?: number): Promise<string>
}

/**
 * A verbose, colourless logger that keeps its lines apart by level, notes when each was
 * written on `clock`, and lets a test wait for one to appear: for counting what a plugin
 * prints under a fault.
 */
export function recordingLogger(clock?: ManualClock): RecordingLogger {
  const lines: string[] = []
  const details: string[] = []
  const all: string[] = []
  const times: number[] = []
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []
  let target = lines
  const logger = new Logger(
    {
      write(text) {
        const line = text.replace(/\n$/, '')
        target.push(line)
        all.push(line)
        times.push(clock?.monotonic() ?? 0)
        for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(line)
        }
      },
    },
    'verbose',
    'never',
  )
  const debug = logger.debug.bind(logger)
  logger.debug = (verb, message) => {
    target = details
    debug(verb, message)
    target = lines
  }
  return Object.assign(logger, {
    lines,
    details,
    all,
    times,
    waitFor(pattern: RegExp, from = 0): Promise<string> {
      const seen = all.slice(from).find((line) => pattern.test(line))
      if (seen) return Promise.resolve(seen)
      return new Promise<string>((resolve) => waiters.push({ pattern, resolve }))
    },
  })
}

/**
 * Lets a `ReconnectingStream` (a provider's push) fail over and over until `durationMs` of
 * manual time have passed: advances the clock to each reconnection that the latest `Retrying … in <n>ms`
 * detail announced, waiting for the next one after it. Returns the delays announced, in order.
 * (The logger must have been given the clock.)
 */
export async function runRetries(logger: RecordingLogger, clock: ManualClock, durationMs: number): Promise<number[]> {
  const retrying = /^ *Retrying .*? in (\d+)ms \(/
  const end = clock.monotonic() + durationMs
  const delays: number[] = []
  let index = logger.all.findLastIndex((line) => retrying.test(line))
  if (index < 0) {
    await logger.waitFor(retrying)
    index = logger.all.findLastIndex((line) => retrying.test(line))
  }
  for (;;) {
    const delay = Number(retrying.exec(logger.all[index]!)![1])
    delays.push(delay)
    const due = logger.times[index]! + delay
    if (due >= end) {
      clock.advance(end - clock.monotonic())
      return delays
    }
    const next = logger.waitFor(retrying, index + 1)
    clock.advance(due - clock.monotonic())
    await next
    index = logger.all.findLastIndex((line) => retrying.test(line))
  }
}
