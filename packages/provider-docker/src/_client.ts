import { RadvisorError, type Timer } from '@radvisor/core'
import type { DockerAddress } from './_address.ts'

export interface DockerClientOptions {
  readonly address: DockerAddress
  /** Longest wait for an answer (for the event stream: for its headers). */
  readonly timeoutMs: number
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

  /** `GET path` parsed as JSON. */
  getJson(path: string): Promise<unknown> {
    return this.exchange(path, async (response) => {
      const text = await response.text()
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw this.error('E_PROTOCOL', path, `answered with something that is not JSON: ${excerpt(text)}`)
      }
    })
  }

  /**
   * Opens a streaming `GET path` (the event stream) and yields its non-empty lines until
   * the engine ends it or `signal` aborts. The timeout covers only the headers.
   */
  async lines(path: string, signal: AbortSignal): Promise<AsyncIterable<string>> {
    const body = await this.exchange(path, async (response) => response.body, signal)
    if (!body) throw this.error('E_PROTOCOL', path, 'answered without a body')
    return splitLines(body)
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
      if (!response.ok) throw this.error('E_PROTOCOL', path, `answered ${response.status}: ${await errorMessage(response)}`)
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

/** The engine's `{"message": ...}` error body, or the start of whatever it sent. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message
    if (typeof message === 'string') return message
  } catch {
    // Not the engine's JSON error shape: show the text itself.
  }
  return excerpt(text) || response.statusText
}

/** A readable reason for a failed connection; Bun's own texts are vague for sockets. */
function networkReason(error: unknown, address: DockerAddress): string {
  const code = (error as { code?: unknown } | null)?.code
  const where = address.socketPath ?? address.baseUrl
  if (code === 'ENOENT') return `no socket at ${where}`
  if (code === 'EACCES' || code === 'EPERM') return `permission denied on ${where}`
  if (code === 'ECONNREFUSED') return `connection refused by ${where}`
  const message = error instanceof Error ? error.message : String(error)
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}

function excerpt(text: string): string {
  const line = text.trim().replace(/\s+/g, ' ')
  return line.length > 80 ? `${line.slice(0, 80)}...` : line
}

async function* splitLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let pending = ''
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    pending += decoder.decode(chunk.value, { stream: true })
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const line = pending.slice(0, newline).trim()
      pending = pending.slice(newline + 1)
      if (line) yield line
    }
  }
  const last = (pending + decoder.decode()).trim()
  if (last) yield last
}
