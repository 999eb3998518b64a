import { describeError, RadvisorError } from './errors.ts'

export type ColorMode = 'auto' | 'always' | 'never'
export type Verbosity = 'quiet' | 'normal' | 'verbose'

/** Where log lines go; stderr in production, an array in tests. */
export interface LogOutput {
  write(line: string): void
  readonly isTTY?: boolean
}

const VERB_WIDTH = 12
const styles = { green: '32', yellow: '33', red: '31', cyan: '36', dim: '2' } as const

/**
 * Status logger in the style of radvisor's (and cargo's) shell output: a right-aligned
 * bold verb, then the message. Status goes to stderr so that stdout stays free for data.
 */
export class Logger {
  private readonly color: boolean
  private readonly seen = new Set<string>()

  constructor(
    private readonly output: LogOutput = stderrOutput,
    readonly verbosity: Verbosity = 'normal',
    color: ColorMode = 'auto',
  ) {
    this.color = color === 'always' || (color === 'auto' && !!output.isTTY && !process.env.NO_COLOR)
  }

  /** A status line: `  Initializing docker provider`. Hidden with -q. */
  status(verb: string, message: string): void {
    if (this.verbosity !== 'quiet') this.line(verb, 'green', message)
  }

  /** Detail shown only with -v. */
  debug(verb: string, message: string): void {
    if (this.verbosity === 'verbose') this.line(verb, 'dim', message)
  }

  warn(message: string): void {
    if (this.verbosity !== 'quiet') this.line('Warning', 'yellow', message)
  }

  /** Errors are shown even with -q. */
  error(error: unknown): void {
    this.output.write(`${this.paint('red', 'error')}: ${formatError(error)}\n`)
  }

  /**
   * Reports `message` once for `key` and stays silent for repeats, so a failure that
   * recurs every tick is printed once. Returns true when it was printed.
   */
  once(key: string, report: () => void): boolean {
    if (this.seen.has(key)) return false
    this.seen.add(key)
    report()
    return true
  }

  /** Forgets a `once` key, so that a recurrence after recovery is reported again. */
  forget(key: string): void {
    this.seen.delete(key)
  }

  private line(verb: string, style: keyof typeof styles, message: string): void {
    const padded = verb.length >= VERB_WIDTH ? verb : ' '.repeat(VERB_WIDTH - verb.length) + verb
    this.output.write(`${this.paint(style, padded, true)} ${message}\n`)
  }

  private paint(style: keyof typeof styles, text: string, bold = false): string {
    if (!this.color) return text
    return `\x1b[${bold ? '1;' : ''}${styles[style]}m${text}\x1b[0m`
  }
}

/** `[radvisor] [plugin] message` for radvisor's errors, `[radvisor] message` otherwise. */
export function formatError(error: unknown): string {
  if (error instanceof RadvisorError) return error.toString()
  return `[radvisor] ${describeError(error)}`
}

const stderrOutput: LogOutput = {
  write: (line) => process.stderr.write(line),
  get isTTY() {
    return process.stderr.isTTY
  },
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(verbosity: Verbosity = 'verbose'): Logger & { lines: string[] } {
  const lines: string[] = []
  const logger = new Logger({ write: (line) => lines.push(line.replace(/\n$/, '')) }, verbosity, 'never')
  return Object.assign(logger, { lines })
}
