import type { Row } from '@radvisor/core'
import { ascii } from './_bytes.ts'

/**
 * Unsigned 64-bit counters kept as the kernel's decimal digits: checked against 2^64 - 1 by
 * comparing digits, and summed digit by digit in preallocated scratch space, so that no
 * value goes through a double (exact only to 2^53) and the tick path allocates nothing.
 * Decimal addition beats splitting into 32-bit halves here: the digits come in as bytes and
 * go out as bytes, so there is nothing to convert either way (bench/u64.ts).
 */

/** Digits of 2^64 - 1. */
const U64_DIGITS = 20
const U64_MAX = ascii('18446744073709551615')
const ZERO = 0x30
const NINE = 0x39

/** Whether `buf[start..end)` is 1 to 20 digits whose value is at most 2^64 - 1. */
export function isU64(buf: Uint8Array, start: number, end: number): boolean {
  const length = end - start
  if (length <= 0 || length > U64_DIGITS) return false
  for (let i = start; i < end; i++) {
    const byte = buf[i]!
    if (byte < ZERO || byte > NINE) return false
  }
  return length < U64_DIGITS || !aboveU64Max(buf, start)
}

/** Whether the digits `buf[start..end)` are 1 to 20 of them, at most 2^64 - 1. */
export function digitsFitU64(buf: Uint8Array, start: number, end: number): boolean {
  const length = end - start
  return length > 0 && (length < U64_DIGITS || (length === U64_DIGITS && !aboveU64Max(buf, start)))
}

/** Why `buf[start..end)` is not a u64, for a report (not for the tick path). */
export function whyNotU64(buf: Uint8Array, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i]! < ZERO || buf[i]! > NINE) return 'is not a number'
  }
  return start === end ? 'is not a number' : 'does not fit in 64 bits'
}

/** Whether the 20 digits at `digits[at..]` are more than 2^64 - 1. */
function aboveU64Max(digits: Uint8Array, at: number): boolean {
  for (let i = 0; i < U64_DIGITS; i++) {
    const difference = digits[at + i]! - U64_MAX[i]!
    if (difference !== 0) return difference > 0
  }
  return false
}

/**
 * `count` exact u64 sums. Each is 20 ASCII digits, right-aligned in `digits`; a sum that
 * passes 2^64 - 1, or that was given a bad value, is spoiled and writes an empty cell.
 */
export class U64Sums {
  private readonly digits: Uint8Array
  /** Digits in use of each sum, counted from the right (leading zeros included). */
  private readonly widths: Uint8Array
  private readonly spoiled: Uint8Array
  /** Whether any sum changed since `clear` (most files add nothing: `Total 0`). */
  private touched = false

  constructor(readonly count: number) {
    this.digits = new Uint8Array(count * U64_DIGITS).fill(ZERO)
    this.widths = new Uint8Array(count).fill(1)
    this.spoiled = new Uint8Array(count)
  }

  /** Sets every sum to 0, resetting only the digits in use (cheaper than `fill` for a few short sums). */
  clear(): void {
    if (!this.touched) return
    this.touched = false
    const digits = this.digits
    for (let k = 0; k < this.count; k++) {
      const end = (k + 1) * U64_DIGITS
      for (let at = end - this.widths[k]!; at < end; at++) digits[at] = ZERO
      this.widths[k] = 1
      this.spoiled[k] = 0
    }
  }

  /**
   * Adds the u64 `buf[start..end)` (checked with `isU64`) to sum `k`. Returns false when the
   * sum passes 2^64 - 1, which spoils it.
   */
  add(k: number, buf: Uint8Array, start: number, end: number): boolean {
    if (this.spoiled[k]) return true
    this.touched = true
    const digits = this.digits
    const base = k * U64_DIGITS
    let at = base + U64_DIGITS - 1
    let carry = 0
    for (let i = end - 1; i >= start; i--, at--) {
      const sum = digits[at]! + buf[i]! - ZERO + carry
      carry = sum > NINE ? 1 : 0
      digits[at] = sum - carry * 10
    }
    for (; carry === 1 && at >= base; at--) {
      carry = digits[at] === NINE ? 1 : 0
      digits[at] = carry === 1 ? ZERO : digits[at]! + 1
    }
    const width = Math.max(this.widths[k]!, base + U64_DIGITS - 1 - at)
    this.widths[k] = width
    if (carry === 1 || (width === U64_DIGITS && aboveU64Max(digits, base))) {
      this.spoiled[k] = 1
      return false
    }
    return true
  }

  /** Marks sum `k` as unknown (one of its values was not a number). */
  spoil(k: number): void {
    this.touched = true
    this.spoiled[k] = 1
  }

  /** Writes sum `k` without leading zeros, or an empty cell when it is spoiled. */
  put(row: Row, k: number): void {
    if (this.spoiled[k]) return row.putEmpty()
    const end = (k + 1) * U64_DIGITS
    let start = end - this.widths[k]!
    while (start < end - 1 && this.digits[start] === ZERO) start++
    row.putBytes(this.digits, start, end)
  }
}
