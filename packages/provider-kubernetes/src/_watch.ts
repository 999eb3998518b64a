import { type Clock, describeError, type Logger, type Timer } from '@radvisor/core'
import { type KubeTransport, network } from './_transport.ts'

/** Delays between reconnection attempts: doubling from `initialMs` up to `maxMs`. */
export interface Backoff {
  readonly initialMs: number
  readonly maxMs: number
}

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

/** How one watch request ended. */
type StreamEnd = 'ended' | 'gone'

/** A watch stream that ended before this is treated as a break, so a closing server cannot make us spin. */
const MIN_HEALTHY_STREAM_MS = 1000

/**
 * Follows a Kubernetes watch on one selection: resumes from the last resourceVersion
 * seen, lists again on `410 Gone`, reconnects with exponential backoff when the stream
 * breaks (reported once per outage), and calls `onChange` on every ADDED, MODIFIED or
 * DELETED event so the runner polls at once.
 */
export class PodWatch {
  private stopped = false
  private stream: AbortController | null = null
  private sleeping: { handle: unknown; wake: () => void } | null = null
  private broken = false
  private running: Promise<void> | null = null

  constructor(private readonly options: PodWatchOptions) {}

  start(): void {
    this.running ??= this.run()
  }

  /** Ends the stream and any backoff wait; resolves when the loop has finished. */
  async stop(): Promise<void> {
    this.stopped = true
    this.stream?.abort()
    if (this.sleeping) {
      this.options.timer.clearTimeout(this.sleeping.handle)
      this.sleeping.wake()
    }
    await this.running
  }

  private async run(): Promise<void> {
    const { relist, onChange, backoff } = this.options
    let version = this.options.startVersion
    let failures = 0
    while (!this.stopped) {
      try {
        const relisted = version === null
        if (version === null) {
          version = await relist()
          onChange()
        }
        const opened = this.options.clock.monotonic()
        const end = await this.follow(version, (seen) => {
          version = seen
        })
        const openMs = this.options.clock.monotonic() - opened
        if (end === 'gone') {
          version = null
          // Gone at once for a fresh list's version: back off rather than relist in a loop.
          if (relisted && openMs < MIN_HEALTHY_STREAM_MS) throw new Error('410 Gone even for the resourceVersion of a fresh list')
          this.options.logger.debug('Relisting', `${this.options.subject}: the watch's resourceVersion expired (410 Gone)`)
          continue
        }
        if (this.stopped) break
        if (openMs < MIN_HEALTHY_STREAM_MS) throw new Error(`the server closed the stream after ${Math.round(openMs)}ms`)
        this.recovered()
        failures = 0
      } catch (error) {
        if (this.stopped) break
        failures++
        this.reportBreak(error)
        await this.sleep(Math.min(backoff.maxMs, backoff.initialMs * 2 ** (failures - 1)))
      }
    }
  }

  /** One watch request, until the server ends it; throws when it breaks. */
  private async follow(version: string, seen: (version: string) => void): Promise<StreamEnd> {
    const { transport, path, timeoutSeconds } = this.options
    const controller = new AbortController()
    this.stream = controller
    // A silent dead connection would hang forever: the server was asked to end the request.
    const deadline = AbortSignal.timeout((timeoutSeconds + 30) * 1000)
    const query = `watch=true&allowWatchBookmarks=true&timeoutSeconds=${timeoutSeconds}&resourceVersion=${encodeURIComponent(version)}`
    try {
      const response = await transport.get(`${path}${path.includes('?') ? '&' : '?'}${query}`, AbortSignal.any([controller.signal, deadline]))
      if (response.status === 410) return 'gone'
      if (response.status !== 200 || !response.body) {
        const text = await response.text().catch(() => '')
        throw new Error(`HTTP ${response.status}${statusMessage(text)}`)
      }
      return await network(() => this.readEvents(response.body!, seen))
    } finally {
      this.stream = null
    }
  }

  private async readEvents(body: ReadableStream<Uint8Array>, seen: (version: string) => void): Promise<StreamEnd> {
    const decoder = new TextDecoder()
    let pending = ''
    const reader = body.getReader()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      pending += decoder.decode(chunk.value, { stream: true })
      let newline = pending.indexOf('\n')
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim()
        pending = pending.slice(newline + 1)
        newline = pending.indexOf('\n')
        if (!line) continue
        this.recovered()
        if (this.handle(line, seen) === 'gone') return 'gone'
      }
    }
    return 'ended'
  }

  private handle(line: string, seen: (version: string) => void): StreamEnd | null {
    const { logger, subject, onChange } = this.options
    let event: { type?: unknown; object?: { code?: unknown; message?: unknown; metadata?: { resourceVersion?: unknown } } }
    try {
      event = JSON.parse(line)
    } catch {
      logger.once(`watch-malformed:${subject}`, () => logger.warn(`watch of ${subject} sent a line that is not JSON; ignored: ${line.slice(0, 80)}`))
      return null
    }
    const version = event.object?.metadata?.resourceVersion
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED':
        if (typeof version === 'string') seen(version)
        onChange()
        return null
      case 'BOOKMARK':
        if (typeof version === 'string') seen(version)
        return null
      case 'ERROR':
        if (event.object?.code === 410) return 'gone'
        throw new Error(`the server sent an error event: ${String(event.object?.message ?? event.object?.code ?? 'unknown')}`)
      default:
        logger.once(`watch-event:${subject}:${String(event.type)}`, () =>
          logger.warn(`watch of ${subject} sent an event of unknown type '${String(event.type)}'; ignored`),
        )
        return null
    }
  }

  private reportBreak(error: unknown): void {
    const { logger, subject } = this.options
    this.broken = true
    logger.once(`watch-broken:${subject}`, () =>
      logger.warn(`watch of ${subject} broke (${describeError(error)}); reconnecting with backoff, polling meanwhile`),
    )
  }

  private recovered(): void {
    if (!this.broken) return
    this.broken = false
    const { logger, subject } = this.options
    logger.forget(`watch-broken:${subject}`)
    logger.status('Resumed', `watch of ${subject}`)
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

/** `: <message>` from a Kubernetes Status body, when there is one. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown }
    return typeof status.message === 'string' ? `: ${status.message}` : ''
  } catch {
    return ''
  }
}
