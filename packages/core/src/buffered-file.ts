import { describeError } from './errors.ts'
import type { FileSystem } from './fs.ts'
import type { Logger } from './logger.ts'
import { Outages } from './outages.ts'

const NEWLINE = 0x0a
/** Without `rowsPerFlush`, a buffer starts this small at its first row and grows on demand up to its limit. */
const INITIAL_BYTES = 8 * 1024
const PAGE = 4096
const NO_BYTES = new Uint8Array(0)

/** An open output: its descriptor, and its size when it is a regular file (null for a pipe). */
export interface OpenedFile {
  readonly fd: number
  readonly size: number | null
}

export interface BufferedFileOptions {
  readonly fs: FileSystem
  /** What the file is, in messages (its path, or `stdout`). */
  readonly label: string
  /**
   * Opens the output. Called at once and, while it throws (a full disk, a missing mount),
   * again at every flush; rows are kept meanwhile, up to `maxBytes`.
   */
  readonly open: () => OpenedFile
  /** Whether `close` closes the descriptor (not for stdout). */
  readonly closeDescriptor?: boolean
  /** The most bytes of rows held while the output refuses them (`-b`). */
  readonly maxBytes: number
  /** Write out once this many bytes are buffered, before any flush (default: `maxBytes`). */
  readonly writeAtBytes?: number
  /**
   * About how many rows arrive between two flushes (`--flush-every` / `--interval`). The buffer
   * is then sized for that many rows like the first one at once, instead of growing step by
   * step: with hundreds of files, every step's old buffer is garbage that stays resident.
   */
  readonly rowsPerFlush?: number
  /** Shared by all files of one sink, so one outage prints one line. */
  readonly failures: WriteFailures
  /** Every write attempt, for radvisor's flush log. */
  readonly onWrite?: (written: number, success: boolean) => void
}

/**
 * Reports a sink's write failures once per outage and the recovery once, across all its files:
 * a full disk that refuses 500 logs prints one line when it starts and one when it ends.
 */
export class WriteFailures {
  private readonly outages = new Outages()

  constructor(
    private readonly logger: Logger,
    /** The sink's name, for messages. */
    private readonly sink: string,
    /** What its files are, for messages: `logs in /var/log/radvisor/stats`. */
    private readonly where: string,
    private readonly maxBytes: number,
  ) {}

  failed(label: string, error: unknown): void {
    this.outages.fail('write', label, () =>
      this.logger.warn(
        `sink ${this.sink} cannot write ${label}: ${describeError(error)}; keeping up to ${this.maxBytes} bytes of rows per file and retrying at each flush`,
      ),
    )
  }

  recovered(label: string): void {
    this.outages.recover('write', label, () => this.logger.status('Resumed', `writing ${this.where} (sink ${this.sink})`))
  }

  /** A file that closed while failing. */
  closed(label: string): void {
    this.outages.drop('write', label)
  }
}

/**
 * The one buffered writer of file sinks: rows are appended to a buffer that grows on demand
 * up to `maxBytes` and written with one `writeSync` at `flush` (the runner calls it every
 * `--flush-every`) or when the buffer is full. Only whole rows are kept: a short write keeps
 * its remainder and the next flush goes on from there, and if the output still refuses at
 * close, a row cut in half is truncated away so that no log ends mid-row. An output that
 * cannot be opened yet is retried at each flush. Rows that had to be given up are counted.
 */
export class BufferedFile {
  /** Rows are `buffer[0..used)`, each ending in a newline; write new ones at `reserve`'s offset. */
  buffer: Uint8Array
  private used = 0
  /** Highest `used` since the buffer last shrank, to give memory back after an outage. */
  private peak = 0
  private fd = -1
  /** Bytes on disk after this writer's last successful write (null: not a regular file). */
  private fileBytes: number | null = null
  /** Bytes of the first buffered row that are already on disk (a short write cut it). */
  private cut = 0
  /** Bytes at the start of the buffer that are the file's preamble (a log header), not rows. */
  private preamble = 0
  /** Size of the file when it was opened, where a preamble never wholly written is cut back to. */
  private openedBytes: number | null = null
  private droppedRows = 0
  private lastError = ''
  /** The last write or open failed: only flushes retry, so an outage costs no syscall per row. */
  private failing = false
  private closed = false
  bytesWritten = 0
  writes = 0

  /** Whether the buffer was sized for the first row yet. */
  private sized = false

  constructor(private readonly options: BufferedFileOptions) {
    this.buffer = NO_BYTES
  }

  /**
   * Room for a row of at most `size` bytes (its newline included): the offset in `buffer` to
   * write it at, then `commit` its end. -1 when the row must be given up (the buffer is at its
   * limit and the output refuses it); it is counted. Writes out a full buffer first.
   */
  reserve(size: number): number {
    if (this.closed) return -1
    const { maxBytes, writeAtBytes = maxBytes } = this.options
    if (this.used + size > writeAtBytes && this.used > 0 && !this.failing) this.flush()
    if (this.used + size > maxBytes && this.used > 0) {
      this.droppedRows++
      return -1
    }
    if (!this.sized) this.sizeFor(size)
    if (this.used + size > this.buffer.length) this.grow(this.used + size)
    return this.used
  }

  /** Ends the row reserved last at `end` (exclusive; the byte before it is its newline). */
  commit(end: number): void {
    this.used = end
    if (end > this.peak) this.peak = end
  }

  /** Appends `source[0..length)` and a newline as one row. Returns false when the row was given up. */
  appendLine(source: Uint8Array, length: number): boolean {
    const at = this.reserve(length + 1)
    if (at < 0) return false
    const buffer = this.buffer
    if (length > 0) buffer.set(length === source.length ? source : source.subarray(0, length), at)
    buffer[at + length] = NEWLINE
    this.commit(at + length + 1)
    return true
  }

  /**
   * Writes `bytes` (whole lines: a log's header, not counted as rows) before any row, straight
   * from `bytes`: a header costs no copy, and a log no buffer until its first row. What the
   * output does not take yet (it cannot be opened, a write failed or was short) is copied into
   * the buffer and goes out with the next flush, so the caller may reuse `bytes` at once.
   */
  writePreamble(bytes: Uint8Array): void {
    if (this.used > 0) throw new RangeError('a preamble comes before any row')
    const written = bytes.length > 0 && (this.fd >= 0 || this.tryOpen()) ? this.writeOut(bytes, bytes.length) : 0
    if (written === bytes.length) return
    const rest = bytes.length - written
    if (rest > this.buffer.length) this.grow(rest)
    this.buffer.set(written === 0 ? bytes : bytes.subarray(written))
    this.commit(rest)
    this.preamble = rest
  }

  /** Writes the buffered rows out (opening the output first if it is not open yet). Returns true when nothing is left. */
  flush(): boolean {
    if (this.used === 0) return true
    if (this.fd < 0 && !this.tryOpen()) return false
    const written = this.writeOut(this.buffer, this.used)
    if (written > 0) {
      this.cut = this.cutAfter(written)
      this.preamble = Math.max(0, this.preamble - written)
      this.buffer.copyWithin(0, written, this.used)
      this.used -= written
    }
    if (this.used === 0) this.shrink()
    return this.used === 0
  }

  /**
   * Writes what is left and closes the output. Rows it still refuses are dropped, and a row
   * cut in half by a short write is truncated off the file. Returns the rows given up in all,
   * with the first error that cost them.
   */
  close(): { dropped: number; reason: string } {
    if (this.closed) return { dropped: 0, reason: '' }
    this.flush()
    this.closed = true
    const { fs, failures, label, closeDescriptor = true } = this.options
    let unwritten = 0
    for (let i = this.preamble; i < this.used; i++) if (this.buffer[i] === NEWLINE) unwritten++
    if (this.fd >= 0) {
      // A preamble cut short leaves no usable file: back to where it began. A row cut short: back to the row before.
      const keep = this.preamble > 0 ? this.openedBytes : this.cut > 0 && this.fileBytes !== null ? this.fileBytes - this.cut : null
      if (keep !== null && keep !== this.fileBytes) {
        try {
          fs.ftruncateSync(this.fd, keep)
        } catch (error) {
          this.lastError ||= describeError(error)
        }
      }
      if (closeDescriptor) {
        try {
          fs.closeSync(this.fd)
        } catch (error) {
          failures.failed(label, error)
        }
      }
      this.fd = -1
    }
    failures.closed(label)
    this.used = 0
    this.buffer = new Uint8Array(0)
    return { dropped: this.droppedRows + unwritten, reason: this.lastError ? `${this.lastError} (${label})` : label }
  }

  private tryOpen(): boolean {
    try {
      const { fd, size } = this.options.open()
      this.fd = fd
      this.fileBytes = size
      this.openedBytes = size
      return true
    } catch (error) {
      this.fail(error)
      return false
    }
  }

  /** Writes `source[0..length)`, looping over short writes; returns the bytes written before a failure. */
  private writeOut(source: Uint8Array, length: number): number {
    const { fs, onWrite, failures, label } = this.options
    let offset = 0
    while (offset < length) {
      let written: number
      try {
        written = fs.writeSync(this.fd, source, offset, length - offset)
      } catch (error) {
        onWrite?.(0, false)
        this.fail(error)
        return offset
      }
      onWrite?.(written, true)
      this.writes++
      this.bytesWritten += written
      if (this.fileBytes !== null) this.fileBytes += written
      offset += written
      if (written === 0) return offset
    }
    this.failing = false
    failures.recovered(label)
    return offset
  }

  /** Bytes of the row cut by writing `written` bytes that reached the disk (0 when it ended on a row). */
  private cutAfter(written: number): number {
    for (let i = written - 1; i >= 0; i--) if (this.buffer[i] === NEWLINE) return written - 1 - i
    return this.cut + written
  }

  private fail(error: unknown): void {
    this.failing = true
    this.lastError ||= describeError(error)
    this.options.failures.failed(this.options.label, error)
  }

  /** At the first row: room for a flush interval of rows like it (10% more), or `INITIAL_BYTES`. */
  private sizeFor(rowSize: number): void {
    this.sized = true
    const { rowsPerFlush, maxBytes } = this.options
    const rows = rowSize * (rowsPerFlush ?? 0)
    const wanted = rowsPerFlush === undefined ? INITIAL_BYTES : this.used + rows + Math.ceil(rows / 10)
    const size = Math.min(maxBytes, wanted)
    if (size > this.buffer.length) this.resize(size)
  }

  private grow(needed: number): void {
    // By a quarter, in whole pages: a buffer ends close to what a flush interval of rows needs
    // (hundreds are held). A single row longer than the limit (a tiny -b) is still kept whole.
    this.resize(Math.max(needed, Math.min(this.options.maxBytes, Math.ceil((this.buffer.length * 1.25) / PAGE) * PAGE)))
  }

  private resize(size: number): void {
    const resized = new Uint8Array(size)
    resized.set(this.buffer.subarray(0, this.used))
    this.buffer = resized
  }

  /** After an outage filled the buffer, give the memory back once rows flow again. */
  private shrink(): void {
    const fit = Math.max(INITIAL_BYTES, this.peak * 2)
    if (this.buffer.length > 4 * fit) this.buffer = new Uint8Array(Math.min(fit, this.options.maxBytes))
    this.peak = 0
  }
}
