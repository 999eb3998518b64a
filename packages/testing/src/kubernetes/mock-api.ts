import { writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { createTestCertificates, type TestCertificates } from './certificates.ts'
import { type KubeObject, type Matcher, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.ts'

/** How the mock serves: plain HTTP, HTTPS, or HTTPS that also demands a client certificate. */
export type MockTls = 'none' | 'server' | 'client-cert'

export interface MockKubernetesOptions {
  /** Default `none`. With TLS, fresh certificates are made by `createTestCertificates`. */
  readonly tls?: MockTls
  /** When set, every request needs `Authorization: Bearer <token>` (else 401). */
  readonly token?: string
  readonly nodes?: readonly KubeObject[]
  readonly pods?: readonly KubeObject[]
}

/** How a request the test marked should fail. */
export interface MockKubernetesFailure {
  /** Requests whose path starts with this (`/api/v1/pods`), or matches it; default: all. */
  readonly path?: string | RegExp
  /** Only watch requests (true) or only other requests (false); default: both. */
  readonly watch?: boolean
  /**
   * What happens: an error status with a Status body; `body` as it is (status 200 and
   * JSON's content type unless given: an HTML page from a proxy, control characters, a
   * watch that closes at once with `''`); the normal answer after `delayMs` (real time);
   * or no answer until `close`.
   */
  readonly answer: { status: number } | { body: string; status?: number; contentType?: string } | { delayMs: number } | 'hang'
  /** How many matching requests fail (default 1; `Infinity` for every one). */
  readonly times?: number
}

/** A request the mock received. */
export interface MockKubernetesRequest {
  readonly path: string
  readonly query: URLSearchParams
  readonly watch: boolean
  readonly authorization: string | null
}

/** The user a written kubeconfig authenticates as. */
export interface MockKubeconfigOptions {
  /** Default: the client certificate when the mock demands one, else the token when it has one, else none. */
  readonly user?: 'client-cert' | 'token' | 'none'
  /** Overrides the mock's token, e.g. to test a wrong one. */
  readonly token?: string
  /** How the CA is given: inline `certificate-authority-data` (default), or a file next to the kubeconfig. */
  readonly ca?: 'data' | 'file' | 'none'
  /**
   * Sets `insecure-skip-tls-verify`. Default: true over plain HTTP, where
   * @kubernetes/client-node refuses to connect without it, false over HTTPS.
   */
  readonly insecure?: boolean
}

interface Watcher {
  readonly matches: Matcher
  readonly response: ServerResponse
  /** Events sent on it so far. */
  sent: number
}

/** What the mock answers: a body with a status, a watch stream it keeps writing to, or that after a delay. */
type Reply =
  | { readonly status: number; readonly body: string; readonly contentType?: string }
  | { readonly watch: Matcher; readonly from: string | null }
  | { readonly delayMs: number; readonly then: () => Reply }
  | 'hang'

interface WatchEvent {
  readonly version: number
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'
  readonly object: KubeObject
}

/**
 * A Kubernetes API server for hermetic tests: a real HTTP or HTTPS server on
 * `127.0.0.1` serving nodes (`/api/v1/nodes`, with `labelSelector`; `/api/v1/nodes/<name>`)
 * and pods (`/api/v1/pods` and `/api/v1/namespaces/<ns>/pods`, with `fieldSelector`), as
 * lists or as watch streams of ADDED/MODIFIED/DELETED events with resourceVersions. The
 * test changes pods, breaks or expires (410 Gone) the watches, and makes requests fail;
 * production clients talk to it unchanged.
 */
export class MockKubernetesApi {
  /** Every request, in order of arrival. */
  readonly requests: MockKubernetesRequest[] = []
  private readonly nodes: KubeObject[]
  private readonly pods = new Map<string, KubeObject>()
  private readonly history: WatchEvent[] = []
  private readonly watchers = new Set<Watcher>()
  private readonly failures: (MockKubernetesFailure & { left: number })[] = []
  private readonly hanging = new Set<ServerResponse>()
  private readonly server: Server
  private version = 1000
  private generated: { count: number; node: string } | null = null
  private dropAfter: number | null = null
  /** Watches from a resourceVersion below this get `410 Gone`. */
  private oldestVersion = 0

  private constructor(
    private readonly options: MockKubernetesOptions,
    /** The certificates the server uses (null over plain HTTP). */
    readonly certificates: TestCertificates | null,
  ) {
    const tls = options.tls ?? 'none'
    this.nodes = (options.nodes ?? []).map((node) => this.stamp(structuredClone(node)))
    for (const pod of options.pods ?? []) this.pods.set(uidOf(pod), this.stamp(structuredClone(pod)))
    this.oldestVersion = this.version
    const handler = (request: IncomingMessage, response: ServerResponse) => this.serve(request, response)
    this.server = certificates
      ? createHttpsServer(
          {
            cert: certificates.serverCert,
            key: certificates.serverKey,
            ca: certificates.ca,
            requestCert: tls === 'client-cert',
            rejectUnauthorized: tls === 'client-cert',
          },
          handler,
        )
      : createHttpServer(handler)
  }

  /** Starts a mock API server on a free port of 127.0.0.1. */
  static async start(options: MockKubernetesOptions = {}): Promise<MockKubernetesApi> {
    const tls = options.tls ?? 'none'
    const api = new MockKubernetesApi(options, tls === 'none' ? null : createTestCertificates())
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve))
    return api
  }

  /** `https://127.0.0.1:<port>` (or `http://`), as a kubeconfig's `server`. */
  get url(): string {
    return `${this.certificates ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** The current resourceVersion (of the last change). */
  get resourceVersion(): string {
    return String(this.version)
  }

  /** Watch streams open now. */
  get openWatches(): number {
    return this.watchers.size
  }

  /** Every pod stored now. */
  listPods(): KubeObject[] {
    return [...this.pods.values()].map((pod) => structuredClone(pod))
  }

  /** Adds a pod (watchers see ADDED) and returns it as stored, with its resourceVersion. */
  addPod(pod: KubeObject): KubeObject {
    const stored = this.stamp(structuredClone(pod))
    this.pods.set(uidOf(stored), stored)
    this.emit('ADDED', stored)
    return structuredClone(stored)
  }

  /** Replaces the pod with the same uid (watchers see MODIFIED). */
  updatePod(pod: KubeObject): KubeObject {
    const uid = uidOf(pod)
    if (!this.pods.has(uid)) throw new Error(`mock Kubernetes API: no pod with uid ${uid} to update`)
    const stored = this.stamp(structuredClone(pod))
    this.pods.set(uid, stored)
    this.emit('MODIFIED', stored)
    return structuredClone(stored)
  }

  /** Removes the pod with this uid (watchers see DELETED). */
  deletePod(uid: string): void {
    const pod = this.pods.get(uid)
    if (!pod) throw new Error(`mock Kubernetes API: no pod with uid ${uid} to delete`)
    this.pods.delete(uid)
    this.emit('DELETED', this.stamp(structuredClone(pod)))
  }

  /** Makes the next matching request(s) fail. */
  fail(failure: MockKubernetesFailure): void {
    this.failures.push({ ...failure, left: failure.times ?? 1 })
  }

  /**
   * Ends every watch stream (open now or opened later) once it has sent `count` events, as
   * a flaky proxy would; null stops doing so.
   */
  dropWatchesAfter(count: number | null): void {
    this.dropAfter = count
  }

  /**
   * Lists `count` more Running pods on `node`, made up at each list instead of stored (no
   * watch events). Their uids are `MockKubernetesApi.generatedUid(0 … count-1)`.
   */
  generatePods(count: number, node: string): void {
    this.generated = count > 0 ? { count, node } : null
  }

  /** The uid of the generated pod number `index`: a UUID. */
  static generatedUid(index: number): string {
    const hex = index.toString(16).padStart(12, '0')
    return `00000000-0000-4000-8000-${hex}`
  }

  /** Cuts every open watch stream mid-way (the client sees a broken connection). Returns how many. */
  breakWatches(): number {
    const count = this.watchers.size
    for (const watcher of [...this.watchers]) {
      this.watchers.delete(watcher)
      watcher.response.socket?.destroy()
    }
    return count
  }

  /**
   * Forgets the event history, as etcd compaction does: open watches get an ERROR event
   * with `410 Gone` and end, and watches resuming from an older resourceVersion get the same.
   */
  expireWatches(): void {
    this.oldestVersion = this.version
    for (const watcher of [...this.watchers]) {
      this.watchers.delete(watcher)
      send(watcher.response, goneEvent())
      watcher.response.end()
    }
  }

  /** Resolves once a watch stream is open (or at once if one is). */
  async waitForWatch(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.watchers.size === 0) {
      if (Date.now() > deadline) throw new Error(`mock Kubernetes API: no watch opened within ${timeoutMs}ms`)
      await Bun.sleep(5)
    }
  }

  /** Writes a kubeconfig for this server (JSON, which is YAML) and returns its path. */
  writeKubeconfig(path: string, options: MockKubeconfigOptions = {}): string {
    const tls = this.options.tls ?? 'none'
    const userKind = options.user ?? (tls === 'client-cert' ? 'client-cert' : this.options.token ? 'token' : 'none')
    const cluster: Record<string, unknown> = { server: this.url }
    const certificates = this.certificates
    if (certificates && (options.ca ?? 'data') === 'data') cluster['certificate-authority-data'] = base64(certificates.ca)
    if (certificates && options.ca === 'file') {
      writeFileSync(`${path}.ca.crt`, certificates.ca)
      cluster['certificate-authority'] = `${path}.ca.crt`
    }
    if (options.insecure ?? !certificates) cluster['insecure-skip-tls-verify'] = true
    const user: Record<string, unknown> = {}
    if (userKind === 'token') user.token = options.token ?? this.options.token ?? ''
    if (userKind === 'client-cert') {
      if (!certificates) throw new Error('mock Kubernetes API: a client certificate needs TLS (tls: "client-cert")')
      user['client-certificate-data'] = base64(certificates.clientCert)
      user['client-key-data'] = base64(certificates.clientKey)
    }
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'mock', cluster }],
      users: [{ name: 'radvisor', user }],
      contexts: [{ name: 'mock', context: { cluster: 'mock', user: 'radvisor' } }],
      'current-context': 'mock',
    }
    writeFileSync(path, JSON.stringify(config, null, 2))
    return path
  }

  /** Ends open watches and hanging requests, and stops the server. */
  async close(): Promise<void> {
    for (const watcher of this.watchers) watcher.response.end()
    this.watchers.clear()
    for (const response of this.hanging) response.destroy()
    this.hanging.clear()
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    this.reply(this.answer(request), response)
  }

  private reply(reply: Reply, response: ServerResponse): void {
    if (reply === 'hang') {
      this.hanging.add(response)
      return
    }
    if ('delayMs' in reply) {
      this.hanging.add(response)
      setTimeout(() => {
        if (!this.hanging.delete(response)) return
        this.reply(reply.then(), response)
      }, reply.delayMs)
      return
    }
    if ('body' in reply) {
      response.writeHead(reply.status, { 'content-type': reply.contentType ?? 'application/json' }).end(reply.body)
      return
    }
    this.watch(reply.watch, reply.from, response)
  }

  private answer(request: IncomingMessage): Reply {
    const url = new URL(request.url ?? '/', 'http://mock')
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
    const authorization = request.headers.authorization ?? null
    this.requests.push({ path: url.pathname, query: url.searchParams, watch, authorization })

    if (this.options.token !== undefined && authorization !== `Bearer ${this.options.token}`) {
      return status(401, 'Unauthorized', 'Unauthorized')
    }
    const failure = this.failures.find(
      (f) => f.left > 0 && (f.watch === undefined || f.watch === watch) && pathMatches(f.path, url.pathname),
    )
    if (failure) {
      failure.left--
      const { answer } = failure
      if (answer === 'hang') return 'hang'
      if ('delayMs' in answer) return { delayMs: answer.delayMs, then: () => this.route(request.method, url, watch) }
      if ('body' in answer) return { status: answer.status ?? 200, body: answer.body, contentType: answer.contentType }
      return status(answer.status, reasonOf(answer.status), `mock failure ${answer.status}`)
    }
    return this.route(request.method, url, watch)
  }

  private route(method: string | undefined, url: URL, watch: boolean): Reply {
    if (method !== 'GET') return status(405, 'MethodNotAllowed', `${method} is not served by the mock`)

    try {
      const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(url.pathname)
      if (node) {
        const found = this.nodes.find((n) => n.metadata?.name === decodeURIComponent(node[1]!))
        return found ? json(found) : status(404, 'NotFound', `nodes "${decodeURIComponent(node[1]!)}" not found`)
      }
      if (url.pathname === '/api/v1/nodes') {
        const matches = parseLabelSelector(url.searchParams.get('labelSelector'))
        return json(list('NodeList', this.nodes.filter(matches), this.resourceVersion))
      }
      const pods = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/pods$/.exec(url.pathname)
      if (pods) {
        const namespace = pods[1] ? decodeURIComponent(pods[1]) : null
        const byFields = parseFieldSelector(url.searchParams.get('fieldSelector'))
        const byLabels = parseLabelSelector(url.searchParams.get('labelSelector'))
        const matches: Matcher = (pod) => (namespace === null || pod.metadata?.namespace === namespace) && byFields(pod) && byLabels(pod)
        if (watch) return { watch: matches, from: url.searchParams.get('resourceVersion') }
        return json(list('PodList', [...this.pods.values(), ...this.generatedPods()].filter(matches), this.resourceVersion))
      }
    } catch (error) {
      if (error instanceof SelectorError) return status(400, 'BadRequest', error.message)
      throw error
    }
    return status(404, 'NotFound', 'the server could not find the requested resource')
  }

  private watch(matches: Matcher, from: string | null, response: ServerResponse): void {
    // Like the real server, answer with the headers at once: the client sees the watch open.
    response.writeHead(200, { 'content-type': 'application/json' }).flushHeaders()
    const since = from && from !== '0' ? Number(from) : null
    if (since !== null && (!Number.isFinite(since) || since < this.oldestVersion)) {
      send(response, goneEvent())
      response.end()
      return
    }
    // Without a resourceVersion the real server starts with the current state as ADDED events.
    const initial: WatchEvent[] =
      since === null
        ? [...this.pods.values()].map((object) => ({ version: 0, type: 'ADDED', object }))
        : this.history.filter((event) => event.version > since)
    const watcher: Watcher = { matches, response, sent: 0 }
    this.watchers.add(watcher)
    response.on('close', () => this.watchers.delete(watcher))
    for (const event of initial) if (matches(event.object)) this.deliver(watcher, { type: event.type, object: event.object })
  }

  /** Sends one event to a watcher, cutting its stream when `dropWatchesAfter` says so. */
  private deliver(watcher: Watcher, event: unknown): void {
    if (!this.watchers.has(watcher)) return
    send(watcher.response, event)
    watcher.sent++
    if (this.dropAfter !== null && watcher.sent >= this.dropAfter) {
      this.watchers.delete(watcher)
      watcher.response.end()
    }
  }

  private *generatedPods(): Generator<KubeObject> {
    if (!this.generated) return
    const { count, node } = this.generated
    for (let index = 0; index < count; index++) {
      const uid = MockKubernetesApi.generatedUid(index)
      yield {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `generated-${index}`, namespace: 'default', uid, resourceVersion: this.resourceVersion },
        spec: { nodeName: node, containers: [{ name: 'main', image: 'busybox' }] },
        status: {
          phase: 'Running',
          qosClass: 'BestEffort',
          containerStatuses: [
            { name: 'main', containerID: `containerd://${uid.replace(/-/g, '').padEnd(64, '0')}`, state: { running: {} }, image: 'busybox', ready: true },
          ],
        },
      }
    }
  }

  private stamp(object: KubeObject): KubeObject {
    object.metadata = { ...object.metadata, resourceVersion: String(++this.version) }
    return object
  }

  private emit(type: WatchEvent['type'], object: KubeObject): void {
    const event: WatchEvent = { version: this.version, type, object }
    this.history.push(event)
    for (const watcher of [...this.watchers]) if (watcher.matches(object)) this.deliver(watcher, { type, object })
  }
}

function uidOf(pod: KubeObject): string {
  const uid = pod.metadata?.uid
  if (!uid) throw new Error('mock Kubernetes API: pods need metadata.uid')
  return uid
}

function pathMatches(pattern: string | RegExp | undefined, path: string): boolean {
  if (pattern === undefined) return true
  return typeof pattern === 'string' ? path.startsWith(pattern) : pattern.test(path)
}

function send(response: ServerResponse, event: unknown): void {
  response.write(`${JSON.stringify(event)}\n`)
}

function goneEvent() {
  return {
    type: 'ERROR',
    object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version', reason: 'Expired', code: 410 },
  }
}

function list(kind: string, items: KubeObject[], version: string) {
  return { kind, apiVersion: 'v1', metadata: { resourceVersion: version }, items }
}

function json(body: unknown, code = 200): Reply {
  return { status: code, body: JSON.stringify(body) }
}

function status(code: number, reason: string, message: string): Reply {
  return json({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }, code)
}

function reasonOf(code: number): string {
  const reasons: Record<number, string> = {
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    410: 'Gone',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
  }
  return reasons[code] ?? 'Unknown'
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64')
}
