import type { Row } from '@radvisor/core'
import { bytesEqual, indexOf, NEWLINE, SPACE, sharedAscii, showBytes, trimEnd } from './_bytes.ts'
import type { StatFile } from './_stat-file.ts'
import { isU64, U64Sums } from './_u64.ts'

/**
 * Column sums of a table with a header line, `cpuacct.usage_all`'s shape: `cpu user system`,
 * then one line of numbers per CPU. Each chosen column is summed exactly over the lines into
 * one cell. The header is read every time, so the kernel may order (or add) columns as it
 * likes; a chosen column missing, a line that is not one u64 per column, or more lines than
 * `limit` leave every cell empty (reported once per file); a sum past 2^64 - 1 only its own.
 */
export class ColumnSums {
  private readonly names: Uint8Array[]
  /** The header column of each name (-1: missing), found in `header`, of `width` columns. */
  private readonly columns: Int32Array
  private header = new Uint8Array(0)
  private width = -1
  private readonly sums: U64Sums

  constructor(names: readonly string[]) {
    this.names = names.map(sharedAscii)
    this.columns = new Int32Array(names.length)
    this.sums = new U64Sums(names.length)
  }

  /** Writes one cell per name, in the order given. */
  put(row: Row, file: StatFile, limit: number): void {
    if (this.sum(file, limit)) {
      for (let k = 0; k < this.names.length; k++) this.sums.put(row, k)
    } else {
      for (let k = 0; k < this.names.length; k++) row.putEmpty()
    }
  }

  private sum(file: StatFile, limit: number): boolean {
    const { buf, length } = file
    if (length <= 0) return false
    const headerEnd = indexOf(buf, NEWLINE, 0, length)
    const width = this.locate(buf, trimEnd(buf, 0, headerEnd))
    if (width < 0) return this.reject(file, `has no ${this.missing()} column in its header ${showBytes(buf, 0, headerEnd)}`)
    const sums = this.sums
    const columns = this.columns
    sums.clear()
    let lines = 0
    for (let line = headerEnd + 1, next = 0; line < length; line = next) {
      const newline = indexOf(buf, NEWLINE, line, length)
      next = newline + 1
      const end = trimEnd(buf, line, newline)
      if (end === line) continue
      if (++lines > limit) return this.reject(file, `has more than ${limit} lines, more than there are CPUs`)
      let column = 0
      let token = line
      for (let i = line; i <= end; i++) {
        if (i < end && buf[i] !== SPACE) continue
        if (!isU64(buf, token, i)) return this.reject(file, `has a line ${showBytes(buf, line, end)}, not one 64-bit number per column`)
        for (let k = 0; k < columns.length; k++) {
          if (columns[k] === column && !sums.add(k, buf, token, i) && !file.reported) {
            file.report('has a column whose sum over CPUs passes 2^64 - 1; its cell is left empty')
          }
        }
        column++
        token = i + 1
      }
      if (column !== width) return this.reject(file, `has a line ${showBytes(buf, line, end)} of ${column} columns, not ${width}`)
    }
    return true
  }

  /**
   * Finds each name's column in the header `buf[0..end)` (the kernel's header does not change:
   * the last one is remembered); returns the header's width, or -1 when a name is missing.
   */
  private locate(buf: Uint8Array, end: number): number {
    const header = this.header
    if (end === header.length && bytesEqual(buf, 0, end, header)) return this.width
    this.header = buf.slice(0, end)
    this.columns.fill(-1)
    let column = 0
    for (let token = 0; token <= end; column++) {
      const tokenEnd = indexOf(buf, SPACE, token, end)
      for (let k = 0; k < this.names.length; k++) {
        const name = this.names[k]!
        if (tokenEnd - token === name.length && bytesEqual(buf, token, tokenEnd, name)) this.columns[k] = column
      }
      token = tokenEnd + 1
    }
    this.width = this.columns.includes(-1) ? -1 : column
    return this.width
  }

  private missing(): string {
    return this.names
      .filter((_, k) => this.columns[k]! < 0)
      .map((name) => `\`${String.fromCharCode(...name)}\``)
      .join(' or ')
  }

  private reject(file: StatFile, problem: string): false {
    if (!file.reported) file.report(`${problem}; its cells are left empty`)
    return false
  }
}
