import { Logger, type ManualClock } from '@radvisor/core'

/**
 * A verbose logger that keeps its lines and lets a test wait for one to appear. `lines`
 * holds what a user sees at normal verbosity, `details` the lines only `-v` shows, `all` both in order.
 */
export function watchLogger(clock?: ManualClock): Logger & {
  lines: string[]
  details: string[]
  all: string[]
  /** The clock's time at which each line of `all` was written (with a clock). */
  times: number[]
  waitFor(pattern: RegExp, from?: number): Promise<string>
} {
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
    /** Resolves with the first line matching `pattern` from index `from` of `all` on, waiting for it if need be. */
    waitFor(pattern: RegExp, from = 0): Promise<string> {
      const seen = all.slice(from).find((line) => pattern.test(line))
      if (seen) return Promise.resolve(seen)
      return new Promise<string>((resolve) => waiters.push({ pattern, resolve }))
    },
  })
}

/**
 * Lets a reconnecting stream fail over and over until `durationMs` of manual time have
 * passed: advances the clock to each reconnection that the latest `Retrying … in <n>ms`
 * detail announced, waiting for the next one after it. Returns the delays announced, in order.
 * (The logger must have been given the clock.)
 */
export async function runRetries(logger: ReturnType<typeof watchLogger>, clock: ManualClock, durationMs: number): Promise<number[]> {
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
