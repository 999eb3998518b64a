import { afterEach, describe, expect, test } from 'bun:test'
import { type LineResult, ManualClock, memoryLogger, ReconnectingStream } from '../src/index.ts'

/** One stream handed out by the fake source: the test writes to it and ends it. */
interface Served {
  push(text: string | Uint8Array): void
  end(): void
  fail(error: Error): void
  readonly signal: AbortSignal
}

/**
 * A source whose `open` answers with what the test queued (a stream, or an error), and
 * which records the lines it got. Unqueued opens wait until the test queues one.
 */
function fakeSource(handle: (line: string) => LineResult = () => 'event') {
  const served: Served[] = []
  const answers: (Error | null)[] = []
  const waiting: (() => void)[] = []
  const lines: string[] = []
  let opens = 0
  const source = {
    async open(signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
      opens++
      while (answers.length === 0) {
        if (signal.aborted) throw new Error('aborted')
        await new Promise<void>((resolve) => {
          waiting.push(resolve)
          signal.addEventListener('abort', () => resolve())
        })
      }
      const answer = answers.shift()!
      if (answer) throw answer
      let controller!: ReadableStreamDefaultController<Uint8Array>
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) })
      signal.addEventListener('abort', () => {
        try {
          controller.error(new Error('aborted'))
        } catch {
          // Already ended.
        }
      })
      served.push({
        push: (text) => controller.enqueue(typeof text === 'string' ? new TextEncoder().encode(text) : text),
        end: () => controller.close(),
        fail: (error) => controller.error(error),
        signal,
      })
      return body
    },
    line(text: string): LineResult {
      lines.push(text)
      return handle(text)
    },
  }
  return {
    source,
    served,
    lines,
    get opens() {
      return opens
    },
    /** Queues the answer to the next open: a stream (null) or an error. */
    answer(error: Error | null = null) {
      answers.push(error)
      waiting.splice(0).forEach((wake) => wake())
    },
  }
}

const settle = () => Bun.sleep(2)

let stream: ReconnectingStream | null = null
afterEach(async () => {
  await stream?.stop()
  stream = null
})

function follow(fake: ReturnType<typeof fakeSource>, options: { healthyAfterMs?: number; maxLineLength?: number } = {}) {
  const clock = new ManualClock()
  const logger = memoryLogger('normal')
  stream = new ReconnectingStream({
    subject: 'stream of the test server',
    source: fake.source,
    logger,
    clock,
    timer: clock,
    backoff: { initialMs: 100, maxMs: 800 },
    ...options,
  })
  stream.start()
  return { clock, logger }
}

const BROKE = (reason: string) => `     Warning stream of the test server broke (${reason}); reconnecting with backoff, polling meanwhile`

describe('ReconnectingStream', () => {
  test('splits lines across chunks and multi-byte characters, skipping blank ones', async () => {
    const fake = fakeSource()
    follow(fake)
    fake.answer()
    await settle()
    const bytes = new TextEncoder().encode('{"a":"é"}\n\n  \r\n{"b"')
    fake.served[0]!.push(bytes.slice(0, 7)) // ends inside the two bytes of é
    fake.served[0]!.push(bytes.slice(7))
    fake.served[0]!.push(':2}\n{"c":3}')
    fake.served[0]!.end()
    await settle()
    expect(fake.lines).toEqual(['{"a":"é"}', '{"b":2}', '{"c":3}'])
  })

  test('headers alone do not reset the backoff: a server that accepts and closes at once is retried ever later', async () => {
    const fake = fakeSource()
    const { clock, logger } = follow(fake)
    const delays = [100, 200, 400, 800, 800]
    for (const delay of delays) {
      fake.answer()
      await settle()
      fake.served.at(-1)!.end()
      await settle()
      expect(fake.opens).toBe(fake.served.length)
      clock.advance(delay - 1)
      await settle()
      expect(fake.opens).toBe(fake.served.length)
      clock.advance(1)
      await settle()
      expect(fake.opens).toBe(fake.served.length + 1)
    }
    expect(logger.lines).toEqual([BROKE('the server ended it after 0ms')])
  })

  test('an event resets the backoff, but does not end the outage', async () => {
    const fake = fakeSource()
    const { clock, logger } = follow(fake)
    for (const error of ['refused', 'refused', 'refused']) fake.answer(new Error(error))
    await settle()
    clock.advance(100)
    await settle()
    clock.advance(200)
    await settle()
    expect(fake.opens).toBe(3)
    clock.advance(400)
    fake.answer()
    await settle()
    fake.served[0]!.push('{"event":1}\n')
    fake.served[0]!.end()
    await settle()
    // Back to the first delay.
    clock.advance(99)
    await settle()
    expect(fake.opens).toBe(4)
    clock.advance(1)
    await settle()
    expect(fake.opens).toBe(5)
    expect(logger.lines).toEqual([BROKE('refused')])
  })

  test('a stream that stays open for healthyAfterMs ends the outage with one line; a later end is reopened at once', async () => {
    const fake = fakeSource(() => 'ignored')
    const { clock, logger } = follow(fake, { healthyAfterMs: 5000 })
    fake.answer(new Error('ECONNREFUSED: Unable to connect'))
    await settle()
    clock.advance(100)
    fake.answer()
    await settle()
    clock.advance(4999)
    expect(logger.lines).toHaveLength(1)
    clock.advance(1)
    expect(logger.lines).toEqual([
      BROKE('ECONNREFUSED: Unable to connect'),
      '   Recovered stream of the test server, after 0.1s and 1 reconnection attempt(s)',
    ])
    fake.served[0]!.end()
    fake.answer()
    await settle()
    expect(fake.opens).toBe(3)
    expect(logger.lines).toHaveLength(2)
  })

  test('a break after recovery is a new outage, reported again', async () => {
    const fake = fakeSource()
    const { clock, logger } = follow(fake, { healthyAfterMs: 1000 })
    fake.answer()
    await settle()
    clock.advance(1000)
    for (let outage = 0; outage < 3; outage++) {
      fake.served.at(-1)!.fail(new Error('ECONNRESET'))
      fake.answer(new Error('ECONNREFUSED'))
      await settle()
      clock.advance(100)
      await settle()
      fake.answer()
      clock.advance(200)
      await settle()
      clock.advance(1000)
    }
    expect(fake.opens).toBe(7)
    expect(logger.lines.filter((line) => line.includes('Warning'))).toHaveLength(3)
    expect(logger.lines.filter((line) => line.includes('Recovered'))).toHaveLength(3)
  })

  test("'reopen' opens a new stream at once without counting a failure", async () => {
    const fake = fakeSource((line) => (line === 'gone' ? 'reopen' : 'event'))
    const { logger } = follow(fake)
    fake.answer()
    await settle()
    fake.served[0]!.push('gone\n')
    await settle()
    expect(fake.served[0]!.signal.aborted).toBe(true)
    expect(fake.opens).toBe(2)
    expect(logger.lines).toEqual([])
  })

  test('a line that throws breaks the stream', async () => {
    const fake = fakeSource(() => {
      throw new Error('the server sent an error event: etcd timeout')
    })
    const { logger } = follow(fake)
    fake.answer()
    await settle()
    fake.served[0]!.push('{"type":"ERROR"}\n')
    await settle()
    expect(logger.lines).toEqual([BROKE('the server sent an error event: etcd timeout')])
  })

  test('a line longer than maxLineLength breaks the stream instead of growing without end', async () => {
    const fake = fakeSource()
    const { logger } = follow(fake, { maxLineLength: 1000 })
    fake.answer()
    await settle()
    for (let i = 0; i < 5; i++) fake.served[0]!.push('x'.repeat(300))
    await settle()
    expect(fake.served[0]!.signal.aborted).toBe(true)
    expect(logger.lines).toEqual([BROKE('it sent a line longer than 1000 characters')])
  })

  test('stop ends an open stream, and a wait before reconnecting, at once', async () => {
    const open = fakeSource()
    follow(open)
    open.answer()
    await settle()
    await stream!.stop()
    expect(open.served[0]!.signal.aborted).toBe(true)

    const waiting = fakeSource()
    const { clock } = follow(waiting)
    waiting.answer(new Error('refused'))
    await settle()
    expect(clock.pending).toBe(1)
    await stream!.stop()
    expect(clock.pending).toBe(0)
    expect(waiting.opens).toBe(1)
  })
})
