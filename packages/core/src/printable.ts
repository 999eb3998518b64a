/**
 * Characters that must never reach a terminal raw: C0 controls (NUL, newline, ESC), DEL,
 * C1 controls, the Unicode line separators and the bidirectional overrides that reorder
 * what follows them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const NAMED: Readonly<Record<string, string>> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escape(character: string): string {
  const named = NAMED[character]
  if (named) return named
  const code = character.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/**
 * `text` made safe for one line of a terminal: control characters are escaped (`\n`,
 * `\0`, `\x1b`, `\u202e`), and text longer than `maxLength` is shortened in the middle,
 * saying how much was left out, so that a 10 KB id cannot flood a line.
 */
export function printable(text: string, maxLength = Number.POSITIVE_INFINITY): string {
  const escaped = text.replace(UNPRINTABLE, escape)
  if (escaped.length <= maxLength) return escaped
  const note = (omitted: number) => `…(${omitted} more characters)…`
  const room = Math.max(0, maxLength - note(escaped.length).length)
  const head = Math.ceil(room * 0.75)
  const tail = room - head
  return escaped.slice(0, head) + note(escaped.length - room) + (tail > 0 ? escaped.slice(-tail) : '')
}

/** The start of a text from outside (an answer body, a stream line) for a message: whitespace runs become one space, then `printable`. */
export function excerpt(text: string, maxLength = 80): string {
  return printable(text.trim().replace(/\s+/g, ' '), maxLength)
}
