import { expect, test } from 'bun:test'
import { createServer } from 'node:net'
import { describeError, formatError, RadvisorError } from '../src/index.ts'

test("describeError drops Bun's advice about fetch's verbose option from a real network error", async () => {
  const server = createServer((socket) => socket.destroy())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const error = await fetch(`http://127.0.0.1:${port}/`).then(
    () => null,
    (thrown: unknown) => thrown,
  )
  server.close()
  expect((error as Error).message).toContain('verbose: true')
  expect(describeError(error)).toBe('ECONNRESET: The socket connection was closed unexpectedly.')
})

test('formatError gives one printable line, whatever the message holds', () => {
  const error = new RadvisorError('provider-docker', 'E_PROTOCOL', `bad\nname\x1b[31m ${'x'.repeat(5000)}`)
  const line = formatError(error)
  expect(line).toStartWith('[radvisor] [provider-docker] bad\\nname\\x1b[31m xxx')
  expect(line).not.toMatch(/[\u0000-\u001f]/)
  expect(line.length).toBeLessThanOrEqual(1000)
})
