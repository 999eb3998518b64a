import type { Row } from '@radvisor/core'
import { ascii, bytesEqual, indexOf, MAX_TEXT, NEWLINE, SPACE, showBytes, trimEnd } from './_bytes.ts'
import type { KeyedValues } from './_keyed.ts'
import type { StatFile } from './_stat-file.ts'
import { digitsFitU64, isU64, type U64Sums, whyNotU64 } from './_u64.ts'

/**
 * Cell writers shared by the v1 and v2 collectors. Each copies the kernel's digits straight
 * into the row when they are an unsigned 64-bit number (or `max` where the kernel writes
 * it), sums exactly, and writes `fallback` (null: an empty cell) when the value is absent.
 * A value that is present but not a u64 is an empty cell, never a default: the file is
 * reported once (`StatFile.report`).
 */

const LEFT_EMPTY = 'its cell is left empty'
const ZERO = 0x30
const NINE = 0x39

/** Reports `buf[start..end)` of `file` as not a u64 (once per file). */
function reportValue(file: StatFile, buf: Uint8Array, start: number, end: number): void {
  if (!file.reported) file.report(`holds ${showBytes(buf, start, end)}, which ${whyNotU64(buf, start, end)}; ${LEFT_EMPTY}`)
}

/** Writes `file.buf[start..end)` when it is a u64 (or `max` where allowed), else the fallback or an empty cell. */
export function putToken(row: Row, file: StatFile, start: number, end: number, allowMax: boolean, fallback: Uint8Array | null): void {
  const buf = file.buf
  end = trimEnd(buf, start, end)
  // Digits are checked as they are copied; only 20 of them can pass 2^64 - 1.
  const digits = end - start
  if (digits > 0 && (digits < 20 || (digits === 20 && digitsFitU64(buf, start, end))) && row.putDigits(buf, start, end)) return
  if (allowMax && digits === 3 && bytesEqual(buf, start, end, MAX_TEXT)) {
    row.putBytes(buf, start, end)
  } else if (start < end) {
    reportValue(file, buf, start, end)
    row.putEmpty()
  } else if (fallback) {
    row.putBytes(fallback, 0, fallback.length)
  } else {
    row.putEmpty()
  }
}

/** A file holding one value (`cpuacct.usage`, `pids.max`, `memory.current`). */
export function putValue(row: Row, file: StatFile, allowMax: boolean, fallback: Uint8Array | null): void {
  putToken(row, file, 0, Math.max(file.length, 0), allowMax, defaultFor(file, fallback))
}

/**
 * The kernel's default for a value it does not show (a file absent since open, a key missing
 * from what was read), but none for a file that could not be read: a cgroup being removed
 * gives empty cells, not `0` or `max` it never said.
 */
function defaultFor(file: StatFile, fallback: Uint8Array | null): Uint8Array | null {
  return readFailed(file) ? null : fallback
}

/** A file there at open whose last read failed (or whose cgroup folder is gone). */
function readFailed(file: StatFile): boolean {
  return file.length < 0 && file.opened
}

/** The values of `keys` in `file` (`key value` lines, located here), one cell each. */
export function putKeyed(row: Row, file: StatFile, keys: KeyedValues, fallback: Uint8Array | null): void {
  const found = file.length > 0
  if (found) keys.locate(file.buf, file.length)
  const missing = defaultFor(file, fallback)
  for (let k = 0; k < keys.size; k++) {
    const start = found ? keys.starts[k]! : -1
    if (start < 0) putToken(row, file, 0, 0, false, missing)
    else putToken(row, file, start, keys.ends[k]!, false, fallback)
  }
}

/**
 * Checks `cpuacct.usage_percpu`: at most `limit` u64s separated by single spaces (reported
 * once when it is not). With `sums`, its values are added into sum 0 on the way: the kernel's
 * `cpuacct.usage` is that sum, over the same possible CPUs. Returns whether it is such a list.
 */
export function checkList(file: StatFile, limit: number, sums: U64Sums | null): boolean {
  sums?.clear()
  const buf = file.buf
  const end = trimEnd(buf, 0, Math.max(file.length, 0))
  if (end === 0) return false
  let count = 0
  let token = 0
  for (let i = 0; i <= end; i++) {
    const byte = i < end ? buf[i]! : SPACE
    if (byte !== SPACE && byte >= ZERO && byte <= NINE) continue
    if (byte !== SPACE || !digitsFitU64(buf, token, i)) {
      if (!file.reported) file.report(`holds ${showBytes(buf, 0, end)}, which is not a list of 64-bit numbers; ${LEFT_EMPTY}`)
      return false
    }
    if (++count > limit) {
      if (!file.reported) file.report(`lists more than ${limit} values, more than there are CPUs; ${LEFT_EMPTY}`)
      return false
    }
    if (sums !== null && !sums.add(0, buf, token, i) && !file.reported) file.report('has values whose sum over CPUs passes 2^64 - 1; cpu.usage.total is left empty')
    token = i + 1
  }
  return true
}

/** The list `checkList` found valid (or not) as one cell, trailing space trimmed. */
export function putList(row: Row, file: StatFile, valid: boolean): void {
  if (valid) row.putBytes(file.buf, 0, trimEnd(file.buf, 0, file.length))
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

/** Reports a line of `file` that does not have the expected shape (once per file). */
function reportLine(file: StatFile, buf: Uint8Array, line: number, end: number, shape: string): void {
  if (!file.reported) file.report(`has a line ${showBytes(buf, line, end)}, not \`${shape}\`; ${LEFT_EMPTY}`)
}

/** Reports a sum of `file` past 2^64 - 1 (once per file). */
function reportOverflow(file: StatFile): void {
  if (!file.reported) file.report(`has values whose sum over devices passes 2^64 - 1; ${LEFT_EMPTY}`)
}

/**
 * `MAJ:MIN value` per device (`blkio.time`, `blkio.sectors`), summed over devices.
 * `sums` is scratch space owned by the caller; its sum 0 is used.
 */
export function putDeviceSum(row: Row, file: StatFile, sums: U64Sums): void {
  const buf = file.buf
  const length = file.length
  if (length < 0) return row.putEmpty()
  sums.clear()
  for (let line = 0, next = 0; line < length; line = next) {
    const newline = indexOf(buf, NEWLINE, line, length)
    next = newline + 1
    const end = trimEnd(buf, line, newline)
    if (end === line) continue
    const space = indexOf(buf, SPACE, line, end)
    if (space === end) {
      reportLine(file, buf, line, end, 'MAJ:MIN value')
      return row.putEmpty()
    }
    if (!isU64(buf, space + 1, end)) {
      reportValue(file, buf, space + 1, end)
      return row.putEmpty()
    }
    if (!sums.add(0, buf, space + 1, end)) {
      reportOverflow(file)
      break
    }
  }
  sums.put(row, 0)
}

const READ = ascii('Read')
const WRITE = ascii('Write')
const SYNC = ascii('Sync')
const ASYNC = ascii('Async')
const OPERATIONS = [READ, WRITE, SYNC, ASYNC]

/**
 * `MAJ:MIN Op value` lines (the blkio io_* files) summed per operation over devices into
 * four cells: read, write, sync, async. `Total` and `Discard` lines are not columns. A line
 * that does not parse makes all four empty; a sum past 2^64 - 1 only its own.
 * `sums` is scratch space of four sums owned by the caller.
 */
export function putOperationSums(row: Row, file: StatFile, sums: U64Sums): void {
  const buf = file.buf
  const length = file.length
  let valid = length >= 0
  sums.clear()
  for (let line = 0, next = 0; valid && line < length; line = next) {
    const newline = indexOf(buf, NEWLINE, line, length)
    next = newline + 1
    const end = trimEnd(buf, line, newline)
    // Per-device lines start with the device number; the grand `Total` line does not.
    const first = buf[line]!
    if (end === line || first < ZERO || first > NINE) continue
    const opStart = indexOf(buf, SPACE, line, end) + 1
    const opEnd = indexOf(buf, SPACE, opStart, end)
    if (opEnd >= end) {
      reportLine(file, buf, line, end, 'MAJ:MIN operation value')
      valid = false
    } else if (!isU64(buf, opEnd + 1, end)) {
      reportValue(file, buf, opEnd + 1, end)
      valid = false
    } else {
      for (let op = 0; op < 4; op++) {
        const name = OPERATIONS[op]!
        if (opEnd - opStart === name.length && bytesEqual(buf, opStart, opEnd, name) && !sums.add(op, buf, opEnd + 1, end)) reportOverflow(file)
      }
    }
  }
  for (let op = 0; op < 4; op++) {
    if (valid) sums.put(row, op)
    else row.putEmpty()
  }
}

/**
 * cgroup v2 `io.stat`: `MAJ:MIN key=value ...` per device, summed per key over devices.
 * A key no device reports is 0, the kernel's default; a key with a value that is not a u64,
 * or whose sum passes 2^64 - 1, is an empty cell.
 */
export function putKeySums(row: Row, file: StatFile, keys: readonly Uint8Array[], sums: U64Sums): void {
  const buf = file.buf
  const length = file.length
  if (readFailed(file)) {
    for (let k = 0; k < keys.length; k++) row.putEmpty()
    return
  }
  sums.clear()
  for (let line = 0, next = 0; line < length; line = next) {
    const newline = indexOf(buf, NEWLINE, line, length)
    next = newline + 1
    const end = trimEnd(buf, line, newline)
    // Skip the device number, then read `key=value` tokens.
    let token = indexOf(buf, SPACE, line, end) + 1
    while (token > 0 && token < end) {
      const tokenEnd = indexOf(buf, SPACE, token, end)
      const equals = indexOf(buf, 0x3d, token, tokenEnd)
      for (let k = 0; equals < tokenEnd && k < keys.length; k++) {
        const key = keys[k]!
        if (equals - token !== key.length || !bytesEqual(buf, token, equals, key)) continue
        if (!isU64(buf, equals + 1, tokenEnd)) {
          reportValue(file, buf, equals + 1, tokenEnd)
          sums.spoil(k)
        } else if (!sums.add(k, buf, equals + 1, tokenEnd)) reportOverflow(file)
      }
      token = tokenEnd + 1
    }
  }
  for (let k = 0; k < keys.length; k++) sums.put(row, k)
}

const SOME = ascii('some ')
const FULL = ascii('full ')
const TOTAL = ascii('total=')
const PRESSURE_SHAPE = 'some|full avg10=<ratio> avg60=<ratio> avg300=<ratio> total=<µs>'

/**
 * A pressure (PSI) file, `cpu.pressure`, `memory.pressure` or `io.pressure`:
 * `some avg10=… avg60=… avg300=… total=<µs>` and the same for `full`, into two cells, the
 * `total=` of `some` and of `full` (the first line of each kind). A kind the kernel does not
 * show (`full` in `cpu.pressure` before Linux 5.13) is an empty cell; a line of another shape
 * empties both, reported once. `total=` is the line's last token, as the kernel prints it.
 */
export function putPressure(row: Row, file: StatFile): void {
  const buf = file.buf
  const length = file.length
  // Value offsets of `some` and `full`; an end of 0 means not seen (a value never starts at 0).
  let someStart = 0
  let someEnd = 0
  let fullStart = 0
  let fullEnd = 0
  for (let line = 0; line < length; line = indexOf(buf, NEWLINE, line, length) + 1) {
    const end = trimEnd(buf, line, indexOf(buf, NEWLINE, line, length))
    if (end === line) continue
    const some = bytesEqual(buf, line, end, SOME)
    let total = -1
    if (some || bytesEqual(buf, line, end, FULL)) {
      for (let token = line + SOME.length; token < end; token = indexOf(buf, SPACE, token, end) + 1) {
        if (bytesEqual(buf, token, end, TOTAL)) total = token + TOTAL.length
      }
    }
    if (total < 0 || total === end || indexOf(buf, SPACE, total, end) < end) {
      reportLine(file, buf, line, end, PRESSURE_SHAPE)
      row.putEmpty()
      return row.putEmpty()
    }
    if (some && someEnd === 0) {
      someStart = total
      someEnd = end
    } else if (!some && fullEnd === 0) {
      fullStart = total
      fullEnd = end
    }
  }
  putToken(row, file, someStart, someEnd, false, null)
  putToken(row, file, fullStart, fullEnd, false, null)
}
