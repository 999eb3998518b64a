import { type Backoff, bodyMessage, type Clock, excerpt, type LineResult, type Logger, ReconnectingStream, type Timer } from '@radvisor/core'
import type { KubeTransport } from './_transport.ts'

export interface PodWatchOptions {
  readonly transport: KubeTransport
  /** The list path with its selector (`/api/v1/pods?fieldSelector=...`), without watch parameters. */
  readonly path: string
  /** What is watched, for messages (`pods on node worker-1`). */
  readonly subject: string
  /** Lists again and returns the list's resourceVersion (after `410 Gone`). */
  readonly relist: () => Promise<string>
  /** The resourceVersion of the latest list, to resume from; null to list first. */
  readonly startVersion: string | null
  /** Called for every change to the watched pods. */
  readonly onChange: () => void
  readonly logger: Logger
  readonly clock: Clock
  readonly timer: Timer
  readonly backoff: Backoff
  /** How long the server keeps one watch request open before it ends it cleanly. */
  readonly timeoutSeconds: number
}

interface WatchEvent {
  readonly type?: unknown
  readonly object?: { readonly code?: unknown; readonly message?: unknown; readonly metadata?: { readonly resourceVersion?: unknown } }
}

/**
 * Follows a Kubernetes watch on one selection: resumes from the last resourceVersion
 * seen, lists again on `410 Gone`, and calls `onChange` on every ADDED, MODIFIED or
 * DELETED event so the runner polls at once. Reconnection, backoff and the outage report
 * are core's `ReconnectingStream`; a watch the server ends after its timeout is reopened at once.
 */
export class PodWatch {
  private readonly stream: ReconnectingStream
  private version: string | null
  /** The open stream resumes from a list made just for it, and has delivered no event yet. */
  private fresh = false

  constructor(private readonly options: PodWatchOptions) {
    this.version = options.startVersion
    this.stream = new ReconnectingStream({
      subject: `watch of ${options.subject}`,
      source: { open: (signal) => this.open(signal), line: (line) => this.line(line) },
      logger: options.logger,
      clock: options.clock,
      timer: options.timer,
      backoff: options.backoff,
    })
  }

  start(): void {
    this.stream.start()
  }

  /** Ends the stream and any backoff wait; resolves when the loop has finished. */
  stop(): Promise<void> {
    return this.stream.stop()
  }

  /** One watch request, from the last resourceVersion seen; lists first when there is none. */
  private async open(signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const { transport, path, timeoutSeconds, relist, onChange, logger, subject } = this.options
    this.fresh = this.version === null
    if (this.version === null) {
      this.version = await relist()
      onChange()
    }
    // A silent dead connection would hang forever: the server was asked to end the request.
    const deadline = AbortSignal.timeout((timeoutSeconds + 30) * 1000)
    const query = `watch=true&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}&resourceVersion=${encodeURIComponent(this.version)}`
    const response = await transport.get(`${path}${path.includes('?') ? '&' : '?'}${query}`, AbortSignal.any([signal, deadline]))
    if (response.status === 410) {
      await response.body?.cancel()
      this.expired()
      logger.debug('Relisting', `${subject}: the watch's resourceVersion expired (410 Gone)`)
      return this.open(signal)
    }
    if (response.status !== 200 || !response.body) {
      const message = bodyMessage(await response.text().catch(() => ''))
      throw new Error(`HTTP ${response.status}${message ? `: ${message}` : ''}`)
    }
    return response.body
  }

  private line(line: string): LineResult {
    const { logger, subject, onChange } = this.options
    let event: WatchEvent
    try {
      event = JSON.parse(line)
    } catch {
      logger.once(`watch-malformed:${subject}`, () => logger.warn(`watch of ${subject} sent a line that is not JSON; ignored: ${excerpt(line)}`))
      return 'ignored'
    }
    const version = event?.object?.metadata?.resourceVersion
    switch (event?.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
      case 'BOOKMARK':
        if (typeof version === 'string') this.version = version
        this.fresh = false
        if (event.type !== 'BOOKMARK') onChange()
        return 'event'
      case 'ERROR':
        if (event.object?.code !== 410) {
          throw new Error(`the server sent an error event: ${excerpt(String(event.object?.message ?? event.object?.code ?? 'unknown'))}`)
        }
        this.expired()
        return 'reopen'
      default:
        logger.once(`watch-event:${subject}:${excerpt(String(event?.type), 40)}`, () =>
          logger.warn(`watch of ${subject} sent an event of unknown type '${excerpt(String(event?.type), 40)}'; ignored`),
        )
        return 'ignored'
    }
  }

  /** The resourceVersion expired: the next stream lists first. Gone again for a fresh list's version is a failure, not a loop. */
  private expired(): void {
    if (this.fresh) throw new Error('410 Gone even for the resourceVersion of a fresh list')
    this.version = null
  }
}
