import { afterEach, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import captured from '../../fixtures/docker/containers.json'
import { MockDockerEngine } from '../../src/index.ts'

let engine: MockDockerEngine
afterEach(() => engine?.close())

function get(path: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`http://docker${path}`, { unix: engine.socketPath, signal })
}

/** Reads `count` JSON lines from an event stream. */
async function readEvents(response: Response, count: number): Promise<Record<string, unknown>[]> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (text.split('\n').filter((line) => line.trim()).length < count) {
    const chunk = await reader.read()
    if (chunk.done) break
    text += decoder.decode(chunk.value, { stream: true })
  }
  reader.releaseLock()
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

test('answers /_ping like the captured engine', async () => {
  engine = MockDockerEngine.start()
  const response = await get('/_ping')
  expect(response.status).toBe(200)
  expect(await response.text()).toBe('OK')
  expect(response.headers.get('Api-Version')).toBe('1.41')
})

test('lists added containers with the keys of a captured summary', async () => {
  engine = MockDockerEngine.start()
  const added = engine.addContainer({ name: 'web', labels: { team: 'perf' } })
  engine.addContainer()
  const list = (await (await get('/containers/json')).json()) as Record<string, unknown>[]
  expect(list).toHaveLength(2)
  expect(Object.keys(list[0]!).sort()).toEqual(Object.keys(captured[0]!).sort())
  expect(list[0]).toMatchObject({ Id: added.Id, Names: ['/web'], Labels: { team: 'perf' }, State: 'running' })
  expect(list[0]!.Id).toMatch(/^[0-9a-f]{64}$/)
  engine.removeContainer(added.Id)
  expect(((await (await get('/containers/json')).json()) as unknown[]).length).toBe(1)
})

test('streams only the events its filters select, shaped like captured ones', async () => {
  engine = MockDockerEngine.start()
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'], event: ['start', 'destroy'] }))
  const controller = new AbortController()
  const stream = await get(`/events?filters=${filters}`, controller.signal)
  expect(engine.subscribers).toBe(1)
  const container = engine.startContainer({ name: 'short' })
  engine.stopContainer(container.Id)
  const events = await readEvents(stream, 2)
  controller.abort()
  expect(events.map((event) => event.Action)).toEqual(['start', 'destroy'])
  expect(events[0]).toMatchObject({ Type: 'container', status: 'start', id: container.Id, Actor: { ID: container.Id, Attributes: { name: 'short' } } })
  expect(typeof events[0]!.timeNano).toBe('number')
})

test('fails on demand, once per request marked', async () => {
  engine = MockDockerEngine.start()
  engine.failNext('/containers/json', 'status-500')
  engine.failNext('/containers/json', 'non-json')
  const failed = await get('/containers/json')
  expect(failed.status).toBe(500)
  expect(((await failed.json()) as { message: string }).message).toContain('invalid character')
  expect(await (await get('/containers/json')).text()).toStartWith('<html>')
  expect(await (await get('/containers/json')).json()).toEqual([])
  expect((await get('/events?filters=bad')).status).toBe(500)
})

test('fault modes: 200 that closes at once, an HTML page, control characters, a slow answer, and for every request until cleared', async () => {
  engine = MockDockerEngine.start()
  engine.failNext('/events', 'close')
  const closed = await get('/events')
  expect(closed.status).toBe(200)
  expect(await closed.text()).toBe('')
  engine.failNext('/containers/json', 'html')
  const html = await get('/containers/json')
  expect([html.status, html.headers.get('Content-Type')]).toEqual([502, 'text/html'])
  expect(await html.text()).toContain('<title>502 Bad Gateway</title>')
  engine.failNext('/containers/json', 'control-characters')
  expect(((await (await get('/containers/json')).json()) as { message: string }).message).toMatch(/\0.*\n.*\x1b\[31m/s)
  engine.failNext('/containers/json', { delayMs: 150 })
  const started = performance.now()
  expect(await (await get('/containers/json')).json()).toEqual([])
  expect(performance.now() - started).toBeGreaterThanOrEqual(140)

  engine.failNext('/_ping', 'status-500', Infinity)
  for (let i = 0; i < 5; i++) expect((await get('/_ping')).status).toBe(500)
  engine.clearFailures()
  expect((await get('/_ping')).status).toBe(200)
})

test('dropEventsAfter ends each event stream after that many events', async () => {
  engine = MockDockerEngine.start()
  engine.dropEventsAfter(2)
  const stream = await get('/events')
  for (const action of ['start', 'die', 'destroy'] as const) engine.emit(action, 'c'.repeat(64))
  const lines = (await stream.text()).split('\n').filter((line) => line.trim())
  expect(lines.map((line) => (JSON.parse(line) as { Action: string }).Action)).toEqual(['start', 'die'])
  expect(engine.subscribers).toBe(0)
})

test('generateContainers lists that many more, made up at each answer', async () => {
  engine = MockDockerEngine.start()
  engine.addContainer({ name: 'real' })
  engine.generateContainers(20_000)
  const list = (await (await get('/containers/json')).json()) as { Id: string; Names: string[] }[]
  expect(list).toHaveLength(20_001)
  expect(list[1]).toMatchObject({ Id: MockDockerEngine.generatedId(0), Names: ['/generated-0'] })
  expect(list.at(-1)!.Id).toBe(MockDockerEngine.generatedId(19_999))
  expect(new Set(list.map((summary) => summary.Id)).size).toBe(20_001)
  expect(list.every((summary) => /^[0-9a-f]{64}$/.test(summary.Id))).toBe(true)
})

test('close releases a hanging request and removes its socket', async () => {
  engine = MockDockerEngine.start()
  engine.failNext('/_ping', 'hang')
  const arrived = engine.nextRequest('/_ping')
  const hanging = get('/_ping').then((response) => response.status, () => 'closed')
  await arrived
  await engine.close()
  expect([503, 'closed']).toContain(await hanging)
  expect(existsSync(engine.socketPath)).toBe(false)
})
