import { type Backoff, type Clock, excerpt, type LineResult, type Logger, ReconnectingStream, type Timer } from '@radvisor/core'
import type { DockerClient } from './_client.ts'

/** The container events that change what runs: a poll follows each. */
const EVENTS_PATH = `/events?filters=${encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start', 'die', 'destroy'] }))}`

export interface EventFollowerOptions {
  readonly client: DockerClient
  readonly logger: Logger
  readonly clock: Clock
  readonly timer: Timer
  readonly backoff: Backoff
}

/**
 * Follows the engine's event stream and calls `onChange` for every container event, and
 * after every reconnection, since events may have been missed meanwhile. Reconnection,
 * backoff and the outage report are core's `ReconnectingStream`.
 */
export class EventFollower {
  private stream: ReconnectingStream | null = null

  constructor(private readonly options: EventFollowerOptions) {}

  start(onChange: () => void): void {
    if (this.stream) return
    const { client, logger, clock, timer, backoff } = this.options
    let opened = false
    this.stream = new ReconnectingStream({
      subject: `event stream of the Docker engine at ${client.address}`,
      logger,
      clock,
      timer,
      backoff,
      source: {
        open: async (signal) => {
          const body = await client.stream(EVENTS_PATH, signal)
          if (opened) onChange()
          opened = true
          return body
        },
        line: (line) => this.onLine(line, onChange),
      },
    })
    this.stream.start()
  }

  /** Stops following: aborts the stream or the wait before reconnecting. */
  async close(): Promise<void> {
    await this.stream?.stop()
  }

  private onLine(line: string, onChange: () => void): LineResult {
    let event: unknown
    try {
      event = JSON.parse(line)
    } catch {
      event = null
    }
    if (typeof event === 'object' && event !== null && !Array.isArray(event)) {
      onChange()
      return 'event'
    }
    const { logger, client } = this.options
    logger.once(`docker:event-line:${client.address}`, () =>
      logger.warn(`skipped an event from the Docker engine at ${client.address} that is not a JSON object: ${excerpt(line)}`),
    )
    return 'ignored'
  }
}
