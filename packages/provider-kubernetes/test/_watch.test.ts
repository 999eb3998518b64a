import { afterEach, describe, expect, test } from 'bun:test'
import { ManualClock } from '@radvisor/core'
import { type KubeObject, type MockKubernetesApi, type RecordingLogger, recordingLogger, runRetries } from '@radvisor/testing'
import { eventually, fixturePods, startMock, type TestProvider, testProvider } from './_support.ts'

const NEW_UID = '5d3e9b1c-8a2f-4c6d-b7e1-0f4a2c9d8e63'

/** A new Running pod on `node`, made from a fixture pod. */
function newPod(node = 'worker-1', uid = NEW_UID): KubeObject {
  const pod = fixturePods().find((p) => p.metadata?.name === 'log-shipper-5f4c8d7b9-qw4zt')!
  pod.metadata = { ...pod.metadata, name: `added-${uid.slice(0, 5)}`, uid }
  ;(pod.spec as { nodeName: string }).nodeName = node
  return pod
}

interface Watching extends Omit<TestProvider, 'logger'> {
  readonly api: MockKubernetesApi
  /** Times (performance.now) at which onChange was called. */
  readonly changes: number[]
  /** The provider's clock and timer: reconnections wait for `clock.advance`. */
  readonly clock: ManualClock
  readonly logger: RecordingLogger
}

let active: Watching | null = null
afterEach(async () => {
  await active?.dispose()
  await active?.api.close()
  active = null
})

/**
 * A provider that has polled once and watches, against a fresh mock, with the production
 * backoff (250 ms doubling to 30 s) on a manual clock.
 */
async function watching(): Promise<Watching> {
  const api = await startMock()
  const clock = new ManualClock()
  const logger = recordingLogger(clock)
  const made = testProvider(api, {}, { logger, clock, timer: clock, watchBackoff: { initialMs: 250, maxMs: 30_000 } })
  const changes: number[] = []
  await made.provider.init()
  await made.provider.poll()
  made.provider.watch(() => changes.push(performance.now()))
  await api.waitForWatch()
  active = { ...made, api, changes, clock, logger }
  return active
}

/** Lets the open watch prove itself (it stays up for 10 s), as it would have before a fault. */
async function healthy(watch: Watching): Promise<void> {
  await eventually(() => watch.clock.pending > 0, 1000, 'the watch open at the client')
  watch.clock.advance(10_000)
}

const broke = (reason: string) =>
  `     Warning watch of pods on node worker-1 broke (${reason}); reconnecting with backoff, polling meanwhile`

const watchRequests = (api: MockKubernetesApi) => api.requests.filter((r) => r.watch)
const listRequests = (api: MockKubernetesApi) => api.requests.filter((r) => !r.watch && r.path === '/api/v1/pods')

describe('watch', () => {
  test('follows the same selection, resuming from the resourceVersion of the last list', async () => {
    const { api } = await watching()
    const [request] = watchRequests(api)
    expect(request!.query.get('fieldSelector')).toBe('spec.nodeName=worker-1')
    expect(request!.query.get('resourceVersion')).toBe(api.resourceVersion)
    expect(request!.query.get('allowWatchBookmarks')).toBe('true')
  })

  test('a pod created and then deleted is reported within 250 ms each, long before the next poll', async () => {
    const { api, provider, changes } = await watching()
    const created = performance.now()
    api.addPod(newPod())
    await eventually(() => changes.length === 1, 250, 'onChange after ADDED')
    expect(changes[0]! - created).toBeLessThan(250)
    expect((await provider.poll()).map((t) => t.id)).toContain(NEW_UID)

    const deleted = performance.now()
    api.deletePod(NEW_UID)
    await eventually(() => changes.length === 2, 250, 'onChange after DELETED')
    expect(changes[1]! - deleted).toBeLessThan(250)
    expect((await provider.poll()).map((t) => t.id)).not.toContain(NEW_UID)
  })

  test('pods of other nodes do not wake the runner', async () => {
    const { api, changes } = await watching()
    api.addPod(newPod('worker-2'))
    api.addPod(newPod('worker-1', '7f2c4e9a-1b3d-4a8e-9c6f-2d5b8e1a4c07'))
    await eventually(() => changes.length === 1, 1000, 'onChange for the worker-1 pod')
    await Bun.sleep(50)
    expect(changes).toHaveLength(1)
  })

  test('a broken stream is reported once, retried with backoff, resumed where it left off, and recovers once', async () => {
    const watch = await watching()
    const { api, changes, logger, clock } = watch
    await healthy(watch)
    const seen = api.resourceVersion
    api.fail({ watch: true, answer: { status: 500 }, times: 3 })
    expect(api.breakWatches()).toBe(1)
    // Added while the watch is down: the resumed watch replays it.
    api.addPod(newPod())
    expect(await runRetries(logger, clock, 3_750)).toEqual([250, 500, 1000, 2000])
    await eventually(() => changes.length === 1, 2000, 'the missed ADDED event')
    const attempts = watchRequests(api).slice(1)
    expect(attempts.length).toBe(4)
    expect(attempts.every((r) => r.query.get('resourceVersion') === seen)).toBe(true)
    expect(logger.lines).toHaveLength(2)
    expect(logger.lines[1]).toBe(broke('ECONNRESET: The socket connection was closed unexpectedly.'))
    clock.advance(10_000)
    expect(logger.lines.slice(2)).toEqual(['   Recovered watch of pods on node worker-1, after 3.8s and 4 reconnection attempt(s)'])
  })

  test('a second outage after recovery is reported again', async () => {
    const watch = await watching()
    const { api, changes, logger, clock } = watch
    await healthy(watch)
    for (const [index, change] of [() => api.addPod(newPod()), () => api.deletePod(NEW_UID)].entries()) {
      api.breakWatches()
      change()
      await runRetries(logger, clock, 250)
      await eventually(() => changes.length === index + 1, 2000, 'the resumed event')
      clock.advance(10_000)
    }
    expect(logger.lines.filter((line) => line.includes('broke'))).toHaveLength(2)
    expect(logger.lines.filter((line) => line.includes('Recovered'))).toHaveLength(2)
  })

  test('a watch that delivers a few events and drops prints one line, not a broke/resumed pair per retry', async () => {
    const watch = await watching()
    const { api, changes, logger, clock } = watch
    await healthy(watch)
    api.dropWatchesAfter(2)
    // The first end comes after the watch was up for long: reopened at once, as after a watch timeout.
    api.addPod(newPod('worker-1', '5d3e9b1c-8a2f-4c6d-b7e1-00000000000a'))
    api.addPod(newPod('worker-1', '5d3e9b1c-8a2f-4c6d-b7e1-00000000000b'))
    await eventually(() => watchRequests(api).length === 2, 2000, 'the watch reopened')
    for (let cycle = 1; cycle <= 5; cycle++) {
      const retry = logger.waitFor(/Retrying/, logger.all.length)
      for (let pod = 0; pod < 2; pod++) api.addPod(newPod('worker-1', `5d3e9b1c-8a2f-4c6d-b7e1-${String(cycle * 2 + pod).padStart(12, '0')}`))
      // Events prove the stream works, so each retry comes after the first delay again.
      expect(await retry).toContain('in 250ms')
      clock.advance(250)
      await eventually(() => changes.length === (cycle + 1) * 2, 2000, 'both events of the cycle')
    }
    await eventually(() => watchRequests(api).length === 7, 2000, 'the fifth reconnection')
    // Before the fix: a Warning and a Resumed line for each of the 5 drops.
    expect(logger.lines.slice(1)).toEqual([broke('the server ended it after 0ms')])

    api.dropWatchesAfter(null)
    await eventually(() => api.openWatches === 1, 2000, 'the watch open again')
    await healthy(watch)
    expect(logger.lines.slice(1)).toHaveLength(2)
    expect(logger.lines.at(-1)).toBe('   Recovered watch of pods on node worker-1, after 1.3s and 5 reconnection attempt(s)')
  })

  test('410 Gone in the stream: lists again, wakes the runner, and watches from the new resourceVersion', async () => {
    const { api, changes } = await watching()
    const lists = listRequests(api).length
    api.expireWatches()
    await eventually(() => changes.length === 1, 1000, 'onChange after the relist')
    await api.waitForWatch()
    expect(listRequests(api).length).toBe(lists + 1)
    expect(watchRequests(api).at(-1)!.query.get('resourceVersion')).toBe(api.resourceVersion)
    api.addPod(newPod())
    await eventually(() => changes.length === 2, 1000, 'onChange for a pod added after the relist')
  })

  test('410 Gone as the HTTP status of the watch request also lists again', async () => {
    const { api, changes, logger, clock } = await watching()
    api.fail({ watch: true, answer: { status: 410 } })
    api.breakWatches()
    await runRetries(logger, clock, 250)
    await eventually(() => changes.length === 1, 1000, 'onChange after the relist')
    expect(listRequests(api).length).toBe(2)
  })

  test('a server that answers the watch with 200 and closes at once is backed off to its maximum, with one line', async () => {
    const watch = await watching()
    const { api, logger, clock } = watch
    await healthy(watch)
    api.fail({ watch: true, answer: { body: '' }, times: Infinity })
    api.breakWatches()
    expect(await runRetries(logger, clock, 60_000)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000])
    expect(watchRequests(api)).toHaveLength(1 + 7)
    // One outage, one report; it never recovered.
    expect(logger.lines.slice(1)).toEqual([broke('ECONNRESET: The socket connection was closed unexpectedly.')])
    expect(logger.details.filter((line) => line.includes('the server ended it after 0ms'))).toHaveLength(7)
  })

  test('410 Gone again right after a relist is backed off, not relisted in a loop', async () => {
    const watch = await watching()
    const { api, logger, clock } = watch
    await healthy(watch)
    const lists = listRequests(api).length
    api.fail({ watch: true, answer: { status: 410 }, times: Infinity })
    api.expireWatches()
    expect(await runRetries(logger, clock, 9_000)).toEqual([250, 500, 1000, 2000, 4000, 8000])
    expect(listRequests(api).length - lists).toBe(6)
    expect(logger.lines.slice(1)).toEqual([broke('410 Gone even for the resourceVersion of a fresh list')])
  })

  test('an HTML page from a proxy in front of the API server is one short, escaped line', async () => {
    const watch = await watching()
    const { api, logger, clock } = watch
    await healthy(watch)
    const page = '<html>\r\n<head><title>\x1b[31m502 Bad Gateway</title></head>\r\n<body><h1>502 Bad Gateway</h1>\r\n<hr>nginx</body>\r\n</html>\r\n'
    api.fail({ watch: true, answer: { status: 502, body: page, contentType: 'text/html' } })
    api.breakWatches()
    await runRetries(logger, clock, 750)
    expect(logger.details.some((line) => line.endsWith('(HTTP 502: <html> <head><title>\\x1b[31m502 Bad Gateway…(57 more characters)…/body> </html>)'))).toBe(true)
    expect(logger.all.every((line) => !/[\u0000-\u001f]/.test(line))).toBe(true)
  })

  test('an ERROR event other than 410 is a break', async () => {
    const { api, logger } = await watching()
    api.fail({ watch: true, answer: { body: '{"type":"ERROR","object":{"kind":"Status","code":500,"message":"etcd timeout"}}\n' } })
    api.breakWatches()
    await runRetries(active!.logger, active!.clock, 250)
    await eventually(() => logger.all.some((line) => line.includes('the server sent an error event: etcd timeout')), 1000, 'the report')
  })

  test('lines that are not JSON are reported once and passed over', async () => {
    const { api, changes, logger } = await watching()
    const pod = JSON.stringify({ type: 'ADDED', object: newPod() })
    api.fail({ watch: true, answer: { body: `not json\nnot json either\n${pod}\n` } })
    api.breakWatches()
    await runRetries(active!.logger, active!.clock, 250)
    await eventually(() => changes.length >= 1, 1000, 'the event after the bad lines')
    expect(logger.lines.filter((line) => line.includes('sent a line that is not JSON'))).toHaveLength(1)
  })

  test('close() ends the stream and the retries', async () => {
    const { api, provider } = await watching()
    await provider.close()
    await eventually(() => api.openWatches === 0, 1000, 'the stream closed')
    const requests = api.requests.length
    await Bun.sleep(100)
    expect(api.requests.length).toBe(requests)
  })
})
