import type { Row } from '@radvisor/core'
import { ascii, indexOf, NEWLINE, SPACE, showBytes, trimEnd } from './_bytes.ts'
import type { StatFile } from './_stat-file.ts'
import { digitsFitU64, U64Sums, whyNotU64 } from './_u64.ts'
import { MAX_INTERFACES } from './columns.ts'

/**
 * Where the `NETWORK_COUNTERS` are in a `/proc/<pid>/net/dev` line, by field index after
 * `<name>:` (receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes
 * packets errs drop fifo colls carrier compressed).
 */
const FIELDS: readonly number[] = [0, 1, 2, 3, 8, 9, 10, 11]
/** The counters a `net/dev` line has after the interface name. */
const FIELD_COUNT = 16
/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
const MAX_NAME_BYTES = 15
const LOOPBACK = ascii('lo')
const COLON = 0x3a
const SEMICOLON = 0x3b
const PERCENT = 0x25
const BAR = 0x7c
/** Where the bar of each heading line is (`Inter-|`, ` face |`). */
const HEADING_BAR = 6
const ZERO = 0x30
const NINE = 0x39
const HEX = ascii('0123456789ABCDEF')
const NOT_LINE_SHAPE = 'not `<interface>: <16 counters>`'
const LEFT_EMPTY = 'the network cells are left empty'

/** Whether a name byte is written as is in the per-interface cell (others are `%XX`). */
function plainNameByte(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2e || byte === 0x5f || byte === 0x2d
  )
}

/**
 * Turns `/proc/<pid>/net/dev` into the network cells: bytes, packets, errors and drops,
 * received and sent, summed exactly over every interface but `lo`, then `network.interfaces`,
 * the same eight counters per interface: `eth0 <rx_bytes> <rx_packets> <rx_errors>
 * <rx_dropped> <tx_bytes> <tx_packets> <tx_errors> <tx_dropped>`, interfaces joined by `;`,
 * names with bytes other than letters, digits, `.`, `_` and `-` percent-encoded (so the cell
 * never holds a comma, a space or a quote of the name's). Allocation-free once its scratch
 * buffer has grown to the file's interfaces (bounded by `MAX_INTERFACES`).
 */
export class NetDevCells {
  private readonly sums = new U64Sums(FIELDS.length)
  /** Start and end of each field of the current line. */
  private readonly starts = new Int32Array(FIELD_COUNT)
  private readonly ends = new Int32Array(FIELD_COUNT)
  private scratch = new Uint8Array(256)
  /** Where the data lines began last time (after the two heading lines, which never change); 0: not known. */
  private dataStart = 0

  /** Writes the network cells from the last read of `file`, or empty cells when there is none. */
  put(row: Row, file: StatFile | null): void {
    const length = this.parse(file)
    if (length < 0) {
      for (let k = 0; k <= FIELDS.length; k++) row.putEmpty()
      return
    }
    for (let k = 0; k < FIELDS.length; k++) this.sums.put(row, k)
    if (length === 0) row.putEmpty()
    else row.putBytes(this.scratch, 0, length)
  }

  /**
   * Sums `file` into `sums` and writes the per-interface cell into `scratch`. Returns the cell's
   * length (0: no interface to list, or more than `MAX_INTERFACES`), or -1 when the file is not
   * there or does not parse (reported once).
   */
  private parse(file: StatFile | null): number {
    if (file === null || file.length <= 0) return -1
    const buf = file.buf
    const length = file.length
    const { sums, starts, ends } = this
    sums.clear()
    let out = 0
    let interfaces = 0
    const data = this.headings(file)
    if (data < 0) return -1
    let next = data
    for (let line = data; line < length; line = next) {
      const newline = indexOf(buf, NEWLINE, line, length)
      next = newline + 1
      const end = trimEnd(buf, line, newline)
      if (end === line) continue
      let name = line
      while (name < end && buf[name] === SPACE) name++
      const colon = indexOf(buf, COLON, name, end)
      if (colon === end || colon === name || colon - name > MAX_NAME_BYTES) return rejectLine(file, line, end, NOT_LINE_SHAPE)
      // Not counted, so not parsed.
      if (colon - name === LOOPBACK.length && buf[name] === LOOPBACK[0] && buf[name + 1] === LOOPBACK[1]) continue
      let at = colon + 1
      for (let f = 0; f < FIELD_COUNT; f++) {
        while (at < end && buf[at] === SPACE) at++
        const start = at
        while (at < end && buf[at]! >= ZERO && buf[at]! <= NINE) at++
        starts[f] = start
        ends[f] = at
        if (at < end && buf[at] !== SPACE) return rejectValue(file, start, indexOf(buf, SPACE, at, end))
        if (start === at) return rejectLine(file, line, end, NOT_LINE_SHAPE)
        if (!digitsFitU64(buf, start, at)) return rejectValue(file, start, at)
      }
      if (at !== end) return rejectLine(file, line, end, NOT_LINE_SHAPE)
      for (let k = 0; k < FIELDS.length; k++) {
        const f = FIELDS[k]!
        if (!sums.add(k, buf, starts[f]!, ends[f]!) && !file.reported) file.report('has counters whose sum over interfaces passes 2^64 - 1; that sum is left empty')
      }
      if (++interfaces <= MAX_INTERFACES) out = this.appendInterface(out, interfaces > 1, buf, name, colon)
    }
    if (interfaces > MAX_INTERFACES) {
      if (!file.reported) {
        file.report(`lists ${interfaces} interfaces besides lo, more than the ${MAX_INTERFACES} network.interfaces holds; that cell is left empty (the sums count them all)`)
      }
      return 0
    }
    return out
  }

  /**
   * Where the data lines begin, after the two heading lines (`Inter-|   Receive …` and ` face
   * |bytes …`, with their bar where the kernel puts it), or -1 (reported once). The headings
   * never change: where they ended last time is checked first, in constant time.
   */
  private headings(file: StatFile): number {
    const { buf, length } = file
    const known = this.dataStart
    if (known > 0 && known <= length && buf[known - 1] === NEWLINE && buf[HEADING_BAR] === BAR) return known
    let line = 0
    for (let heading = 0; heading < 2; heading++) {
      const newline = indexOf(buf, NEWLINE, line, length)
      if (newline === length) return rejectLine(file, 0, length, 'which is cut short before its headings end')
      if (line + HEADING_BAR >= newline || buf[line + HEADING_BAR] !== BAR) return rejectLine(file, line, trimEnd(buf, line, newline), 'where a heading belongs')
      line = newline + 1
    }
    return (this.dataStart = line)
  }

  /** Appends `[;]<name> <8 counters>` of the current line at `out`; returns the new end. */
  private appendInterface(out: number, separate: boolean, buf: Uint8Array, name: number, colon: number): number {
    // Worst case: a separator, 3 bytes per name byte, and 8 spaces and 20 digits per counter.
    let scratch = this.scratch
    const needed = out + 1 + 3 * (colon - name) + FIELDS.length * 21
    if (needed > scratch.length) {
      const grown = new Uint8Array(Math.max(needed, scratch.length * 2))
      grown.set(scratch.subarray(0, out))
      this.scratch = scratch = grown
    }
    if (separate) scratch[out++] = SEMICOLON
    for (let i = name; i < colon; i++) {
      const byte = buf[i]!
      if (plainNameByte(byte)) scratch[out++] = byte
      else {
        scratch[out++] = PERCENT
        scratch[out++] = HEX[byte >> 4]!
        scratch[out++] = HEX[byte & 15]!
      }
    }
    for (let k = 0; k < FIELDS.length; k++) {
      const f = FIELDS[k]!
      scratch[out++] = SPACE
      for (let i = this.starts[f]!; i < this.ends[f]!; i++) scratch[out++] = buf[i]!
    }
    return out
  }
}

/** Reports a line of `file` (once: nothing is built after that) and gives up on the file's cells. */
function rejectLine(file: StatFile, line: number, end: number, shape: string): number {
  if (!file.reported) file.report(`has a line ${showBytes(file.buf, line, end)}, ${shape}; ${LEFT_EMPTY}`)
  return -1
}

function rejectValue(file: StatFile, start: number, end: number): number {
  if (!file.reported) file.report(`holds ${showBytes(file.buf, start, end)}, which ${whyNotU64(file.buf, start, end)}; ${LEFT_EMPTY}`)
  return -1
}
