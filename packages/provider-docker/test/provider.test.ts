import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { ManualClock, RadvisorError } from '@radvisor/core'
import { MockDockerEngine, type RecordingLogger, recordingLogger } from '@radvisor/testing'
import { parseDockerHost } from '../src/_address.ts'
import { createDockerProvider } from '../src/provider.ts'

let engine: MockDockerEngine
let clock: ManualClock
let logger: RecordingLogger

beforeEach(() => {
  engine = MockDockerEngine.start()
  clock = new ManualClock()
  logger = recordingLogger()
})

afterEach(() => engine.close())

function provider(options: { address?: string; events?: boolean; uid?: number } = {}) {
  return createDockerProvider({
    address: parseDockerHost(options.address ?? engine.address)!,
    events: options.events ?? true,
    timeoutMs: 5000,
    logger,
    clock,
    timer: clock,
    backoff: { initialMs: 100, maxMs: 400 },
    uid: options.uid ?? 1000,
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
    expect(error.message).toMatch(/run radvisor as root/)
    expect(error.message).toMatch(/DOCKER_HOST/)
  })

  test('does not tell root to become root', async () => {
    const error = await rejection(provider({ address: `unix://${engine.socketPath}.absent`, uid: 0 }).init())
    expect(error.message).not.toMatch(/root/)
    expect(error.message).toEndWith('; check that the engine runs, or set DOCKER_HOST or --docker-host to its address')
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
    ['non-json', 'answered something that is not a container list: <html>not the engine</html>'],
  ] as const)('a %s answer fails the poll with a one-line reason; the next poll works', async (failure, reason) => {
    engine.addContainer()
    const docker = provider()
    engine.failNext('/containers/json', failure)
    const error = await rejection(docker.poll())
    expect(error.message).toBe(`GET /containers/json at ${engine.address} ${reason}`)
    expect(await docker.poll()).toHaveLength(1)
  })

  test('an HTML page from a proxy is shown shortened, on one line', async () => {
    const docker = provider()
    engine.failNext('/containers/json', 'html')
    const error = await rejection(docker.poll())
    expect(error.message).toBe(
      `GET /containers/json at ${engine.address} answered 502: <html> <head><title>502 Bad Gateway</title>…(85 more characters)…/body> </html>`,
    )
  })

  test('an error message with control characters arrives escaped', async () => {
    const docker = provider()
    engine.failNext('/containers/json', 'control-characters')
    const error = await rejection(docker.poll())
    expect(error.message).toEndWith('answered 500: engine\\0 failed\\nWarning: forged line \\x1b[31mred\\x1b[0m')
  })

  test('a JSON answer that is not a list says what it was', async () => {
    // The mock engine always lists: a bare server answers what a wrong service would.
    const raw = Bun.serve({ unix: `${engine.socketPath}.raw`, fetch: () => Response.json({ message: 'page not found', items: [] }) })
    try {
      const error = await rejection(provider({ address: `unix://${engine.socketPath}.raw` }).poll())
      expect(error.message).toBe(
        `GET /containers/json at unix://${engine.socketPath}.raw answered something that is not a container list: {"message":"page not found","items":[]}`,
      )
    } finally {
      await raw.stop(true)
    }
  })

  test('a slow answer within the timeout is waited for', async () => {
    engine.addContainer()
    engine.failNext('/containers/json', { delayMs: 100 })
    expect(await provider().poll()).toHaveLength(1)
  })

  test('hostile ids and names: a 10 KB id and control characters in a name give one short, escaped warning', async () => {
    engine.addContainer({ id: 'f'.repeat(10_240), name: 'evil\nWarning: forged\u001b[2J\u0000' })
    const docker = provider()
    expect(await docker.poll()).toEqual([])
    expect(logger.lines).toHaveLength(1)
    const [warning] = logger.lines
    expect(warning!.length).toBeLessThan(250)
    expect(warning).not.toMatch(/[\u0000-\u001f]/)
    expect(warning).toContain('Names /evil\\nWarning: forged\\x1b[2J\\0')
    expect(warning).toContain('more characters)')
  })

  test('a list of 20,000 containers is taken whole, without a line printed', async () => {
    engine.generateContainers(20_000)
    const targets = await provider().poll()
    expect(targets).toHaveLength(20_000)
    expect(targets[19_999]!.id).toBe(MockDockerEngine.generatedId(19_999))
    expect(logger.all).toEqual([])
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

  test('with events off, watch opens no stream', async () => {
    const docker = provider({ events: false })
    docker.watch!(() => {})
    await docker.poll()
    await docker.close()
    expect(engine.requests).toEqual(['/containers/json'])
  })
})
