import type { Row } from '@radvisor/core'
import { ascii, bytesEqual, indexOf, isDigits, MAX_TEXT, NEWLINE, parseUint, SPACE, trimEnd } from './_bytes.ts'
import type { KeyedValues } from './_keyed.ts'
import type { StatFile } from './_stat-file.ts'

/**
 * Cell writers shared by the v1 and v2 collectors. Each copies the kernel's digits
 * straight into the row, or writes `fallback` (null: an empty cell) when the value is
 * missing or not a number.
 */

/** Writes `buf[start..end)` when it is a number (or `max` where allowed), else the fallback. */
export function putToken(
  row: Row,
  buf: Uint8Array,
  start: number,
  end: number,
  allowMax: boolean,
  fallback: Uint8Array | null,
): void {
  end = trimEnd(buf, start, end)
  if (isDigits(buf, start, end) || (allowMax && end - start === 3 && bytesEqual(buf, start, end, MAX_TEXT))) {
    row.putBytes(buf, start, end)
  } else if (fallback) {
    row.putBytes(fallback, 0, fallback.length)
  } else {
    row.putEmpty()
  }
}

/** A file holding one value (`cpuacct.usage`, `pids.max`, `memory.current`). */
export function putValue(row: Row, file: StatFile, allowMax: boolean, fallback: Uint8Array | null): void {
  putToken(row, file.buf, 0, Math.max(file.length, 0), allowMax, fallback)
}

/** The values of `keys`, located in `file` by `keys.locate`, one cell each. */
export function putKeyed(row: Row, file: StatFile, keys: KeyedValues, fallback: Uint8Array | null): void {
  const found = file.length > 0
  for (let k = 0; k < keys.size; k++) {
    const start = found ? keys.starts[k]! : -1
    if (start < 0) putToken(row, file.buf, 0, 0, false, fallback)
    else putToken(row, file.buf, start, keys.ends[k]!, false, fallback)
  }
}

/** `cpuacct.usage_percpu`: space-separated values kept as one cell, trailing space trimmed. */
export function putList(row: Row, file: StatFile): void {
  const buf = file.buf
  const end = trimEnd(buf, 0, Math.max(file.length, 0))
  let valid = end > 0
  for (let i = 0; i < end && valid; i++) {
    const byte = buf[i]!
    valid = byte === SPACE ? i > 0 && buf[i - 1] !== SPACE : byte >= 0x30 && byte <= 0x39
  }
  if (valid) row.putBytes(buf, 0, end)
  else row.putEmpty()
}

/** Number of space-separated values in the last read of `file`. */
export function countValues(file: StatFile): number {
  let count = 0
  const end = trimEnd(file.buf, 0, Math.max(file.length, 0))
  for (let i = 0; i < end; i++) {
    if (file.buf[i] !== SPACE && (i === 0 || file.buf[i - 1] === SPACE)) count++
  }
  return count
}

/** `MAJ:MIN value` per device (`blkio.time`, `blkio.sectors`), summed over devices. */
export function putDeviceSum(row: Row, file: StatFile): void {
  const buf = file.buf
  const length = file.length
  if (length < 0) return row.putEmpty()
  let sum = 0
  for (let line = 0; line < length; line = indexOf(buf, NEWLINE, line, length) + 1) {
    const end = trimEnd(buf, line, indexOf(buf, NEWLINE, line, length))
    if (end === line) continue
    const space = indexOf(buf, SPACE, line, end)
    const value = parseUint(buf, space + 1, end)
    if (space === end || value < 0) return row.putEmpty()
    sum += value
  }
  row.putUint(sum)
}

const READ = ascii('Read')
const WRITE = ascii('Write')
const SYNC = ascii('Sync')
const ASYNC = ascii('Async')
const OPERATIONS = [READ, WRITE, SYNC, ASYNC]

/**
 * `MAJ:MIN Op value` lines (the blkio io_* files) summed per operation over devices into
 * four cells: read, write, sync, async. `Total` and `Discard` lines are not columns.
 * `sums` is scratch space of four numbers owned by the caller.
 */
export function putOperationSums(row: Row, file: StatFile, sums: Float64Array): void {
  const buf = file.buf
  const length = file.length
  let valid = length >= 0
  sums.fill(0)
  for (let line = 0; valid && line < length; line = indexOf(buf, NEWLINE, line, length) + 1) {
    const end = trimEnd(buf, line, indexOf(buf, NEWLINE, line, length))
    // Per-device lines start with the device number; the grand `Total` line does not.
    const first = buf[line]!
    if (end === line || first < 0x30 || first > 0x39) continue
    const opStart = indexOf(buf, SPACE, line, end) + 1
    const opEnd = indexOf(buf, SPACE, opStart, end)
    const value = parseUint(buf, opEnd + 1, end)
    if (opEnd >= end || value < 0) valid = false
    else {
      for (let op = 0; op < 4; op++) {
        const name = OPERATIONS[op]!
        if (opEnd - opStart === name.length && bytesEqual(buf, opStart, opEnd, name)) sums[op]! += value
      }
    }
  }
  for (let op = 0; op < 4; op++) {
    if (valid) row.putUint(sums[op]!)
    else row.putEmpty()
  }
}

/**
 * cgroup v2 `io.stat`: `MAJ:MIN key=value ...` per device, summed per key over devices.
 * A key no device reports (or whose value is not a number) is 0, the kernel's default.
 */
export function putKeySums(row: Row, file: StatFile, keys: readonly Uint8Array[], sums: Float64Array): void {
  const buf = file.buf
  const length = file.length
  sums.fill(0)
  for (let line = 0; line < length; line = indexOf(buf, NEWLINE, line, length) + 1) {
    const end = trimEnd(buf, line, indexOf(buf, NEWLINE, line, length))
    // Skip the device number, then read `key=value` tokens.
    let token = indexOf(buf, SPACE, line, end) + 1
    while (token > 0 && token < end) {
      const tokenEnd = indexOf(buf, SPACE, token, end)
      const equals = indexOf(buf, 0x3d, token, tokenEnd)
      const value = parseUint(buf, equals + 1, tokenEnd)
      if (equals < tokenEnd && value >= 0) {
        for (let k = 0; k < keys.length; k++) {
          const key = keys[k]!
          if (equals - token === key.length && bytesEqual(buf, token, equals, key)) sums[k]! += value
        }
      }
      token = tokenEnd + 1
    }
  }
  for (let k = 0; k < keys.length; k++) row.putUint(sums[k]!)
}
