import { describeError, type Logger, type Timer } from '@radvisor/core'
import type { DockerClient } from './_client.ts'

/** The container events that change what runs: a poll follows each. */
const EVENTS_PATH = `/events?filters=${encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start', 'die', 'destroy'] }))}`

export interface Backoff {
  /** Wait before the first reconnection; doubles after each failed attempt. */
  readonly initialMs: number
  readonly maxMs: number
}

/**
 * Follows the engine's event stream and calls `onChange` for every container event.
 * When the stream breaks it reports that once, reconnects with exponential backoff, and
 * calls `onChange` after reconnecting, since events may have been missed meanwhile.
 */
export class EventFollower {
  private readonly abort = new AbortController()
  private sleeping: { handle: unknown; wake: () => void } | null = null
  private running: Promise<void> | null = null

  constructor(
    private readonly client: DockerClient,
    private readonly logger: Logger,
    private readonly timer: Timer,
    private readonly backoff: Backoff,
  ) {}

  start(onChange: () => void): void {
    this.running ??= this.follow(onChange)
  }

  /** Stops following: aborts the stream or the wait before reconnecting. */
  async close(): Promise<void> {
    this.abort.abort()
    if (this.sleeping) {
      this.timer.clearTimeout(this.sleeping.handle)
      this.sleeping.wake()
    }
    await this.running
  }

  private async follow(onChange: () => void): Promise<void> {
    const breakKey = `docker:events:${this.client.address}`
    let delayMs = this.backoff.initialMs
    let broken = false
    while (!this.abort.signal.aborted) {
      try {
        const lines = await this.client.lines(EVENTS_PATH, this.abort.signal)
        if (broken) {
          broken = false
          this.logger.forget(breakKey)
          this.logger.status('Reconnected', `to the event stream of the Docker engine at ${this.client.address}`)
          onChange()
        }
        delayMs = this.backoff.initialMs
        for await (const line of lines) this.onLine(line, onChange)
        if (this.abort.signal.aborted) return
        this.reportBreak(breakKey, 'the engine ended it')
      } catch (error) {
        if (this.abort.signal.aborted) return
        this.reportBreak(breakKey, describeError(error))
      }
      broken = true
      this.logger.debug('Reconnecting', `to the Docker event stream in ${delayMs}ms`)
      await this.sleep(delayMs)
      delayMs = Math.min(delayMs * 2, this.backoff.maxMs)
    }
  }

  private onLine(line: string, onChange: () => void): void {
    let event: unknown
    try {
      event = JSON.parse(line)
    } catch {
      event = null
    }
    if (typeof event === 'object' && event !== null && !Array.isArray(event)) {
      onChange()
      return
    }
    this.logger.once(`docker:event-line:${this.client.address}`, () =>
      this.logger.warn(`skipped an event from the Docker engine at ${this.client.address} that is not a JSON object: ${line.slice(0, 80)}`),
    )
  }

  private reportBreak(key: string, reason: string): void {
    this.logger.once(key, () =>
      this.logger.warn(
        `event stream of the Docker engine at ${this.client.address} broke (${reason}); reconnecting with backoff, polling continues meanwhile`,
      ),
    )
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.sleeping = null
        resolve()
      }
      this.sleeping = { handle: this.timer.setTimeout(wake, ms), wake }
    })
  }
}
