/** Rows one sink could not deliver for one subject (a target, or a sink's shared output). */
export interface Loss {
  readonly sink: string
  /** The target's name, or the output (`stdout`, a path) when rows of several targets share it. */
  readonly subject: string
  readonly rows: number
  /** Why, from the first loss: `disk full (ENOSPC) writing /var/log/...`. */
  readonly reason: string
}

/**
 * Counts collected rows that never reached a sink's output. Sinks record here instead of
 * printing, the runner records rows a writer threw on, and the run reports the total at
 * exit and ends with `ExitCode.dataLoss`, so that no loss is silent.
 */
export class LossLedger {
  private readonly losses = new Map<string, { sink: string; subject: string; rows: number; reason: string }>()
  private rows = 0
  private errors = 0

  record(sink: string, subject: string, rows: number, reason: string): void {
    if (!(rows > 0)) return
    const key = `${sink}\0${subject}`
    const loss = this.losses.get(key)
    if (loss) loss.rows += rows
    else this.losses.set(key, { sink, subject, rows, reason })
    this.rows += rows
  }

  /** Rows lost in all. */
  get total(): number {
    return this.rows
  }

  /** Counts one call of a sink (open, write, flush, close) that threw; the runner records these. */
  recordSinkError(): void {
    this.errors++
  }

  /** Calls of sinks that threw, in all (exported as a self-metric). */
  get sinkErrors(): number {
    return this.errors
  }

  /** Every loss, largest first. */
  list(): Loss[] {
    return [...this.losses.values()].sort((a, b) => b.rows - a.rows)
  }
}
