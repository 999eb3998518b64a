/** Byte-level helpers for parsing the kernel's stat files without building strings. */

export const NEWLINE = 0x0a
export const SPACE = 0x20
const TAB = 0x09
/** Bytes of a value shown in a report before it is cut. */
const SHOWN_BYTES = 32

export const ZERO_TEXT = ascii('0')
export const MAX_TEXT = ascii('max')

/** The ASCII bytes of `text`, for constants compared or copied on the tick path. */
export function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

const shared = new Map<string, Uint8Array>()

/** `ascii(text)`, one copy per text for the whole process: every collector of hundreds looks for the same keys. */
export function sharedAscii(text: string): Uint8Array {
  let bytes = shared.get(text)
  if (bytes === undefined) shared.set(text, (bytes = ascii(text)))
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

/**
 * `buf[start..end)` quoted for a report: printable ASCII as is, every other byte as `\xNN`,
 * cut after 32 bytes (then followed by the whole length). Not for the tick path.
 */
export function showBytes(buf: Uint8Array, start: number, end: number): string {
  const shown = Math.min(end, start + SHOWN_BYTES)
  let text = '"'
  for (let i = start; i < shown; i++) {
    const byte = buf[i]!
    if (byte === 0x22 || byte === 0x5c) text += `\\${String.fromCharCode(byte)}`
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte)
    else text += `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return shown < end ? `${text}…" (${end - start} bytes)` : `${text}"`
}
