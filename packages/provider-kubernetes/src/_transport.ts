import {
  CoreV1Api,
  createConfiguration,
  type KubeConfig,
  type RequestContext,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node'
import { describeError, excerpt, RadvisorError } from '@radvisor/core'

/**
 * The request never got an answer (refused, unresolvable, TLS failure, timeout), as
 * opposed to an answer that was wrong.
 */
export class NetworkError extends Error {
  override readonly name = 'NetworkError'
  constructor(readonly reason: unknown) {
    super(describeFetchError(reason), { cause: reason })
  }
}

/**
 * A successful answer that is not JSON at all (a proxy's or a login page's HTML), which
 * the generated client would hand over as a string instead of failing.
 */
export class NotJsonAnswer extends Error {
  override readonly name = 'NotJsonAnswer'
  constructor(
    /** The answer's content type, or `no content type`. */
    readonly contentType: string,
    /** The start of the answer, shortened and escaped. */
    readonly start: string,
  ) {
    super(`an answer that is not JSON (${contentType}): ${start}`)
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer in time (timed out)'
  return describeError(error)
}

/** Runs a network step, marking its failures as `NetworkError`. */
export async function network<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step()
  } catch (error) {
    throw error instanceof NetworkError ? error : new NetworkError(error)
  }
}

/** TLS settings in the shape Bun's `fetch` takes them. */
export type FetchTls = NonNullable<BunFetchRequestInit['tls']>

/** Headers and TLS settings for one request, from the kubeconfig's cluster and user. */
export interface Connection {
  readonly headers: Record<string, string>
  readonly tls: FetchTls
}

/**
 * Talks to the API server with Bun's `fetch`. client-node hands TLS material (CA, client
 * certificate, skip-verify) to its HTTP agent, which Bun's fetch ignores, so
 * a CA-signed server, a client certificate or `insecure-skip-tls-verify` would all fail
 * under Bun. Here the same material goes into `fetch`'s own `tls` option, for the
 * generated API client (as its `httpApi`) and for watch streams alike.
 */
export class KubeTransport {
  /** The generated CoreV1 client, sending through this transport. */
  readonly core: CoreV1Api

  constructor(
    private readonly config: KubeConfig,
    /** The API server's address, without a trailing slash. */
    readonly server: string,
    /** Longest time a request may take before it fails, in milliseconds. */
    private readonly timeoutMs: number,
  ) {
    this.core = new CoreV1Api(
      createConfiguration({
        baseServer: new ServerConfiguration(server, {}),
        // Authentication is applied by `send`, together with the TLS settings.
        authMethods: {},
        httpApi: wrapHttpLibrary({ send: (request) => this.send(request) }),
      }),
    )
  }

  /**
   * Headers and TLS settings for the next request. Recomputed each time: token files and
   * exec credentials may be rotated while radvisor runs.
   */
  async connection(): Promise<Connection> {
    const options: {
      headers?: Record<string, unknown>
      auth?: string
      ca?: Buffer
      cert?: Buffer
      key?: Buffer
      rejectUnauthorized?: boolean
      servername?: string
    } = {}
    try {
      await this.config.applyToHTTPSOptions(options)
    } catch (error) {
      throw new RadvisorError(
        'provider-kubernetes',
        'E_CONFIG',
        `cannot use the kubeconfig's credentials for ${this.server}: ${describeError(error)}`,
        { cause: error },
      )
    }
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(options.headers ?? {})) headers[name] = String(value)
    if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`
    const tls: FetchTls = {}
    if (options.ca) tls.ca = options.ca.toString('utf8')
    if (options.cert) tls.cert = options.cert.toString('utf8')
    if (options.key) tls.key = options.key.toString('utf8')
    if (options.rejectUnauthorized !== undefined) tls.rejectUnauthorized = options.rejectUnauthorized
    if (options.servername) tls.serverName = options.servername
    return { headers, tls }
  }

  /**
   * A GET of `path` (with its query) on the API server. Without `signal`, the request
   * times out after the transport's timeout; with one, the caller decides when to stop.
   */
  async get(path: string, signal?: AbortSignal): Promise<Response> {
    const { headers, tls } = await this.connection()
    return network(() =>
      fetch(`${this.server}${path}`, {
        headers: { Accept: 'application/json', ...headers },
        tls,
        signal: signal ?? AbortSignal.timeout(this.timeoutMs),
      }),
    )
  }

  /** The generated client's HTTP library: one request, read completely within the timeout. */
  private async send(request: RequestContext): Promise<ResponseContext> {
    const { headers, tls } = await this.connection()
    const timeout = AbortSignal.timeout(this.timeoutMs)
    const callerSignal = request.getSignal() as AbortSignal | undefined
    const { response, body } = await network(async () => {
      const response = await fetch(request.getUrl(), {
        method: request.getHttpMethod(),
        headers: { ...request.getHeaders(), ...headers },
        body: request.getBody() as BodyInit | undefined,
        tls,
        signal: callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout,
      })
      return { response, body: Buffer.from(await response.arrayBuffer()) }
    })
    if (response.ok && !startsLikeJson(body)) {
      throw new NotJsonAnswer(response.headers.get('content-type') ?? 'no content type', excerpt(body.subarray(0, 400).toString('utf8')))
    }
    const responseHeaders: Record<string, string> = {}
    response.headers.forEach((value, name) => {
      responseHeaders[name] = value
    })
    return new ResponseContext(response.status, responseHeaders, {
      text: async () => body.toString('utf8'),
      binary: async () => body,
    })
  }
}

/** Every answer of the API server is a JSON object or array: its first byte after blanks is `{` or `[`. */
function startsLikeJson(body: Buffer): boolean {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue
    return byte === 0x7b || byte === 0x5b
  }
  return false
}
