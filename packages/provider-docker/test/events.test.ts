// The event stream under faults, against the mock engine with the production client, on a
// manual clock: each test counts the lines printed and the reconnections made over a fixed time.
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { type Backoff, ManualClock } from '@radvisor/core'
import { MockDockerEngine, type RecordingLogger, recordingLogger, runRetries } from '@radvisor/testing'
import { parseDockerHost } from '../src/_address.ts'
import { createDockerProvider } from '../src/provider.ts'

let engine: MockDockerEngine
let clock: ManualClock
let logger: RecordingLogger
let polls: number
let stopProvider: (() => Promise<void>) | null

beforeEach(() => {
  engine = MockDockerEngine.start()
  clock = new ManualClock()
  logger = recordingLogger(clock)
  polls = 0
  stopProvider = null
})

afterEach(async () => {
  await stopProvider?.()
  await engine.close()
})

/** A provider following the mock's events with the production backoff unless told otherwise; counts the polls it asks for. */
async function follow(backoff?: Backoff): Promise<void> {
  const docker = createDockerProvider({
    address: parseDockerHost(engine.address)!,
    events: true,
    timeoutMs: 5000,
    logger,
    clock,
    timer: clock,
    ...(backoff && { backoff }),
  })
  stopProvider = () => docker.close()
  docker.watch!(() => polls++)
}

/** Waits until the client reads an open stream: an event sent on it comes back as a poll. */
async function streaming(): Promise<void> {
  await waitUntil(() => engine.subscribers === 1)
  const before = polls
  engine.emit('start', 'b'.repeat(64))
  await waitUntil(() => polls > before)
}

const eventRequests = () => engine.requests.filter((path) => path.startsWith('/events')).length
const broke = (reason: string) =>
  `     Warning event stream of the Docker engine at ${engine.address} broke (${reason}); reconnecting with backoff, polling meanwhile`

test('an engine that answers 200 and closes at once is backed off to 10 s, with one line for the whole outage', async () => {
  engine.failNext('/events', 'close', Infinity)
  await follow()
  // Before the fix: 36 requests, 71 lines and 35 polls in these 9 s.
  expect(await runRetries(logger, clock, 9_000)).toEqual([250, 500, 1000, 2000, 4000, 8000])
  expect(eventRequests()).toBe(6)
  expect(polls).toBe(5)
  expect(logger.lines).toEqual([broke('the server ended it after 0ms')])

  expect(await runRetries(logger, clock, 51_000)).toEqual([8000, 10_000, 10_000, 10_000, 10_000, 10_000])
  expect(eventRequests()).toBe(11)
  expect(polls).toBe(10)
  expect(logger.lines).toHaveLength(1)
})

test('a stream that delivers a few events and drops prints one line, not a pair per retry, and recovers once', async () => {
  engine.dropEventsAfter(2)
  await follow()
  for (let cycle = 0; cycle < 5; cycle++) {
    await waitUntil(() => engine.subscribers === 1)
    const retry = logger.waitFor(/Retrying/, logger.all.length)
    engine.emit('start', 'a'.repeat(64))
    engine.emit('die', 'a'.repeat(64))
    // Events prove the stream works, so the backoff starts over each time.
    expect(await retry).toContain('in 250ms')
    clock.advance(250)
  }
  await waitUntil(() => eventRequests() === 6)
  expect(logger.lines).toEqual([broke('the server ended it after 0ms')])

  engine.dropEventsAfter(null)
  await streaming()
  clock.advance(9_999)
  expect(logger.lines).toHaveLength(1)
  clock.advance(1)
  expect(logger.lines).toHaveLength(2)
  expect(logger.lines[1]).toBe(
    `   Recovered event stream of the Docker engine at ${engine.address}, after 1.3s and 5 reconnection attempt(s)`,
  )
  expect(eventRequests()).toBe(6)
})

test('an outage prints one line, its end one more, and a second outage is reported again', async () => {
  await follow()
  await streaming()
  clock.advance(10_000)
  engine.failNext('/events', 'status-500', 3)
  engine.breakEvents()
  // A healthy stream that ends is reopened at once: only the refusals count.
  expect(await runRetries(logger, clock, 1_750)).toEqual([250, 500, 1000])
  // Events may have been missed meanwhile: the reconnection asks for a poll.
  await waitUntil(() => polls === 2)
  expect(logger.lines).toEqual([broke("GET /events at " + engine.address + " answered 500: invalid character 'b' looking for beginning of value")])
  clock.advance(10_000)
  expect(logger.lines[1]).toBe(`   Recovered event stream of the Docker engine at ${engine.address}, after 1.8s and 3 reconnection attempt(s)`)

  engine.failNext('/events', 'status-500')
  engine.breakEvents()
  await runRetries(logger, clock, 250)
  await waitUntil(() => polls === 3)
  clock.advance(10_000)
  expect(logger.lines).toHaveLength(4)
  expect(logger.lines[3]).toContain('Recovered')
  expect(eventRequests()).toBe(7)
})

test('an engine that never answers the headers times out on the injected timer and is retried', async () => {
  engine.failNext('/events', 'hang')
  const arrived = engine.nextRequest('/events')
  await follow()
  await arrived
  const retry = logger.waitFor(/Retrying/)
  clock.advance(5000)
  expect(await retry).toContain('in 250ms')
  expect(logger.lines).toEqual([broke(`GET /events at ${engine.address} did not answer within 5000ms`)])
})

test('an HTML page and control characters in an error reach the terminal as one escaped, short line', async () => {
  engine.failNext('/events', 'html')
  engine.failNext('/events', 'control-characters')
  await follow()
  expect(await runRetries(logger, clock, 750)).toEqual([250, 500])
  expect(logger.lines).toEqual([broke(`GET /events at ${engine.address} answered 502: <html> <head><title>502 Bad Gateway</title>…(85 more characters)…/body> </html>`)])
  const second = logger.details.find((line) => line.includes('answered 500'))!
  expect(second).not.toMatch(/[\u0000-\u001f]/)
  expect(second).toContain('engine\\0 failed\\nWarning: forged line \\x1b[31mred\\x1b[0m')
})

test('close aborts an open stream and a pending reconnection', async () => {
  await follow()
  await waitUntil(() => engine.subscribers === 1)
  await stopProvider!()
  await waitUntil(() => engine.subscribers === 0)

  engine.failNext('/events', 'status-500')
  const failed = logger.waitFor(/Retrying/)
  await follow()
  await failed
  expect(clock.pending).toBe(1)
  await stopProvider!()
  expect(clock.pending).toBe(0)
  expect(eventRequests()).toBe(2)
})

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not reached within ${timeoutMs}ms`)
    await Bun.sleep(2)
  }
}
