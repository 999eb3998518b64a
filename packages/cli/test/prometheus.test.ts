// A scrape never changes how a run ends: header-less and odd requests against a real
// `radvisor run --sink prometheus -q`, which must end with exit 0 and print nothing.
import { expect, test } from 'bun:test'
import { connect, createServer } from 'node:net'
import { bin, counter } from './_cli.ts'

/** A port that was free a moment ago (the OS picks it; the run then binds it). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Sends raw bytes (no client adds a Host header); the status code, or null if nothing listens yet. */
function rawStatus(port: number, request: string): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('end', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1])))
    socket.on('error', () => resolve(null))
    socket.write(request)
  })
}

test('header-less and refused requests during a -q run: exit 0, nothing on stderr', async () => {
  const port = await freePort()
  const child = Bun.spawn([process.execPath, bin, 'run', counter, '-q', '-i', '20ms', '--sink', 'prometheus', '--prometheus-listen', `127.0.0.1:${port}`], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, NO_COLOR: '1' },
  })
  const stderr = new Response(child.stderr).text()
  try {
    let status: number | null = null
    for (let attempt = 0; attempt < 200 && status === null; attempt++) {
      status = await rawStatus(port, 'GET /metrics HTTP/1.0\r\n\r\n')
      if (status === null) await Bun.sleep(50)
    }
    expect(status).toBe(200)
    expect(await rawStatus(port, 'GET /metrics HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n')).toBe(200)
    expect(await rawStatus(port, 'POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n')).toBe(405)
    expect(await rawStatus(port, 'HEAD /metrics HTTP/1.0\r\n\r\n')).toBe(200)
    expect(await rawStatus(port, '\x00garbage\r\n\r\n')).toBe(400)
    expect(child.exitCode).toBeNull()
  } finally {
    child.kill('SIGTERM')
  }
  expect(await child.exited).toBe(0)
  expect(await stderr).toBe('')
})
