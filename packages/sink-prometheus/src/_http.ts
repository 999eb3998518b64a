import { describeError, type Logger } from '@radvisor/core'
import type { ListenAddress } from './listen.ts'

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
const TEXT = { 'Content-Type': 'text/plain; charset=utf-8' }

/**
 * Answers a scrape: `GET /metrics` renders the metrics, `/` points there, anything else is
 * 404; methods other than GET and HEAD get 405. A `HEAD /metrics` answers the headers
 * without rendering (a health check costs nothing).
 */
function handleScrape(request: Request, render: () => string): Response {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response('method not allowed: radvisor serves GET and HEAD\n', { status: 405, headers: { ...TEXT, Allow: 'GET, HEAD' } })
  }
  const path = pathOf(request.url)
  if (path === '/metrics') return new Response(request.method === 'HEAD' ? null : render(), { headers: { 'Content-Type': CONTENT_TYPE } })
  if (path === '/') return new Response('radvisor: metrics at /metrics\n', { headers: TEXT })
  if (path === null) return new Response('bad request target\n', { status: 400, headers: TEXT })
  return new Response('not found: radvisor serves /metrics\n', { status: 404, headers: TEXT })
}

/**
 * The path of a request. Bun gives an absolute URL when the request has a valid `Host`
 * header, and the bare request target (`/metrics`) when it has none (HTTP/1.0) or a bad one.
 */
function pathOf(url: string): string | null {
  if (url.startsWith('/')) return url.replace(/[?#].*$/s, '')
  try {
    return new URL(url).pathname
  } catch {
    return null
  }
}

/**
 * Serves scrapes on `address`. A scrape that fails anyway is answered 500 and reported once
 * per distinct error through `logger`: no request can end the run or print a stack.
 */
export function serveScrapes(address: ListenAddress, render: () => string, logger: Logger): ReturnType<typeof Bun.serve> {
  return Bun.serve({
    hostname: address.hostname,
    port: address.port,
    fetch: (request) => handleScrape(request, render),
    error(error) {
      const reason = describeError(error).split('\n')[0]
      logger.once(`sink-prometheus:scrape:${reason}`, () => logger.warn(`the prometheus sink answered a scrape with 500: ${reason}`))
      return new Response('internal error\n', { status: 500, headers: TEXT })
    },
  })
}
