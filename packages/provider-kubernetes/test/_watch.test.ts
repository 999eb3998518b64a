import { afterEach, describe, expect, test } from 'bun:test'
import type { KubeObject, MockKubernetesApi } from '@radvisor/testing'
import { eventually, fixturePods, startMock, type TestProvider, testProvider } from './_support.ts'

const NEW_UID = '5d3e9b1c-8a2f-4c6d-b7e1-0f4a2c9d8e63'

/** A new Running pod on `node`, made from a fixture pod. */
function newPod(node = 'worker-1', uid = NEW_UID): KubeObject {
  const pod = fixturePods().find((p) => p.metadata?.name === 'log-shipper-5f4c8d7b9-qw4zt')!
  pod.metadata = { ...pod.metadata, name: `added-${uid.slice(0, 5)}`, uid }
  ;(pod.spec as { nodeName: string }).nodeName = node
  return pod
}

interface Watching extends TestProvider {
  readonly api: MockKubernetesApi
  /** Times (performance.now) at which onChange was called. */
  readonly changes: number[]
}

let active: Watching | null = null
afterEach(async () => {
  await active?.dispose()
  await active?.api.close()
  active = null
})

/** A provider that has polled once and watches, against a fresh mock. */
async function watching(): Promise<Watching> {
  const api = await startMock()
  const made = testProvider(api)
  const changes: number[] = []
  await made.provider.init()
  await made.provider.poll()
  made.provider.watch(() => changes.push(performance.now()))
  await api.waitForWatch()
  active = { ...made, api, changes }
  return active
}

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

  test('a broken stream is reported once, retried with backoff, and resumed where it left off', async () => {
    const { api, changes, logger } = await watching()
    const seen = api.resourceVersion
    api.fail({ watch: true, answer: { status: 500 }, times: 3 })
    expect(api.breakWatches()).toBe(1)
    // Added while the watch is down: the resumed watch replays it.
    api.addPod(newPod())
    await eventually(() => changes.length === 1, 2000, 'the missed ADDED event')
    const attempts = watchRequests(api).slice(1)
    expect(attempts.length).toBe(4)
    expect(attempts.every((r) => r.query.get('resourceVersion') === seen)).toBe(true)
    const warnings = logger.lines.filter((line) => line.includes('watch of pods on node worker-1 broke'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('ECONNRESET')
    expect(logger.lines.filter((line) => line.includes('Resumed watch of pods on node worker-1'))).toHaveLength(1)
  })

  test('a second outage after recovery is reported again', async () => {
    const { api, changes, logger } = await watching()
    api.breakWatches()
    api.addPod(newPod())
    await eventually(() => changes.length === 1, 2000, 'the first resumed event')
    api.breakWatches()
    api.deletePod(NEW_UID)
    await eventually(() => changes.length === 2, 2000, 'the second resumed event')
    expect(logger.lines.filter((line) => line.includes('broke'))).toHaveLength(2)
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
    const { api, changes } = await watching()
    api.fail({ watch: true, answer: { status: 410 } })
    api.breakWatches()
    await eventually(() => changes.length === 1, 1000, 'onChange after the relist')
    expect(listRequests(api).length).toBe(2)
  })

  test('a stream the server keeps closing at once is backed off, not retried in a busy loop', async () => {
    const { api, logger } = await watching()
    api.fail({ watch: true, answer: { body: '' }, times: 1000 })
    api.breakWatches()
    await Bun.sleep(600)
    // 20 ms doubling to 200 ms: about 5 attempts in 600 ms; a busy loop would make hundreds.
    expect(watchRequests(api).length).toBeLessThan(10)
    // One outage, one report; it never recovered.
    expect(logger.lines.filter((line) => line.includes('broke'))).toHaveLength(1)
    expect(logger.lines.some((line) => line.includes('Resumed'))).toBe(false)
  })

  test('410 Gone again right after a relist is backed off, not relisted in a loop', async () => {
    const { api, logger } = await watching()
    api.fail({ watch: true, answer: { status: 410 }, times: 1000 })
    api.expireWatches()
    await Bun.sleep(600)
    expect(listRequests(api).length).toBeLessThan(10)
    expect(logger.lines.filter((line) => line.includes('410 Gone even for the resourceVersion of a fresh list'))).toHaveLength(1)
  })

  test('an ERROR event other than 410 is a break', async () => {
    const { api, logger } = await watching()
    api.fail({ watch: true, answer: { body: '{"type":"ERROR","object":{"kind":"Status","code":500,"message":"etcd timeout"}}\n' } })
    api.breakWatches()
    await eventually(() => logger.lines.some((line) => line.includes('the server sent an error event: etcd timeout')), 1000, 'the report')
  })

  test('lines that are not JSON are reported once and passed over', async () => {
    const { api, changes, logger } = await watching()
    const pod = JSON.stringify({ type: 'ADDED', object: newPod() })
    api.fail({ watch: true, answer: { body: `not json\nnot json either\n${pod}\n` } })
    api.breakWatches()
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
