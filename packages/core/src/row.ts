import type { Target } from './types.ts'

const COMMA = 0x2c
const ZERO = 0x30
const NINE = 0x39
/** Cells longer than this (a many-CPU `cpu.usage.percpu`, many interfaces in `network.interfaces`) are copied with `set`, which allocates a view. */
const LONG_CELL = 1024
/** Digits of `Number.MAX_SAFE_INTEGER`. */
const MAX_SAFE_DIGITS = 16
/** The first millisecond whose nanoseconds need 20 digits. */
const MAX_TIME_MS = 10_000_000_000_000
const textDecoder = new TextDecoder()

/**
 * One sample of one target, held as a CSV line of ASCII bytes plus the offsets of its
 * cells. A collector fills it in place every tick (one `Row` per target, reused), so
 * the per-tick path allocates nothing; sinks copy the bytes they keep.
 *
 * Cell 0 is always `read`, the nanosecond Unix time of the sample.
 */
export class Row {
  /** The line's bytes are `line[0..length)`; no trailing newline. */
  line: Uint8Array
  length = 0
  /** Number of cells written so far. */
  cells = 0
  /** Start and end offset (exclusive) of each cell in `line`. */
  readonly starts: Uint32Array
  readonly ends: Uint32Array
  /** `line[0..length)` as a view, made again only when the length changed (not every tick). */
  private view: Uint8Array | null = null

  constructor(
    readonly target: Target,
    readonly columns: readonly string[],
    /** Initial bytes of the line (it grows on demand): enough for most rows, as hundreds are held. */
    capacity = Math.max(256, columns.length * 16),
  ) {
    this.line = new Uint8Array(capacity)
    this.starts = new Uint32Array(columns.length)
    this.ends = new Uint32Array(columns.length)
  }

  /**
   * The line's bytes, `line[0..length)`, for sinks to copy with one `set`. The view is kept
   * while the length stays the same, which is most ticks: no allocation, no garbage per row.
   */
  get bytes(): Uint8Array {
    let view = this.view
    if (view === null || view.length !== this.length) this.view = view = this.line.subarray(0, this.length)
    return view
  }

  /** Starts a new line. */
  reset(): void {
    this.length = 0
    this.cells = 0
  }

  /**
   * Writes the `read` cell: `unixMs` (fractional milliseconds) as 19 nanosecond digits. A time
   * that 19 digits cannot hold (negative, NaN, Infinity, past the year 2286) is an empty cell.
   */
  putTime(unixMs: number): void {
    if (!(unixMs >= 0 && unixMs < MAX_TIME_MS)) return this.putEmpty()
    const ms = Math.floor(unixMs)
    const subMs = Math.min(999_999, Math.round((unixMs - ms) * 1e6))
    const at = this.open(19)
    writeDigits(this.line, at, 13, ms)
    writeDigits(this.line, at + 13, 6, subMs)
    this.close(at + 19)
  }

  /**
   * Writes a cell holding a non-negative integer. Only safe integers (up to 2^53 - 1) are
   * exact as numbers, so anything else (negative, fractional, NaN, Infinity, larger) is an
   * empty cell; 64-bit counters come from the kernel's bytes through `putBytes` instead.
   */
  putUint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) return this.putEmpty()
    let digits = 1
    for (let bound = 10; digits < MAX_SAFE_DIGITS && value >= bound; bound *= 10) digits++
    const at = this.open(digits)
    writeDigits(this.line, at, digits, value)
    this.close(at + digits)
  }

  /** Writes a cell copied from `source[start..end)` (bytes the kernel produced). */
  putBytes(source: Uint8Array, start: number, end: number): void {
    const length = end - start
    const at = this.open(length)
    const line = this.line
    // Cells are a few digits, or a few hundred bytes: a plain loop beats `set(subarray())`, which allocates a view per cell.
    if (length <= LONG_CELL) {
      for (let i = 0; i < length; i++) line[at + i] = source[start + i]!
    } else {
      line.set(source.subarray(start, end), at)
    }
    this.close(at + length)
  }

  /**
   * Writes a cell copied from `source[start..end)` if every byte of it is a decimal digit, in
   * the same pass; returns false, and writes nothing, when one is not.
   */
  putDigits(source: Uint8Array, start: number, end: number): boolean {
    const length = end - start
    const at = this.open(length)
    const line = this.line
    for (let i = 0; i < length; i++) {
      const byte = source[start + i]!
      if (byte < ZERO || byte > NINE) {
        this.length = this.cells > 0 ? at - 1 : at
        return false
      }
      line[at + i] = byte
    }
    this.close(at + length)
    return true
  }

  /** Writes a cell of ASCII text (rare: constants such as `max`). */
  putAscii(text: string): void {
    const at = this.open(text.length)
    for (let i = 0; i < text.length; i++) this.line[at + i] = text.charCodeAt(i)
    this.close(at + text.length)
  }

  /** Writes an empty cell (a value that could not be read). */
  putEmpty(): void {
    const at = this.open(0)
    this.close(at)
  }

  /** The text of cell `index`, or null when it is empty. Allocates: not for the tick path. */
  text(index: number): string | null {
    if (index >= this.cells) return null
    const start = this.starts[index]!
    const end = this.ends[index]!
    return start === end ? null : textDecoder.decode(this.line.subarray(start, end))
  }

  /**
   * Cell `index` as a number, or null when it is empty or not a plain decimal integer.
   * Parses the bytes directly; exact below 2^53.
   */
  number(index: number): number | null {
    if (index >= this.cells) return null
    const start = this.starts[index]!
    const end = this.ends[index]!
    if (start === end) return null
    let value = 0
    for (let i = start; i < end; i++) {
      const digit = this.line[i]! - ZERO
      if (digit < 0 || digit > 9) return null
      value = value * 10 + digit
    }
    return value
  }

  /** The whole line as a string. Allocates: for tests and slow sinks. */
  toString(): string {
    return textDecoder.decode(this.line.subarray(0, this.length))
  }

  private open(size: number): number {
    if (this.cells > 0) {
      this.ensure(1)
      this.line[this.length++] = COMMA
    }
    this.ensure(size)
    this.starts[this.cells] = this.length
    return this.length
  }

  private close(end: number): void {
    this.ends[this.cells++] = end
    this.length = end
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.line.length) return
    const grown = new Uint8Array(Math.max(this.line.length * 2, this.length + extra))
    grown.set(this.line.subarray(0, this.length))
    this.line = grown
    this.view = null
  }
}

/** Writes `value` (a safe integer below 10^width) as exactly `width` digits, zero-padded, at `at`. */
function writeDigits(target: Uint8Array, at: number, width: number, value: number): void {
  for (let i = at + width - 1; i >= at; i--) {
    const next = Math.floor(value / 10)
    target[i] = ZERO + (value - next * 10)
    value = next
  }
}
