import { indexOf, NEWLINE, sharedAscii } from './_bytes.ts'

/**
 * Finds the values of chosen keys in a `key value` per line file (`memory.stat`,
 * `cpu.stat`, `cpuacct.stat`) by scanning bytes. The kernel prints keys in a fixed order,
 * so the line offset where each key was last found is checked first; when values changed
 * length and moved the lines, the search goes on from the previous key's line, so keys
 * given in the kernel's order cost one pass over the file together.
 */
export class KeyedValues {
  /** Each key's bytes followed by a space, so `rss` never matches `rss_huge`. */
  private readonly keys: Uint8Array[]
  /** Offset of the line where each key was found last time (-1: not yet). */
  private readonly hints: Int32Array
  /** Where each key's value is in the last located buffer (start -1: key absent). */
  readonly starts: Int32Array
  readonly ends: Int32Array

  constructor(keys: readonly string[]) {
    this.keys = keys.map((key) => sharedAscii(`${key} `))
    this.hints = new Int32Array(keys.length).fill(-1)
    this.starts = new Int32Array(keys.length)
    this.ends = new Int32Array(keys.length)
  }

  /** Number of keys. */
  get size(): number {
    return this.keys.length
  }

  /** Locates every key's value in `buf[0..length)`. */
  locate(buf: Uint8Array, length: number): void {
    let cursor = 0
    for (let k = 0; k < this.keys.length; k++) {
      const key = this.keys[k]!
      let line = this.hints[k]!
      if (line < 0 || !keyAt(buf, line, length, key)) line = findLine(buf, length, key, cursor)
      if (line < 0) {
        this.starts[k] = -1
        continue
      }
      this.hints[k] = line
      const start = line + key.length
      this.starts[k] = start
      const end = indexOf(buf, NEWLINE, start, length)
      this.ends[k] = end
      cursor = end + 1
    }
  }
}

/** Whether a line starting at `line` begins with `key` (which ends in a space). */
function keyAt(buf: Uint8Array, line: number, length: number, key: Uint8Array): boolean {
  if (line > 0 && buf[line - 1] !== NEWLINE) return false
  if (line + key.length > length) return false
  for (let i = 0; i < key.length; i++) {
    if (buf[line + i] !== key[i]) return false
  }
  return true
}

/** Offset of the line that starts with `key`, searching from the line at `from` on, then from the top. */
function findLine(buf: Uint8Array, length: number, key: Uint8Array, from: number): number {
  for (let line = from; line < length; line = indexOf(buf, NEWLINE, line, length) + 1) {
    if (buf[line] === key[0] && keyAt(buf, line, length, key)) return line
  }
  for (let line = 0; line < from && line < length; line = indexOf(buf, NEWLINE, line, length) + 1) {
    if (buf[line] === key[0] && keyAt(buf, line, length, key)) return line
  }
  return -1
}
