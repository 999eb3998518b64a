import {
  describeError,
  type LogHeader,
  type PluginContext,
  RadvisorError,
  type Row,
  type Sink,
  type Target,
} from '@radvisor/core'
import { JsonLineEncoder } from './_encoder.ts'

const STDOUT = 1
/** Lines reach a pipe at least this often when `--flush-every` is not set. */
const DEFAULT_MAX_DELAY_MS = 1_000
const MAX_BUFFER_BYTES = 64 * 1024

/**
 * Creates the JSON lines sink: one `{"target","provider","time","values"}` object per row,
 * appended to `path` (created when missing) or written to stdout. Lines are buffered (at
 * most 64 KiB, or `--buffer` if smaller) and written when the buffer is full, at least every
 * `--flush-every` (default 1 s), at `flush` and at `close`.
 *
 * Writes for a target that is not open are ignored. When the output refuses a write
 * (a full disk, a closed pipe), the lines stay buffered and are retried; lines that do
 * not fit meanwhile are counted and reported at close.
 */
export function createJsonlSink(context: PluginContext, path?: string): Sink {
  let fd = STDOUT
  if (path !== undefined) {
    try {
      fd = context.fs.openSync(path, 'a')
    } catch (error) {
      throw new RadvisorError('sink-jsonl', 'E_OPTION', `cannot open ${path} (--jsonl-path): ${describeError(error)}`, { cause: error })
    }
  }
  return new JsonlSink(context, fd, path ?? 'stdout')
}

class JsonlSink implements Sink {
  readonly name = 'jsonl'
  private readonly encoders = new Map<string, JsonLineEncoder>()
  private buffer: Uint8Array
  private used = 0
  private lastWriteAt: number
  private readonly maxDelayMs: number
  private failing = false
  private closed = false
  private lines = 0
  private dropped = 0

  constructor(
    private readonly context: PluginContext,
    private readonly fd: number,
    private readonly destination: string,
  ) {
    this.buffer = new Uint8Array(Math.min(context.settings.bufferBytes, MAX_BUFFER_BYTES))
    this.maxDelayMs = context.settings.flushEveryMs ?? DEFAULT_MAX_DELAY_MS
    this.lastWriteAt = context.clock.monotonic()
  }

  open(target: Target, header: LogHeader): void {
    if (!this.closed) this.encoders.set(target.id, new JsonLineEncoder(target, header.collector.columns))
  }

  write(row: Row): void {
    const encoder = this.encoders.get(row.target.id)
    if (!encoder) return
    const needed = encoder.maxBytes(row)
    if (this.used + needed > this.buffer.length) {
      this.drain()
      if (this.used + needed > this.buffer.length) {
        if (this.used > 0) {
          this.dropped++
          return
        }
        // A line longer than the buffer (a tiny --buffer): make room once.
        this.buffer = new Uint8Array(needed)
      }
    }
    this.used = encoder.encode(row, this.buffer, this.used)
    this.lines++
    if (this.context.clock.monotonic() - this.lastWriteAt >= this.maxDelayMs) this.drain()
  }

  closeTarget(target: Target): void {
    this.encoders.delete(target.id)
  }

  flush(): void {
    this.drain()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.encoders.clear()
    this.drain()
    const { logger, fs } = this.context
    let unwritten = 0
    for (let i = 0; i < this.used; i++) if (this.buffer[i] === 0x0a) unwritten++
    if (this.fd !== STDOUT) {
      try {
        fs.closeSync(this.fd)
      } catch (error) {
        this.report(error)
      }
    }
    const lost = this.dropped + unwritten
    if (lost > 0) logger.warn(`dropped ${lost} JSON line${lost === 1 ? '' : 's'} that could not be written to ${this.destination}`)
    logger.status('Wrote', `${this.lines - unwritten} JSON lines to ${this.destination}`)
  }

  /** Writes the buffer out, keeping what the output refused at its start for a retry. */
  private drain(): void {
    this.lastWriteAt = this.context.clock.monotonic()
    let offset = 0
    try {
      while (offset < this.used) {
        const written = this.context.fs.writeSync(this.fd, this.buffer, offset, this.used - offset)
        if (written === 0) break
        offset += written
      }
      if (this.failing) {
        this.failing = false
        this.context.logger.forget(this.reportKey)
      }
    } catch (error) {
      this.report(error)
    }
    if (offset > 0) this.buffer.copyWithin(0, offset, this.used)
    this.used -= offset
  }

  private get reportKey(): string {
    return `sink-jsonl:write:${this.destination}`
  }

  private report(error: unknown): void {
    this.failing = true
    const { logger } = this.context
    logger.once(this.reportKey, () =>
      logger.warn(`cannot write ${this.destination}: ${describeError(error)}; keeping up to ${this.buffer.length} bytes buffered and retrying`),
    )
  }
}
