import type { Row, Target } from '@radvisor/core'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const HEX = new TextEncoder().encode('0123456789abcdef')
const NULL = new TextEncoder().encode('null')
const VALUES_OPEN = new TextEncoder().encode(',"values":{')
const LINE_END = new TextEncoder().encode('}}\n')

/**
 * Turns one target's rows into JSON lines, bytes to bytes: numbers are copied digit for
 * digit from the row (so 64-bit counters and nanosecond times stay exact, never passing
 * through a double), other cells become JSON strings, empty or missing cells `null`.
 * Everything that depends only on the target and its columns is encoded once, here.
 */
export class JsonLineEncoder {
  private readonly prefix: Uint8Array
  /** `"column":` for every column after `read` (with a leading comma after the first). */
  private readonly keys: Uint8Array[]
  private readonly fixedBytes: number

  constructor(target: Target, columns: readonly string[]) {
    const encoder = new TextEncoder()
    this.prefix = encoder.encode(`{"target":${JSON.stringify(target.id)},"provider":${JSON.stringify(target.provider)},"time":`)
    this.keys = columns.map((column, i) => encoder.encode(`${i > 1 ? ',' : ''}${JSON.stringify(column)}:`))
    this.fixedBytes = this.prefix.length + VALUES_OPEN.length + LINE_END.length + this.keys.reduce((sum, key) => sum + key.length + NULL.length, 0)
  }

  /** Bytes `encode` may need for `row` at most (a cell byte escapes to at most 6 bytes). */
  maxBytes(row: Row): number {
    return this.fixedBytes + row.length * 6 + 2 * row.cells
  }

  /** Writes `row` as one JSON line into `out` at `at`; returns the new end. */
  encode(row: Row, out: Uint8Array, at: number): number {
    out.set(this.prefix, at)
    at = this.cell(row, 0, out, at + this.prefix.length)
    out.set(VALUES_OPEN, at)
    at += VALUES_OPEN.length
    const { keys } = this
    for (let i = 1; i < keys.length; i++) {
      const key = keys[i]!
      out.set(key, at)
      at = this.cell(row, i, out, at + key.length)
    }
    out.set(LINE_END, at)
    return at + LINE_END.length
  }

  private cell(row: Row, index: number, out: Uint8Array, at: number): number {
    if (index >= row.cells || row.starts[index] === row.ends[index]) {
      out.set(NULL, at)
      return at + NULL.length
    }
    const line = row.line
    const start = row.starts[index]!
    const end = row.ends[index]!
    if (isJsonNumber(line, start, end)) {
      out.set(line.subarray(start, end), at)
      return at + end - start
    }
    out[at++] = QUOTE
    for (let i = start; i < end; i++) {
      const byte = line[i]!
      if (byte === QUOTE || byte === BACKSLASH) {
        out[at++] = BACKSLASH
        out[at++] = byte
      } else if (byte < 0x20) {
        out.set([BACKSLASH, 0x75, ZERO, ZERO, HEX[byte >> 4]!, HEX[byte & 15]!], at)
        at += 6
      } else {
        out[at++] = byte
      }
    }
    out[at++] = QUOTE
    return at
  }
}

/** `-?(0|[1-9][0-9]*)(.[0-9]+)?`: a cell JSON can hold as a number, as written. */
function isJsonNumber(line: Uint8Array, start: number, end: number): boolean {
  let i = start
  if (line[i] === MINUS) i++
  if (i === end) return false
  if (line[i] === ZERO && i + 1 < end && line[i + 1] !== DOT) return false
  let digits = 0
  for (; i < end && line[i]! >= ZERO && line[i]! <= NINE; i++) digits++
  if (digits === 0) return false
  if (i === end) return true
  if (line[i++] !== DOT || i === end) return false
  for (; i < end; i++) if (line[i]! < ZERO || line[i]! > NINE) return false
  return true
}
