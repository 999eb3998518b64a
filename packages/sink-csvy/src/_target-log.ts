import { join } from 'node:path'
import { type Clock, describeError, type FileSystem, type Logger, RadvisorError, type Row, unixNanos } from '@radvisor/core'
import type { FlushRecord } from './_flush-record.ts'

const NEWLINE = 0x0a

/** What every target's log shares. */
export interface TargetLogContext {
  readonly fs: FileSystem
  readonly clock: Clock
  readonly logger: Logger
  readonly record: FlushRecord | null
  readonly bufferBytes: number
  readonly flushEveryMs: number | null
}

/**
 * One target's log file and its row buffer. Rows are copied into a buffer allocated once
 * at open and written with one `writeSync` when the next row would not fit, when
 * `flushEveryMs` has passed, and at close, so that disk writes stay rare and never sit on
 * the sampling path more than needed. When the disk refuses a write (full, I/O error) the
 * unwritten bytes stay buffered and are retried; rows that do not fit meanwhile are counted.
 */
export class TargetLog {
  private readonly buffer: Uint8Array
  private used = 0
  private lastWriteAt: number
  private failing = false
  /** Rows that were refused because the buffer was full and the disk refused writes. */
  droppedRows = 0
  bytesWritten = 0
  writes = 0

  private constructor(
    readonly targetId: string,
    readonly path: string,
    private readonly fd: number,
    private readonly context: TargetLogContext,
  ) {
    this.buffer = new Uint8Array(context.bufferBytes)
    this.lastWriteAt = context.clock.monotonic()
  }

  /**
   * Creates `<directory>/<id>_<unix seconds>.log` (with `_1`, `_2`... when that name is
   * taken: an existing log is never overwritten or appended to) and writes `header`.
   */
  static open(context: TargetLogContext, directory: string, targetId: string, header: string): TargetLog {
    const { fs, clock } = context
    const base = join(directory, `${targetId}_${Math.floor(clock.now() / 1000)}`)
    for (let attempt = 0; ; attempt++) {
      const path = attempt === 0 ? `${base}.log` : `${base}_${attempt}.log`
      let fd: number
      try {
        fd = fs.openSync(path, 'wx')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
        throw new RadvisorError('sink-csvy', 'E_IO', `cannot create log file ${path}: ${describeError(error)}`, { cause: error })
      }
      const bytes = new TextEncoder().encode(header)
      try {
        for (let offset = 0; offset < bytes.length; ) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset)
      } catch (error) {
        fs.closeSync(fd)
        throw new RadvisorError('sink-csvy', 'E_IO', `cannot write the header of ${path}: ${describeError(error)}`, { cause: error })
      }
      return new TargetLog(targetId, path, fd, context)
    }
  }

  /** Copies `row` and a newline into the buffer, writing the buffer out first when it is full. */
  append(row: Row): void {
    const size = row.length + 1
    const { buffer } = this
    if (this.used + size > buffer.length) {
      this.drain()
      if (this.used + size > buffer.length) {
        if (this.used === 0) this.writeOversized(row)
        else this.droppedRows++
        return
      }
    }
    buffer.set(row.line.subarray(0, row.length), this.used)
    buffer[this.used + row.length] = NEWLINE
    this.used += size
    const { flushEveryMs, clock } = this.context
    if (flushEveryMs !== null && clock.monotonic() - this.lastWriteAt >= flushEveryMs) this.drain()
  }

  /** Writes the buffered rows to disk. Returns true when nothing is left buffered. */
  drain(): boolean {
    if (this.used === 0) return true
    const written = this.writeOut(this.buffer, this.used)
    // Keep what the disk refused at the start of the buffer, to retry it next time.
    if (written > 0) this.buffer.copyWithin(0, written, this.used)
    this.used -= written
    return this.used === 0
  }

  /**
   * Writes what is buffered and closes the file. Returns the number of rows lost: those
   * refused while the disk failed plus those still unwritten now.
   */
  close(): number {
    this.drain()
    let unwritten = 0
    for (let i = 0; i < this.used; i++) if (this.buffer[i] === NEWLINE) unwritten++
    try {
      this.context.fs.closeSync(this.fd)
    } catch (error) {
      this.report(error)
    }
    return this.droppedRows + unwritten
  }

  /** A row longer than the whole buffer (a tiny `--buffer`) goes straight to disk. */
  private writeOversized(row: Row): void {
    const line = new Uint8Array(row.length + 1)
    line.set(row.line.subarray(0, row.length))
    line[row.length] = NEWLINE
    if (this.writeOut(line, line.length) < line.length) this.droppedRows++
  }

  /** Writes `bytes[0..length)`, looping over short writes; returns the bytes written before a failure. */
  private writeOut(bytes: Uint8Array, length: number): number {
    const { fs, clock, record } = this.context
    this.lastWriteAt = clock.monotonic()
    let offset = 0
    while (offset < length) {
      let written: number
      try {
        written = fs.writeSync(this.fd, bytes, offset, length - offset)
      } catch (error) {
        record?.add(unixNanos(clock.now()), this.targetId, 0, false)
        this.report(error)
        return offset
      }
      record?.add(unixNanos(clock.now()), this.targetId, written, true)
      this.writes++
      this.bytesWritten += written
      offset += written
      if (written === 0) return offset
    }
    if (this.failing) {
      this.failing = false
      this.context.logger.forget(this.reportKey)
      this.context.logger.status('Resumed', `writing ${this.path}`)
    }
    return offset
  }

  private get reportKey(): string {
    return `sink-csvy:write:${this.path}`
  }

  private report(error: unknown): void {
    this.failing = true
    const { logger, bufferBytes } = this.context
    logger.once(this.reportKey, () =>
      logger.warn(
        `cannot write ${this.path}: ${describeError(error)}; keeping up to ${bufferBytes} bytes of rows buffered and retrying`,
      ),
    )
  }
}
