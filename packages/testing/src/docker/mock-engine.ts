import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'bun'

type Summary = Record<string, unknown>
/** A container summary as `GET /containers/json` lists it. */
export type ContainerSummary = Summary & { Id: string; Names: string[] }
type EventAction = 'start' | 'die' | 'destroy'

/** How a request the test marked should fail. */
export type DockerFailure =
  /** A 500 with the engine's `{"message": ...}` body. */
  | 'status-500'
  /** A 200 whose body is not JSON. */
  | 'non-json'
  /** No answer until the engine is closed (the client must time out). */
  | 'hang'
  /** A 200 whose body ends at once: an `/events` stream that closes as soon as it opens. */
  | 'close'
  /** A 502 with an HTML page, as a proxy in front of the engine sends. */
  | 'html'
  /** A 500 whose `message` holds a NUL, a newline and an ANSI escape. */
  | 'control-characters'
  /** The normal answer, sent only after `delayMs` (real time). */
  | { readonly delayMs: number }

/** What the test may set on a container it adds; the rest comes from a captured summary. */
export interface MockContainer {
  readonly id?: string
  readonly name?: string
  readonly image?: string
  readonly command?: string
  /** Unix seconds, as the engine reports it. */
  readonly created?: number
  readonly labels?: Readonly<Record<string, string>>
}

/** A file of this package's `fixtures/docker/`, answers captured from a real engine. */
const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/docker/${name}`, import.meta.url), 'utf8')
const capturedContainers = JSON.parse(fixture('containers.json')) as ContainerSummary[]
const captured = JSON.parse(fixture('responses.json')) as {
  headers: Record<string, string>
  ping: { status: number; contentType: string; body: string }
  error: { status: number; contentType: string; body: unknown }
}
const capturedEvents = fixture('events.jsonl')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Summary)

/**
 * A Docker engine for hermetic tests: a real HTTP server on a unix socket serving
 * `/_ping`, `/containers/json` and a streaming `/events`, with answers shaped like the
 * real engine's (built from this package's `fixtures/docker/`). The test adds and removes containers,
 * emits events, and makes requests fail; production clients talk to it unchanged.
 */
export class MockDockerEngine {
  /** Paths (with query) of every request, in order of arrival. */
  readonly requests: string[] = []
  private readonly containers = new Map<string, Summary>()
  private readonly streams = new Set<EventStream>()
  private readonly failures: { path: string; failure: DockerFailure; left: number }[] = []
  private readonly hanging = new Set<() => void>()
  private readonly requestWaiters: { path: string; resolve: () => void }[] = []
  private readonly server: Server<undefined>
  private nextId = 1
  private generated = 0
  private dropAfter: number | null = null

  private constructor(
    /** Path of the engine's unix socket. */
    readonly socketPath: string,
    private readonly ownDirectory: string | null,
  ) {
    // An event stream may be idle for long; Bun's types omit idleTimeout for unix sockets, but it applies.
    const noIdleTimeout: object = { idleTimeout: 0 }
    this.server = Bun.serve({ unix: socketPath, fetch: (request) => this.answer(request), ...noIdleTimeout })
  }

  /** Starts an engine on `socketPath`, or on a socket in a new temporary folder. */
  static start(socketPath?: string): MockDockerEngine {
    if (socketPath) return new MockDockerEngine(socketPath, null)
    const directory = mkdtempSync(join(tmpdir(), 'radvisor-mock-docker-'))
    return new MockDockerEngine(join(directory, 'docker.sock'), directory)
  }

  /** `unix://<socket>`, as `DOCKER_HOST` or `--docker-host` takes it. */
  get address(): string {
    return `unix://${this.socketPath}`
  }

  /** Open `/events` streams. */
  get subscribers(): number {
    return this.streams.size
  }

  /** Adds a running container (listed by `/containers/json`) and returns its summary. */
  addContainer(container: MockContainer = {}): ContainerSummary {
    const serial = this.nextId++
    const id = container.id ?? serial.toString(16).padStart(64, 'c')
    const name = container.name ?? `mock-${serial}`
    const summary: ContainerSummary = {
      ...structuredClone(capturedContainers[0]),
      Id: id,
      Names: [`/${name}`],
      ...(container.image !== undefined && { Image: container.image }),
      ...(container.command !== undefined && { Command: container.command }),
      ...(container.created !== undefined && { Created: container.created }),
      Labels: { ...container.labels },
      Status: 'Up Less than a second',
    }
    this.containers.set(id, summary)
    return summary
  }

  /** Lists any value as a container summary, to test answers the engine should never give. */
  addRawSummary(summary: unknown): void {
    this.containers.set(`raw-${this.nextId++}`, summary as Summary)
  }

  removeContainer(id: string): void {
    this.containers.delete(id)
  }

  /** Adds a container and emits its `start` event, as `docker run` does. */
  startContainer(container: MockContainer = {}): ContainerSummary {
    const summary = this.addContainer(container)
    this.emit('start', summary.Id)
    return summary
  }

  /** Removes a container and emits `die` and `destroy`, as `docker rm -f` does. */
  stopContainer(id: string): void {
    this.removeContainer(id)
    this.emit('die', id)
    this.emit('destroy', id)
  }

  /** Sends a container event (shaped like a captured one) to every open `/events` stream. */
  emit(action: EventAction, id: string): void {
    const template = capturedEvents.find((event) => event.Action === action) ?? capturedEvents[0]!
    const name = ((this.containers.get(id)?.Names as string[] | undefined)?.[0] ?? '/mock').replace(/^\//, '')
    const nanos = BigInt(Date.now()) * 1_000_000n
    const actor = template.Actor as { Attributes: Record<string, string> }
    const event = {
      ...template,
      id,
      Actor: { ID: id, Attributes: { ...actor.Attributes, name } },
      time: Number(nanos / 1_000_000_000n),
      timeNano: Number(nanos),
    }
    for (const stream of this.streams) if (matches(stream.filters, event)) this.send(stream, JSON.stringify(event))
  }

  /** Sends a raw line (not necessarily JSON) to every open `/events` stream. */
  emitRaw(line: string): void {
    for (const stream of this.streams) this.send(stream, line)
  }

  /** Ends every open `/events` stream, as an engine restart would. */
  breakEvents(): void {
    for (const stream of this.streams) {
      try {
        stream.controller.close()
      } catch {
        // Already cancelled by its client.
      }
    }
    this.streams.clear()
  }

  /** Makes the next `times` requests to `path` (without query) fail with `failure`; `Infinity` for every one. */
  failNext(path: string, failure: DockerFailure, times = 1): void {
    this.failures.push({ path, failure, left: times })
  }

  /** Forgets every failure set with `failNext`: requests are answered normally again. */
  clearFailures(): void {
    this.failures.length = 0
  }

  /**
   * Ends every `/events` stream (open now or opened later) once it has sent `count` events,
   * as a flaky proxy would; null stops doing so.
   */
  dropEventsAfter(count: number | null): void {
    this.dropAfter = count
  }

  /**
   * Lists `count` more running containers, made up at each answer instead of stored (a
   * 50,000-container list costs the mock no memory between requests). Their ids are
   * `MockDockerEngine.generatedId(0 … count-1)`, their names `generated-<index>`.
   */
  generateContainers(count: number): void {
    this.generated = count
  }

  /** The id of the generated container number `index`: 64 hex digits, distinct for each index. */
  static generatedId(index: number): string {
    return `${'e'.repeat(56)}${index.toString(16).padStart(8, '0')}`
  }

  /** Resolves when the next request to `path` (without query) arrives. */
  nextRequest(path: string): Promise<void> {
    return new Promise((resolve) => this.requestWaiters.push({ path, resolve }))
  }

  /** Stops the server, releases hanging requests, and removes the socket it made. */
  async close(): Promise<void> {
    for (const release of this.hanging) release()
    this.breakEvents()
    await this.server.stop(true)
    if (this.ownDirectory) rmSync(this.ownDirectory, { recursive: true, force: true })
    else rmSync(this.socketPath, { force: true })
  }

  private answer(request: Request): Response | Promise<Response> {
    const url = new URL(request.url)
    this.requests.push(url.pathname + url.search)
    for (const waiter of this.requestWaiters.filter((w) => w.path === url.pathname)) {
      this.requestWaiters.splice(this.requestWaiters.indexOf(waiter), 1)
      waiter.resolve()
    }
    const failure = this.failures.find((f) => f.path === url.pathname && f.left > 0)
    if (failure) {
      if (--failure.left === 0) this.failures.splice(this.failures.indexOf(failure), 1)
      return this.fail(failure.failure, url)
    }
    return this.route(url)
  }

  private route(url: URL): Response {
    switch (url.pathname) {
      case '/_ping':
        return respond(captured.ping.status, captured.ping.body, captured.ping.contentType)
      case '/containers/json':
        return respond(200, this.containerList(), 'application/json')
      case '/events':
        return this.openStream(url.searchParams.get('filters'))
      default:
        return respond(404, JSON.stringify({ message: `page not found` }), 'application/json')
    }
  }

  private containerList(): string {
    const parts = [...this.containers.values()].map((summary) => JSON.stringify(summary))
    if (this.generated > 0) {
      const template = { ...structuredClone(capturedContainers[0]), Labels: {}, Status: 'Up 2 hours' } as Summary
      for (let index = 0; index < this.generated; index++) {
        parts.push(JSON.stringify({ ...template, Id: MockDockerEngine.generatedId(index), Names: [`/generated-${index}`] }))
      }
    }
    return `[${parts.join(',')}]`
  }

  private send(stream: EventStream, line: string): void {
    try {
      stream.controller.enqueue(new TextEncoder().encode(`${line}\n`))
      stream.sent++
      if (this.dropAfter !== null && stream.sent >= this.dropAfter) {
        stream.controller.close()
        this.streams.delete(stream)
      }
    } catch {
      // The client went away; its stream is dropped.
      this.streams.delete(stream)
    }
  }

  private fail(failure: DockerFailure, url: URL): Response | Promise<Response> {
    if (typeof failure === 'object') return Bun.sleep(failure.delayMs).then(() => this.route(url))
    if (failure === 'status-500') return respond(captured.error.status, JSON.stringify(captured.error.body), captured.error.contentType)
    if (failure === 'non-json') return respond(200, '<html>not the engine</html>', 'application/json')
    if (failure === 'close') return respond(200, '', 'application/json')
    if (failure === 'html') return respond(502, BAD_GATEWAY_PAGE, 'text/html')
    if (failure === 'control-characters') {
      return respond(500, JSON.stringify({ message: 'engine\u0000 failed\nWarning: forged line \u001b[31mred\u001b[0m' }), 'application/json')
    }
    return new Promise((resolve) => {
      const release = () => {
        this.hanging.delete(release)
        resolve(respond(503, '', 'text/plain'))
      }
      this.hanging.add(release)
    })
  }

  private openStream(filtersText: string | null): Response {
    const filters = parseFilters(filtersText)
    if (!filters) return respond(captured.error.status, JSON.stringify(captured.error.body), captured.error.contentType)
    let entry: EventStream | null = null
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        entry = { controller, filters, sent: 0 }
        this.streams.add(entry)
        // Bun.serve sends headers only with the first body bytes, the engine at once: a
        // blank line (whitespace between JSON values, which clients skip) sends them now.
        controller.enqueue(new TextEncoder().encode('\n'))
      },
      cancel: () => {
        if (entry) this.streams.delete(entry)
      },
    })
    return new Response(body, { status: 200, headers: { ...captured.headers, 'Content-Type': 'application/json' } })
  }
}

type EventFilters = Readonly<Record<string, readonly string[]>>
interface EventStream {
  readonly controller: ReadableStreamDefaultController<Uint8Array>
  readonly filters: EventFilters
  /** Events sent on it so far. */
  sent: number
}

const BAD_GATEWAY_PAGE = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n'


/** The `filters` query, or null when it is not valid JSON (the engine answers 500 then). */
function parseFilters(text: string | null): EventFilters | null {
  if (!text) return {}
  try {
    const parsed = JSON.parse(text) as Record<string, string[] | Record<string, boolean>>
    // The engine accepts both {"type":["container"]} and the older {"type":{"container":true}}.
    return Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, Array.isArray(value) ? value : Object.keys(value)]))
  } catch {
    return null
  }
}

function matches(filters: EventFilters, event: Summary): boolean {
  const type = filters.type
  const action = filters.event
  return (!type || type.includes(event.Type as string)) && (!action || action.includes(event.Action as string))
}

function respond(status: number, body: string, contentType: string): Response {
  return new Response(body, { status, headers: { ...captured.headers, 'Content-Type': contentType } })
}
