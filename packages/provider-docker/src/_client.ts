import { bodyMessage, type Clock, describeError, excerpt, JsonListError, RadvisorError, readJsonList, type Timer } from '@radvisor/core'
import type { DockerAddress } from './_address.ts'

export interface DockerClientOptions {
  readonly address: DockerAddress
  /** Longest wait for an answer (for the event stream: for its headers). */
  readonly timeoutMs: number
  readonly clock: Clock
  readonly timer: Timer
}

/**
 * The few Docker Engine API calls radvisor makes, over Bun's `fetch` (its `unix` option
 * for sockets). Every failure becomes a `RadvisorError` that names the request and the
 * engine's address.
 */
export class DockerClient {
  constructor(private readonly options: DockerClientOptions) {}

  get address(): string {
    return this.options.address.text
  }

  /** `GET /_ping`; resolves when the engine answers OK. */
  async ping(): Promise<void> {
    await this.exchange('/_ping', async (response) => void (await response.arrayBuffer()))
  }

  /**
   * `GET path`, whose answer must be a JSON array (`what` names it in messages), read element
   * by element so that a list of 50,000 containers never holds the event loop for long.
   */
  getList(path: string, what: string): Promise<unknown[]> {
    const { clock, timer } = this.options
    return this.exchange(path, async (response) => {
      if (!response.body) throw this.error('E_PROTOCOL', path, 'answered without a body')
      try {
        return (await readJsonList(response.body, { clock, timer })).items
      } catch (error) {
        if (!(error instanceof JsonListError)) throw error
        throw this.error('E_PROTOCOL', path, `answered something that is not ${what}: ${excerpt(error.start)}`)
      }
    })
  }

  /**
   * Opens a streaming `GET path` (the event stream) and returns its body, which runs until
   * the engine ends it or `signal` aborts. The timeout covers only the headers.
   */
  async stream(path: string, signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const body = await this.exchange(path, async (response) => response.body, signal)
    if (!body) throw this.error('E_PROTOCOL', path, 'answered without a body')
    return body
  }

  private async exchange<T>(path: string, read: (response: Response) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { address, timer, timeoutMs } = this.options
    const deadline = new AbortController()
    let timedOut = false
    const handle = timer.setTimeout(() => {
      timedOut = true
      deadline.abort()
    }, timeoutMs)
    try {
      const response = await fetch(address.baseUrl + path, {
        signal: signal ? AbortSignal.any([deadline.signal, signal]) : deadline.signal,
        ...(address.socketPath ? { unix: address.socketPath } : {}),
      })
      if (!response.ok) {
        const text = await response.text().catch(() => '')
        throw this.error('E_PROTOCOL', path, `answered ${response.status}: ${bodyMessage(text) || response.statusText}`)
      }
      return await read(response)
    } catch (error) {
      if (error instanceof RadvisorError) throw error
      if (timedOut) throw this.error('E_CONNECT', path, `did not answer within ${timeoutMs}ms`)
      throw this.error('E_CONNECT', path, `failed: ${networkReason(error, address)}`, error)
    } finally {
      timer.clearTimeout(handle)
    }
  }

  private error(code: 'E_CONNECT' | 'E_PROTOCOL', path: string, what: string, cause?: unknown): RadvisorError {
    return new RadvisorError('provider-docker', code, `GET ${path.split('?')[0]} at ${this.address} ${what}`, { cause })
  }
}

/** A readable reason for a failed connection; Bun's own texts are vague for sockets. */
function networkReason(error: unknown, address: DockerAddress): string {
  const code = (error as { code?: unknown } | null)?.code
  const where = address.socketPath ?? address.baseUrl
  if (code === 'ENOENT') return `no socket at ${where}`
  if (code === 'EACCES' || code === 'EPERM') return `permission denied on ${where}`
  if (code === 'ECONNREFUSED') return `connection refused by ${where}`
  return describeError(error)
}
