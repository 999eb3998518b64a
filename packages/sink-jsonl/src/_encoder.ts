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
const SPACE = 0x20
const SEMICOLON = 0x3b
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const COMMA = 0x2c
const COLON = 0x3a
/** The per-interface cell of the cgroup collectors: `<name> <8 counters>` per interface, joined by `;`. */
const INTERFACES_COLUMN = 'network.interfaces'
/** Its counters, in order (`NETWORK_COUNTERS` of @radvisor/cgroup), as `,"<name>":` keys (the first without its comma). */
const COUNTER_KEYS = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped'].map((name, i) =>
  new TextEncoder().encode(`${i > 0 ? ',' : ''}"${name}":`),
)
/** What the object form of the interfaces cell adds at most per byte of the cell: its keys (≤ 105 bytes) per entry of ≥ 18 bytes. */
const INTERFACES_GROWTH = 7

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
  /** Index of the `network.interfaces` column, whose cell becomes an object (-1: none). */
  private readonly interfaces: number

  constructor(target: Target, columns: readonly string[]) {
    const encoder = new TextEncoder()
    this.prefix = encoder.encode(`{"target":${JSON.stringify(target.id)},"provider":${JSON.stringify(target.provider)},"time":`)
    this.keys = columns.map((column, i) => encoder.encode(`${i > 1 ? ',' : ''}${JSON.stringify(column)}:`))
    this.fixedBytes = this.prefix.length + VALUES_OPEN.length + LINE_END.length + this.keys.reduce((sum, key) => sum + key.length + NULL.length, 0)
    this.interfaces = columns.indexOf(INTERFACES_COLUMN)
  }

  /** Bytes `encode` may need for `row` at most (a cell byte escapes to at most 6 bytes; the interfaces cell grows by its keys). */
  maxBytes(row: Row): number {
    const i = this.interfaces
    const interfaces = i > 0 && i < row.cells ? row.ends[i]! - row.starts[i]! : 0
    return this.fixedBytes + row.length * 6 + 2 * row.cells + interfaces * INTERFACES_GROWTH
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
      at = i === this.interfaces ? this.interfacesCell(row, i, out, at + key.length) : this.cell(row, i, out, at + key.length)
    }
    out.set(LINE_END, at)
    return at + LINE_END.length
  }

  /**
   * The interfaces cell as an object, `{"eth0":{"rx_bytes":1,…,"tx_dropped":0},…}`, numbers copied
   * digit for digit; a cell of another shape (another collector's column of that name) is a string.
   */
  private interfacesCell(row: Row, index: number, out: Uint8Array, at: number): number {
    if (index >= row.cells || row.starts[index] === row.ends[index] || !isInterfaceList(row.line, row.starts[index]!, row.ends[index]!)) {
      return this.cell(row, index, out, at)
    }
    const line = row.line
    const end = row.ends[index]!
    out[at++] = OPEN_BRACE
    for (let entry = row.starts[index]!; entry < end; ) {
      if (entry > row.starts[index]!) out[at++] = COMMA
      out[at++] = QUOTE
      let i = entry
      for (; line[i] !== SPACE; i++) out[at++] = line[i]!
      out[at++] = QUOTE
      out[at++] = COLON
      out[at++] = OPEN_BRACE
      for (let k = 0; k < COUNTER_KEYS.length; k++) {
        out.set(COUNTER_KEYS[k]!, at)
        at += COUNTER_KEYS[k]!.length
        for (i++; i < end && line[i] !== SPACE && line[i] !== SEMICOLON; i++) out[at++] = line[i]!
      }
      out[at++] = CLOSE_BRACE
      entry = i + 1
    }
    out[at++] = CLOSE_BRACE
    return at
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
      // A loop, not set(subarray()): a view per cell would be garbage on every row.
      for (let i = start; i < end; i++) out[at++] = line[i]!
      return at
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

/**
 * Whether `line[start..end)` is `<name> <8 counters>` entries joined by `;`: names of printable
 * ASCII other than `"`, `\\`, space and `;`, counters JSON numbers without sign or fraction.
 */
function isInterfaceList(line: Uint8Array, start: number, end: number): boolean {
  let i = start
  while (i < end) {
    const name = i
    for (; i < end && line[i] !== SPACE; i++) {
      const byte = line[i]!
      if (byte <= SPACE || byte >= 0x7f || byte === QUOTE || byte === BACKSLASH || byte === SEMICOLON) return false
    }
    if (i === name) return false
    for (let k = 0; k < COUNTER_KEYS.length; k++) {
      if (i >= end || line[i] !== SPACE) return false
      const digits = ++i
      for (; i < end && line[i]! >= ZERO && line[i]! <= NINE; i++);
      if (i === digits || (line[digits] === ZERO && i > digits + 1)) return false
    }
    if (i < end && line[i++] !== SEMICOLON) return false
    if (i === end && line[end - 1] === SEMICOLON) return false
  }
  return true
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
