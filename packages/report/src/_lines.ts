import type { FileSystem } from '@radvisor/core'

/** A line of a log with its 1-based number; `complete` is false for a last line without `\n`. */
export interface Line {
  readonly text: string
  readonly number: number
  readonly complete: boolean
}

/** Longest line kept (a v1 row is ~1 KiB; the YAML header's lines are shorter). */
export const MAX_LINE_CHARS = 1 << 20

/**
 * Splits a stream of byte chunks into lines without holding more than one chunk plus one
 * partial line, so a log of any size is read in bounded memory. A line longer than
 * `maxLineChars` is yielded cut short (the parser then reports it as malformed) and the
 * rest of it is dropped. `peakBufferedChars` (the longest partial line held
 * between chunks) is kept for tests of that bound.
 */
export class LineSplitter {
  peakBufferedChars = 0
  private readonly decoder = new TextDecoder()

  constructor(private readonly maxLineChars = MAX_LINE_CHARS) {}

  async *lines(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Line> {
    let carry = ''
    let dropping = false
    let number = 0
    for await (const chunk of chunks) {
      const text = carry + this.decoder.decode(chunk, { stream: true })
      let start = 0
      for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
        if (!dropping) yield { text: stripCr(text.slice(start, end)), number: ++number, complete: true }
        else number++
        dropping = false
        start = end + 1
      }
      carry = dropping ? '' : text.slice(start)
      if (carry.length > this.maxLineChars) {
        yield { text: carry.slice(0, this.maxLineChars), number: number + 1, complete: false }
        carry = ''
        dropping = true
      }
      this.peakBufferedChars = Math.max(this.peakBufferedChars, carry.length)
    }
    carry += this.decoder.decode()
    if (carry.length > 0 && !dropping) yield { text: stripCr(carry), number: number + 1, complete: false }
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line
}

// JavaScriptCore collects the short-lived line and cell strings late, so peak memory
// would grow with the file: a non-blocking collection every 2 MiB keeps it near the live
// set, and a full one every 32 MiB frees what those miss (without it, RSS grew by ~20
// bytes per row: 122 MiB after 2.2 M rows; with it, flat at ~80 MiB; no measurable cost).
const COLLECT_EVERY_BYTES = 2 << 20
const FULL_COLLECTION_EVERY = 16

/** Reads a file in fixed-size chunks through the injected `fs` (one buffer, reused). */
export function* fileChunks(fs: FileSystem, path: string, chunkBytes = 1 << 16): Generator<Uint8Array> {
  const fd = fs.openSync(path, 'r')
  try {
    const buffer = new Uint8Array(chunkBytes)
    let position = 0
    let sinceCollection = 0
    let collections = 0
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, chunkBytes, position)
      if (read <= 0) return
      position += read
      sinceCollection += read
      if (sinceCollection >= COLLECT_EVERY_BYTES) {
        sinceCollection = 0
        Bun.gc(++collections % FULL_COLLECTION_EVERY === 0)
      }
      yield buffer.subarray(0, read)
    }
  } finally {
    fs.closeSync(fd)
  }
}
