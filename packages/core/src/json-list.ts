import type { Clock, Timer } from './clock.ts'
import { TimeSlices } from './slices.ts'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const COLON = 0x3a
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d

/** An answer that is not a JSON list of the expected shape; `start` is how it began, for the message. */
export class JsonListError extends SyntaxError {
  override readonly name = 'JsonListError'
  constructor(
    message: string,
    /** The first bytes of the answer as text (up to 256), for showing what it was. */
    readonly start: string,
  ) {
    super(message)
  }
}

/** How much of an answer `JsonListError.start` shows. */
const START_BYTES = 256

/** A JSON list as `readJsonList` found it. */
export interface JsonList {
  readonly items: unknown[]
  /** The rest of a top-level object (its `itemsKey` array emptied), or null for a top-level array. */
  readonly rest: Record<string, unknown> | null
}

export interface JsonListOptions {
  /** The list is this key's array in a top-level object (`items` of a Kubernetes list); else the answer is an array. */
  readonly itemsKey?: string
  readonly clock: Clock
  readonly timer: Timer
  /** Parsing yields to the event loop after this long (default `SLICE_MS`), so that ticks run on time. */
  readonly sliceMs?: number
}

const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/**
 * Reads a JSON answer that is a list, element by element, from a byte stream: a list of
 * 50,000 containers is 40 MB, and one `JSON.parse` of it would hold the event loop (and every
 * tick) for a tenth of a second. A scanner that knows only strings and nesting finds each
 * element's bytes, each is parsed on its own by `JSON.parse` (so the grammar stays the
 * platform's, strict), and the reader yields to the event loop every `sliceMs`. Anything that
 * is not valid JSON of the expected shape throws a `JsonListError`, with the answer's start.
 */
export async function readJsonList(body: ReadableStream<Uint8Array>, options: JsonListOptions): Promise<JsonList> {
  const scanner = new ListScanner(options.itemsKey)
  const slices = new TimeSlices(options.clock, options.timer, options.sliceMs)
  const reader = body.getReader()
  const start = new Uint8Array(START_BYTES)
  let startLength = 0
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const bytes = chunk.value
      if (startLength < START_BYTES) {
        const take = Math.min(START_BYTES - startLength, bytes.length)
        start.set(bytes.subarray(0, take), startLength)
        startLength += take
      }
      let at = 0
      while (at < bytes.length) {
        at = scanner.feed(bytes, at, () => slices.due)
        if (at < bytes.length) await slices.yieldIfDue()
      }
    }
    return scanner.finish()
  } catch (error) {
    if (!(error instanceof SyntaxError || error instanceof TypeError)) throw error
    void reader.cancel().catch(() => {})
    throw new JsonListError(error.message, new TextDecoder().decode(start.subarray(0, startLength)))
  }
}

/**
 * The scanner behind `readJsonList`. It tracks nesting and strings over bytes; the list's
 * elements are cut out at the list's own depth and parsed one by one, and everything outside
 * the list is kept to be parsed at the end (with an empty list in its place).
 */
class ListScanner {
  readonly items: unknown[] = []
  private depth = 0
  private inString = false
  private escaped = false
  /** Depth of the list's elements (1 for a top-level array, 2 for `{"items": [...]}`), once found. */
  private listDepth = -1
  private listDone = false
  /** The current element's bytes, and whether one has started. */
  private element: Uint8Array<ArrayBuffer> = new Uint8Array(1024)
  private elementLength = 0
  private inElement = false
  /** Bytes outside the list (top-level object mode). */
  private rest: Uint8Array<ArrayBuffer> = new Uint8Array(256)
  private restLength = 0
  /** Top-level object mode: the last string at depth 1 and whether a `:` followed it. */
  private keyStart = -1
  private lastKey = ''
  private afterColon = false
  private started = false
  private readonly decoder = new TextDecoder('utf-8', { fatal: true })

  constructor(private readonly itemsKey: string | undefined) {}

  /** Scans `bytes` from `at`; returns where it stopped (early when `expired` says the slice is over). */
  feed(bytes: Uint8Array, at: number, expired: () => boolean): number {
    for (let i = at; i < bytes.length; i++) {
      const byte = bytes[i]!
      if (!this.started) {
        if (isSpace(byte)) continue
        this.started = true
        const expected = this.itemsKey === undefined ? OPEN_ARRAY : OPEN_OBJECT
        if (byte !== expected) throw new SyntaxError(`expected ${this.itemsKey === undefined ? 'a JSON array' : 'a JSON object'}`)
        if (this.itemsKey === undefined) this.listDepth = 1
      }
      const inList = this.listDepth > 0 && !this.listDone && this.depth >= this.listDepth
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (byte === BACKSLASH) this.escaped = true
        else if (byte === QUOTE) {
          this.inString = false
          if (!inList && this.depth === 1 && this.itemsKey !== undefined) this.lastKey = this.keyText()
        }
        this.keep(byte, inList)
        continue
      }
      if (inList && this.depth === this.listDepth && (byte === COMMA || byte === CLOSE_ARRAY)) {
        if (this.inElement) this.endElement()
        else if (byte === COMMA || this.items.length > 0) throw new SyntaxError('an empty element in the list')
        if (byte === CLOSE_ARRAY) {
          this.listDone = true
          this.depth--
          this.keepRest(byte)
        }
        if (expired()) return i + 1
        continue
      }
      switch (byte) {
        case QUOTE:
          this.inString = true
          if (!inList && this.depth === 1) this.keyStart = this.restLength + 1
          break
        case OPEN_ARRAY:
        case OPEN_OBJECT:
          this.depth++
          if (byte === OPEN_ARRAY && this.listDepth < 0 && this.depth === 2 && this.afterColon && this.lastKey === this.itemsKey) {
            this.listDepth = 2
            this.keepRest(byte)
            this.afterColon = false
            continue
          }
          break
        case CLOSE_ARRAY:
        case CLOSE_OBJECT:
          this.depth--
          if (this.depth < (inList ? this.listDepth : 0)) throw new SyntaxError('unbalanced brackets')
          break
        case COLON:
          if (!inList && this.depth === 1) this.afterColon = true
          break
        case COMMA:
          if (!inList && this.depth === 1) this.afterColon = false
          break
      }
      this.keep(byte, inList)
    }
    return bytes.length
  }

  finish(): JsonList {
    if (this.inString || this.depth !== 0 || !this.started || (this.itemsKey === undefined && !this.listDone)) {
      throw new SyntaxError('the answer ended before the JSON did')
    }
    if (this.itemsKey === undefined) return { items: this.items, rest: null }
    const rest: unknown = JSON.parse(this.decoder.decode(this.rest.subarray(0, this.restLength)))
    if (this.listDepth < 0) throw new SyntaxError(`no "${this.itemsKey}" list`)
    return { items: this.items, rest: rest as Record<string, unknown> }
  }

  /** A byte of the answer: part of the current element, or of the rest. */
  private keep(byte: number, inList: boolean): void {
    if (!inList) return this.keepRest(byte)
    if (!this.inElement) {
      if (isSpace(byte)) return
      this.inElement = true
      this.elementLength = 0
    }
    if (this.elementLength === this.element.length) this.element = grow(this.element, this.elementLength)
    this.element[this.elementLength++] = byte
  }

  private keepRest(byte: number): void {
    if (this.itemsKey === undefined) {
      if (!isSpace(byte) && byte !== OPEN_ARRAY && byte !== CLOSE_ARRAY) throw new SyntaxError('text outside the JSON array')
      return
    }
    if (this.restLength === this.rest.length) this.rest = grow(this.rest, this.restLength)
    this.rest[this.restLength++] = byte
  }

  private endElement(): void {
    this.items.push(JSON.parse(this.decoder.decode(this.element.subarray(0, this.elementLength))))
    this.inElement = false
    this.elementLength = 0
  }

  /** The key string that just ended at the end of `rest` (top-level object mode). */
  private keyText(): string {
    const text = this.keyStart >= 0 ? this.decoder.decode(this.rest.subarray(this.keyStart, this.restLength)) : ''
    this.keyStart = -1
    return text
  }
}

function grow(buffer: Uint8Array, used: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(buffer.length * 2)
  grown.set(buffer.subarray(0, used))
  return grown
}
