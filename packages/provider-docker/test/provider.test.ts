import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { ManualClock, RadvisorError } from '@radvisor/core'
import { MockDockerEngine } from '@radvisor/testing'
import { parseDockerHost } from '../src/_address.ts'
import { createDockerProvider } from '../src/provider.ts'
import { watchLogger } from './_watch-logger.ts'

let engine: MockDockerEngine
let clock: ManualClock
let logger: ReturnType<typeof watchLogger>

beforeEach(() => {
  engine = MockDockerEngine.start()
  clock = new ManualClock()
  logger = watchLogger()
})

afterEach(() => engine.close())

function provider(options: { address?: string; events?: boolean } = {}) {
  return createDockerProvider({
    address: parseDockerHost(options.address ?? engine.address)!,
    events: options.events ?? true,
    timeoutMs: 5000,
    logger,
    clock,
    timer: clock,
    backoff: { initialMs: 100, maxMs: 400 },
  })
}

async function rejection(promise: Promise<unknown>): Promise<RadvisorError> {
  const error = await promise.then(
    () => null,
    (error: unknown) => error,
  )
  if (!(error instanceof RadvisorError)) throw new Error(`expected a RadvisorError, got ${String(error)}`)
  return error
}

/** Calls of `onChange`, each resolving the promise `next()` handed out before it. */
function changes() {
  let count = 0
  let waiting: (() => void) | null = null
  return {
    onChange: () => {
      count++
      waiting?.()
      waiting = null
    },
    get count() {
      return count
    },
    next: () => new Promise<void>((resolve) => (waiting = resolve)),
  }
}

describe('init', () => {
  test('pings the engine', async () => {
    await provider().init()
    expect(engine.requests).toEqual(['/_ping'])
  })

  test('names the address tried and suggests root or DOCKER_HOST when nothing listens', async () => {
    const address = `unix://${engine.socketPath}.absent`
    const error = await rejection(provider({ address }).init())
    expect(error.code).toBe('E_CONNECT')
    expect(error.exitCode).toBe(1)
    expect(error.message).not.toContain('\n')
    expect(error.message).toContain(address)
    expect(error.message).toContain(`no socket at ${engine.socketPath}.absent`)
    expect(error.message).toMatch(/root/)
    expect(error.message).toMatch(/DOCKER_HOST/)
  })

  test('fails the same way when the engine answers 500', async () => {
    engine.failNext('/_ping', 'status-500')
    const error = await rejection(provider().init())
    expect(error.code).toBe('E_CONNECT')
    expect(error.message).toContain(`GET /_ping at ${engine.address} answered 500: invalid character`)
  })
})

describe('poll', () => {
  test('lists running containers as targets stamped with the poll time', async () => {
    const busy = engine.addContainer({ name: 'busy', created: 1586650519, labels: { team: 'perf' } })
    const other = engine.addContainer({ name: 'other' })
    clock.spend(1234.5)
    const targets = await provider().poll()
    expect(targets.map((t) => [t.id, t.name])).toEqual([
      [busy.Id, 'busy'],
      [other.Id, 'other'],
    ])
    expect(targets[0]!.polledAt).toBe(1_700_000_001_234_500_000n)
    expect(targets[0]!.cgroup).toEqual({ kind: 'docker', id: busy.Id })
    expect(targets[0]!.metadata).toMatchObject({ Created: '2020-04-12T00:15:19Z', Labels: { team: 'perf' }, SizeRw: null })
    engine.removeContainer(busy.Id)
    expect((await provider().poll()).map((t) => t.name)).toEqual(['other'])
  })

  test('skips entries without an id, reporting each once, and keeps the others', async () => {
    const good = engine.addContainer({ name: 'good' })
    engine.addRawSummary({ Names: ['/ghost'], State: 'running' })
    const docker = provider()
    expect((await docker.poll()).map((t) => t.id)).toEqual([good.Id])
    expect((await docker.poll()).map((t) => t.id)).toEqual([good.Id])
    const warnings = logger.lines.filter((line) => line.includes('Warning'))
    expect(warnings).toEqual(['     Warning skipped a container without a 64-hex Id (Names /ghost): Id is null'])
  })

  test.each([
    ['status-500', "answered 500: invalid character 'b' looking for beginning of value"],
    ['non-json', 'answered with something that is not JSON: <html>not the engine</html>'],
  ] as const)('a %s answer fails the poll with a one-line reason; the next poll works', async (failure, reason) => {
    engine.addContainer()
    const docker = provider()
    engine.failNext('/containers/json', failure)
    const error = await rejection(docker.poll())
    expect(error.message).toBe(`GET /containers/json at ${engine.address} ${reason}`)
    expect(await docker.poll()).toHaveLength(1)
  })

  test('a hanging engine times out on the injected timer', async () => {
    const docker = provider()
    engine.failNext('/containers/json', 'hang')
    const arrived = engine.nextRequest('/containers/json')
    const polled = rejection(docker.poll())
    await arrived
    clock.advance(5000)
    const error = await polled
    expect(error.code).toBe('E_CONNECT')
    expect(error.message).toBe(`GET /containers/json at ${engine.address} did not answer within 5000ms`)
  })
})

describe('watch', () => {
  test('follows container start/die/destroy events and asks for a poll on each', async () => {
    const docker = provider()
    const seen = changes()
    const subscribed = engine.nextRequest('/events')
    docker.watch!(seen.onChange)
    await subscribed
    expect(engine.requests.at(-1)).toBe(
      `/events?filters=${encodeURIComponent('{"type":["container"],"event":["start","die","destroy"]}')}`,
    )
    let next = seen.next()
    const container = engine.startContainer({ name: 'short' })
    await next
    expect(seen.count).toBe(1)
    next = seen.next()
    engine.stopContainer(container.Id)
    await next
    await docker.close()
    expect(seen.count).toBe(3)
  })

  test('skips a line that is not a JSON object, reporting it once, and keeps following', async () => {
    const docker = provider()
    const seen = changes()
    const subscribed = engine.nextRequest('/events')
    docker.watch!(seen.onChange)
    await subscribed
    const next = seen.next()
    engine.emitRaw('{"status":"start", truncated')
    engine.emitRaw('garbage')
    engine.startContainer()
    await next
    await docker.close()
    expect(seen.count).toBe(1)
    expect(logger.lines.filter((line) => line.includes('not a JSON object'))).toHaveLength(1)
  })

  test('reconnects after a break with growing backoff, reports the break once, and polls after reconnecting', async () => {
    const docker = provider()
    const seen = changes()
    let subscribed = engine.nextRequest('/events')
    docker.watch!(seen.onChange)
    await subscribed

    engine.failNext('/events', 'status-500')
    engine.breakEvents()
    await logger.waitFor(/Reconnecting to the Docker event stream in 100ms/)
    expect(logger.lines.filter((line) => line.includes('Warning'))).toEqual([
      `     Warning event stream of the Docker engine at ${engine.address} broke (the engine ended it); reconnecting with backoff, polling continues meanwhile`,
    ])

    subscribed = engine.nextRequest('/events')
    clock.advance(100)
    await subscribed
    await logger.waitFor(/Reconnecting to the Docker event stream in 200ms/)
    expect(logger.lines.filter((line) => line.includes('Warning'))).toHaveLength(1)

    subscribed = engine.nextRequest('/events')
    const reconnected = seen.next()
    clock.advance(200)
    await subscribed
    await reconnected
    expect(seen.count).toBe(1)
    expect(await logger.waitFor(/Reconnected/)).toContain(engine.address)

    const next = seen.next()
    engine.startContainer()
    await next
    expect(seen.count).toBe(2)
    await docker.close()
  })

  test('backoff stops growing at its maximum and resets after a good connection', async () => {
    const docker = provider()
    engine.failNext('/events', 'status-500', 4)
    const failed = logger.waitFor(/Reconnecting/)
    docker.watch!(() => {})
    expect(await failed).toContain('in 100ms')
    for (const [delay, next] of [
      [100, 200],
      [200, 400],
      [400, 400],
    ]) {
      const retried = logger.waitFor(/Reconnecting/, logger.lines.length)
      clock.advance(delay!)
      expect(await retried).toContain(`in ${next}ms`)
    }
    const subscribed = engine.nextRequest('/events')
    clock.advance(400)
    await subscribed
    const broken = logger.waitFor(/Reconnecting/, logger.lines.length)
    engine.breakEvents()
    expect(await broken).toContain('in 100ms')
    await docker.close()
  })

  test('close aborts an open stream and a pending reconnection', async () => {
    const open = provider()
    const subscribed = engine.nextRequest('/events')
    open.watch!(() => {})
    await subscribed
    expect(engine.subscribers).toBe(1)
    await open.close()

    const waiting = provider()
    engine.failNext('/events', 'status-500')
    const failed = logger.waitFor(/Reconnecting/)
    waiting.watch!(() => {})
    await failed
    expect(clock.pending).toBe(1)
    await waiting.close()
    expect(clock.pending).toBe(0)
    expect(engine.requests.filter((path) => path.startsWith('/events'))).toHaveLength(2)
  })

  test('with events off, watch opens no stream', async () => {
    const docker = provider({ events: false })
    docker.watch!(() => {})
    await docker.poll()
    await docker.close()
    expect(engine.requests).toEqual(['/containers/json'])
  })
})
