import type { Clock, Timer } from './clock.ts'
import { describeError } from './errors.ts'
import type { Logger } from './logger.ts'

/** Delays between reconnection attempts: `initialMs`, doubling after each failed attempt, up to `maxMs`. */
export interface Backoff {
  readonly initialMs: number
  readonly maxMs: number
}

/**
 * What one line of a stream was: an `event` (proof that the stream works), `ignored`
 * (nothing of note), or `reopen`: end this stream and open a new one at once, without
 * counting a failure (a Kubernetes watch whose resourceVersion expired). A source must
 * not ask to reopen again before its new stream delivered an event.
 */
export type LineResult = 'event' | 'ignored' | 'reopen'

/** The stream a `ReconnectingStream` follows. */
export interface StreamSource {
  /** Opens one stream: resolves with its body once the server accepted the request, rejects when it did not. */
  open(signal: AbortSignal): Promise<ReadableStream<Uint8Array>>
  /** Handles one non-empty line, trimmed. Throws to break the stream (an error event). */
  line(text: string): LineResult
}

export interface ReconnectingStreamOptions {
  /** What is followed, for messages (`event stream of the Docker engine at unix:///run/docker.sock`). */
  readonly subject: string
  readonly source: StreamSource
  readonly logger: Logger
  readonly clock: Clock
  readonly timer: Timer
  readonly backoff: Backoff
  /** How long a stream must stay open to count as healthy again (default 10 s). */
  readonly healthyAfterMs?: number
  /** Longest line accepted; a longer one breaks the stream (default 8 Mi characters). */
  readonly maxLineLength?: number
}

type AttemptEnd = { readonly kind: 'reopen' } | { readonly kind: 'ended' } | { readonly kind: 'failed'; readonly reason: string }

/**
 * Follows a server's stream of lines (Docker's `/events`, a Kubernetes watch) for as long
 * as it runs, reconnecting whenever it breaks. The delay before a reconnection doubles on
 * every failure and resets only once a stream has proved itself, by delivering an event
 * or by staying open for `healthyAfterMs`, never because its headers arrived: a server
 * that accepts and closes at once is backed off like one that refuses. A stream that
 * ends before it was healthy is a failure; one the server ends after that (a watch's
 * timeout) is reopened at once. Each outage prints one line when it begins and one
 * when the stream is healthy again.
 */
export class ReconnectingStream {
  private readonly healthyAfterMs: number
  private readonly maxLineLength: number
  private stopped = false
  private running: Promise<void> | null = null
  private current: AbortController | null = null
  private sleeping: { handle: unknown; wake: () => void } | null = null
  /** Failures since the stream last proved itself; they set the next delay. */
  private failures = 0
  /** The outage reported and not yet over. */
  private outage: { since: number; attempts: number } | null = null
  private openedAt = 0

  constructor(private readonly options: ReconnectingStreamOptions) {
    this.healthyAfterMs = options.healthyAfterMs ?? 10_000
    this.maxLineLength = options.maxLineLength ?? 8 * 1024 * 1024
  }

  start(): void {
    this.running ??= this.run()
  }

  /** Ends the stream and any wait before reconnecting; resolves once the loop has finished. */
  async stop(): Promise<void> {
    this.stopped = true
    this.current?.abort()
    if (this.sleeping) {
      this.options.timer.clearTimeout(this.sleeping.handle)
      this.sleeping.wake()
    }
    await this.running
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const end = await this.attempt()
      if (this.stopped) return
      if (end.kind === 'failed') await this.retry(end.reason)
    }
  }

  /** One stream, from opening it to its end. */
  private async attempt(): Promise<AttemptEnd> {
    const { source, timer, clock } = this.options
    const controller = new AbortController()
    this.current = controller
    let healthyTimer: unknown = null
    let healthy = false
    try {
      const body = await source.open(controller.signal)
      this.openedAt = clock.monotonic()
      healthyTimer = timer.setTimeout(() => {
        healthyTimer = null
        healthy = true
        this.proved()
      }, this.healthyAfterMs)
      for await (const line of splitLines(body, this.maxLineLength)) {
        const result = source.line(line)
        if (result === 'event') this.failures = 0
        else if (result === 'reopen') return { kind: 'reopen' }
      }
      if (healthy) return { kind: 'ended' }
      return { kind: 'failed', reason: `the server ended it after ${Math.round(clock.monotonic() - this.openedAt)}ms` }
    } catch (error) {
      return { kind: 'failed', reason: describeError(error) }
    } finally {
      if (healthyTimer !== null) timer.clearTimeout(healthyTimer)
      this.current = null
      // Releases the connection when the stream was left before its end.
      controller.abort()
    }
  }

  /** The stream stayed open long enough: the backoff starts over, and an outage is over. */
  private proved(): void {
    this.failures = 0
    if (!this.outage) return
    const { since, attempts } = this.outage
    this.outage = null
    const seconds = ((this.openedAt - since) / 1000).toFixed(1)
    this.options.logger.status('Recovered', `${this.options.subject}, after ${seconds}s and ${attempts} reconnection attempt(s)`)
  }

  private async retry(reason: string): Promise<void> {
    const { logger, subject, backoff, clock } = this.options
    this.failures++
    if (!this.outage) {
      this.outage = { since: clock.monotonic(), attempts: 0 }
      logger.warn(`${subject} broke (${reason}); reconnecting with backoff, polling meanwhile`)
    }
    this.outage.attempts++
    const delayMs = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.failures - 1))
    logger.debug('Retrying', `${subject} in ${delayMs}ms (${reason})`)
    await this.sleep(delayMs)
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleeping = null
        resolve()
      }
      this.sleeping = { handle: this.options.timer.setTimeout(wake, delayMs), wake }
    })
  }
}

/**
 * The non-empty lines of a body, trimmed. Each chunk is searched once, so a long line
 * costs linear time; a line longer than `maxLength` throws rather than grow without end.
 */
async function* splitLines(body: ReadableStream<Uint8Array>, maxLength: number): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let pending = ''
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const text = decoder.decode(chunk.value, { stream: true })
      let start = 0
      for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', start)) {
        const line = (pending + text.slice(start, newline)).trim()
        pending = ''
        start = newline + 1
        if (line) yield line
      }
      pending += text.slice(start)
      if (pending.length > maxLength) throw new Error(`it sent a line longer than ${maxLength} characters`)
    }
    const last = (pending + decoder.decode()).trim()
    if (last) yield last
  } finally {
    reader.releaseLock()
  }
}
