import { createHash } from 'node:crypto'
import { describeError, RadvisorError } from './errors.ts'
import { printable } from './printable.ts'

export type ColorMode = 'auto' | 'always' | 'never'
/** quiet: errors only; warnings: also warnings (no status lines); normal: also status; verbose: also details. */
export type Verbosity = 'quiet' | 'warnings' | 'normal' | 'verbose'

/** Where log lines go; stderr in production, an array in tests. */
export interface LogOutput {
  write(line: string): void
  readonly isTTY?: boolean
}

const VERB_WIDTH = 12
/** Longest message printed whole; longer ones are shortened in the middle (a message is one line, not a dump). */
const MESSAGE_LIMIT = 1000
/** `once` keys longer than this are kept as a digest, so that a key built from a 10 KB id costs no more than a short one. */
const KEY_LIMIT = 200
const styles = { green: '32', yellow: '33', red: '31', cyan: '36', dim: '2' } as const

/**
 * Status logger in the style of radvisor's (and cargo's) shell output: a right-aligned
 * bold verb, then the message. Status goes to stderr so that stdout stays free for data.
 * Every message is one line: control characters that came from outside (API answers,
 * file names) are escaped here, whoever built the message.
 */
export class Logger {
  private readonly color: boolean
  /**
   * Keys `once` has reported, in two generations: when `recent` holds half the limit it
   * becomes `older` and the previous `older` is dropped. A key seen again moves back to
   * `recent`, so what recurs is never forgotten; each step costs O(1).
   */
  private recent = new Set<string>()
  private older = new Set<string>()

  constructor(
    private readonly output: LogOutput = stderrOutput,
    readonly verbosity: Verbosity = 'normal',
    color: ColorMode = 'auto',
    /**
     * How many `once` keys are remembered at most. Beyond it the least recently seen are
     * forgotten (and would be reported again), so that a run that meets 50,000 targets
     * does not keep 100,000 keys.
     */
    private readonly onceLimit = 10_000,
  ) {
    this.color = color === 'always' || (color === 'auto' && !!output.isTTY && !process.env.NO_COLOR)
  }

  /** A status line: `  Initializing docker provider`. Shown at `normal` and `verbose`. */
  status(verb: string, message: string): void {
    if (this.verbosity === 'normal' || this.verbosity === 'verbose') this.line(verb, 'green', message)
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
    const stored = storedKey(key)
    if (this.recent.has(stored)) return false
    const known = this.older.delete(stored)
    this.recent.add(stored)
    if (this.recent.size >= Math.max(1, this.onceLimit >> 1)) {
      this.older = this.recent
      this.recent = new Set()
    }
    if (known) return false
    report()
    return true
  }

  /** Forgets a `once` key, so that a recurrence after recovery is reported again. */
  forget(key: string): void {
    const stored = storedKey(key)
    this.recent.delete(stored)
    this.older.delete(stored)
  }

  /** How many `once` keys are remembered now. */
  get onceKeys(): number {
    return this.recent.size + this.older.size
  }

  private line(verb: string, style: keyof typeof styles, message: string): void {
    const padded = verb.length >= VERB_WIDTH ? verb : ' '.repeat(VERB_WIDTH - verb.length) + verb
    this.output.write(`${this.paint(style, padded, true)} ${printable(message, MESSAGE_LIMIT)}\n`)
  }

  private paint(style: keyof typeof styles, text: string, bold = false): string {
    if (!this.color) return text
    return `\x1b[${bold ? '1;' : ''}${styles[style]}m${text}\x1b[0m`
  }
}

/** `[radvisor] [plugin] message` for radvisor's errors, `[radvisor] message` otherwise; one printable line. */
export function formatError(error: unknown): string {
  return printable(error instanceof RadvisorError ? error.toString() : `[radvisor] ${describeError(error)}`, MESSAGE_LIMIT)
}

function storedKey(key: string): string {
  return key.length <= KEY_LIMIT ? key : `${key.slice(0, 64)}#${createHash('sha256').update(key).digest('base64')}`
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
