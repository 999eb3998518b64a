import { afterEach, describe, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { memoryLogger } from '@radvisor/core'
import { serveScrapes } from '../src/_http.ts'

/** Sends `request` as raw bytes over TCP (no client fills in a Host header) and returns the whole answer. */
function raw(port: number, request: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('end', () => {
      const [head = '', ...rest] = answer.split('\r\n\r\n')
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]), headers: head, body: rest.join('\r\n\r\n') })
    })
    socket.on('error', reject)
    socket.write(request)
  })
}

const servers: { stop(force: boolean): unknown }[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop(true)
})

/** A real server on a free port whose renders are counted. */
function serve(render: () => string = () => 'radvisor_up 1\n') {
  const logger = memoryLogger('normal')
  const counted = { renders: 0 }
  const server = serveScrapes({ hostname: '127.0.0.1', port: 0 }, () => {
    counted.renders++
    return render()
  }, logger)
  servers.push(server)
  return { port: server.port!, logger, counted }
}

describe('scrapes over raw sockets', () => {
  test('a GET without a Host header (HTTP/1.0) gets the metrics', async () => {
    const { port, logger } = serve()
    const answer = await raw(port, 'GET /metrics HTTP/1.0\r\n\r\n')
    expect(answer.status).toBe(200)
    expect(answer.headers).toContain('Content-Type: text/plain; version=0.0.4; charset=utf-8')
    expect(answer.body).toBe('radvisor_up 1\n')
    expect(logger.lines).toEqual([])
  })

  test.each([
    ['HTTP/1.1 with a Host', 'GET /metrics HTTP/1.1\r\nHost: node-1:9595\r\nConnection: close\r\n\r\n', 200],
    ['a query string', 'GET /metrics?x=1 HTTP/1.0\r\n\r\n', 200],
    ['the absolute form', 'GET http://node-1/metrics HTTP/1.1\r\nHost: node-1\r\nConnection: close\r\n\r\n', 200],
    ['a Host header that is no host', 'GET /metrics HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n', 200],
    ['the root', 'GET / HTTP/1.0\r\n\r\n', 200],
    ['another path', 'GET /nope HTTP/1.0\r\n\r\n', 404],
    ['a path starting with //', 'GET //metrics HTTP/1.0\r\n\r\n', 404],
  ])('%s', async (_name, request, status) => {
    const { port } = serve()
    expect((await raw(port, request)).status).toBe(status)
  })

  test.each(['POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'])('%s is 405 with Allow: GET, HEAD, and renders nothing', async (method) => {
    const { port, counted } = serve()
    for (const path of ['/metrics', '/', '/nope']) {
      const answer = await raw(port, `${method} ${path} HTTP/1.0\r\nContent-Length: 0\r\n\r\n`)
      expect(answer.status).toBe(405)
      expect(answer.headers).toMatch(/^Allow: GET, HEAD$/im)
    }
    expect(counted.renders).toBe(0)
  })

  test('HEAD answers like GET without rendering', async () => {
    const { port, counted } = serve()
    const answer = await raw(port, 'HEAD /metrics HTTP/1.0\r\n\r\n')
    expect(answer.status).toBe(200)
    expect(answer.headers).toContain('Content-Type: text/plain; version=0.0.4')
    expect(answer.body).toBe('')
    expect(counted.renders).toBe(0)
  })

  test('a scrape that throws is answered 500 and reported once; the server goes on serving', async () => {
    let broken = true
    const { port, logger } = serve(() => {
      if (broken) throw new TypeError('series table corrupt\n    at render (x.ts:1:1)')
      return 'radvisor_up 1\n'
    })
    for (let i = 0; i < 3; i++) {
      const answer = await raw(port, 'GET /metrics HTTP/1.0\r\n\r\n')
      expect(answer.status).toBe(500)
      expect(answer.body).toBe('internal error\n')
    }
    expect(logger.lines.map((line) => line.trim())).toEqual(['Warning the prometheus sink answered a scrape with 500: series table corrupt'])
    broken = false
    expect((await raw(port, 'GET /metrics HTTP/1.0\r\n\r\n')).body).toBe('radvisor_up 1\n')
  })

  test('garbage on the socket does not stop the server', async () => {
    const { port, logger } = serve()
    await raw(port, '\x00\x01\x02 junk\r\n\r\n')
    await raw(port, `GET /${'a'.repeat(100_000)} HTTP/1.0\r\n\r\n`)
    expect((await raw(port, 'GET /metrics HTTP/1.0\r\n\r\n')).status).toBe(200)
    expect(logger.lines).toEqual([])
  })
})
