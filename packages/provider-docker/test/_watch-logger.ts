import { Logger } from '@radvisor/core'

/** A verbose logger that keeps its lines and lets a test wait for one to appear. */
export function watchLogger(): Logger & { lines: string[]; waitFor(pattern: RegExp, from?: number): Promise<string> } {
  const lines: string[] = []
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []
  const logger = new Logger(
    {
      write(text) {
        const line = text.replace(/\n$/, '')
        lines.push(line)
        for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(line)
        }
      },
    },
    'verbose',
    'never',
  )
  return Object.assign(logger, {
    lines,
    /** Resolves with the first line matching `pattern` from line index `from` on, waiting for it if need be. */
    waitFor(pattern: RegExp, from = 0): Promise<string> {
      const seen = lines.slice(from).find((line) => pattern.test(line))
      if (seen) return Promise.resolve(seen)
      return new Promise<string>((resolve) => waiters.push({ pattern, resolve }))
    },
  })
}
