/** Byte-level helpers for parsing the kernel's stat files without building strings. */

export const NEWLINE = 0x0a
export const SPACE = 0x20
const TAB = 0x09
const ZERO = 0x30
const NINE = 0x39

export const ZERO_TEXT = ascii('0')
export const MAX_TEXT = ascii('max')

/** The ASCII bytes of `text`, for constants compared or copied on the tick path. */
export function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

/** `end` moved back over trailing spaces, tabs and newlines. */
export function trimEnd(buf: Uint8Array, start: number, end: number): number {
  while (end > start) {
    const byte = buf[end - 1]!
    if (byte !== SPACE && byte !== NEWLINE && byte !== TAB) break
    end--
  }
  return end
}

/** Whether `buf[start..end)` is a non-empty run of decimal digits. */
export function isDigits(buf: Uint8Array, start: number, end: number): boolean {
  if (start >= end) return false
  for (let i = start; i < end; i++) {
    const byte = buf[i]!
    if (byte < ZERO || byte > NINE) return false
  }
  return true
}

/** `buf[start..end)` as a non-negative integer, or -1 when it is not all digits. */
export function parseUint(buf: Uint8Array, start: number, end: number): number {
  if (start >= end) return -1
  let value = 0
  for (let i = start; i < end; i++) {
    const digit = buf[i]! - ZERO
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

/** Whether `buf[at..]` starts with `expected`, within `end`. */
export function bytesEqual(buf: Uint8Array, at: number, end: number, expected: Uint8Array): boolean {
  if (at + expected.length > end) return false
  for (let i = 0; i < expected.length; i++) {
    if (buf[at + i] !== expected[i]) return false
  }
  return true
}

/** Index of the first `byte` in `buf[from..end)`, or `end`. */
export function indexOf(buf: Uint8Array, byte: number, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    if (buf[i] === byte) return i
  }
  return end
}
