import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KubeObject, MockKubernetesApi, type MockKubernetesOptions } from '../../src/index.ts'

function pod(name: string, node: string, extra: { namespace?: string; phase?: string; labels?: Record<string, string> } = {}): KubeObject {
  return {
    metadata: { name, namespace: extra.namespace ?? 'default', uid: `uid-${name}`, labels: extra.labels ?? {} },
    spec: { nodeName: node },
    status: { phase: extra.phase ?? 'Running' },
  }
}

const node = (name: string, hostname = name): KubeObject => ({ metadata: { name, labels: { 'kubernetes.io/hostname': hostname } } })

let api: MockKubernetesApi | null = null
afterEach(async () => {
  await api?.close()
  api = null
})

async function start(options: MockKubernetesOptions = {}): Promise<MockKubernetesApi> {
  api = await MockKubernetesApi.start({
    nodes: [node('worker-1'), node('worker-2')],
    pods: [pod('a', 'worker-1'), pod('b', 'worker-2'), pod('c', 'worker-1', { namespace: 'kube-system', phase: 'Pending' })],
    ...options,
  })
  return api
}

async function get(path: string, init: RequestInit = {}): Promise<{ status: number; body: { items?: KubeObject[]; [key: string]: unknown } }> {
  const response = await fetch(`${api!.url}${path}`, init)
  return { status: response.status, body: await response.json() }
}

const names = (items: KubeObject[] | undefined) => (items ?? []).map((item) => item.metadata?.name)

/** Reads watch events from a streaming response until `count` arrived. */
async function events(response: Response, count: number): Promise<{ type: string; object: KubeObject }[]> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  while (text.split('\n').filter(Boolean).length < count) {
    const chunk = await reader.read()
    if (chunk.done) break
    text += decoder.decode(chunk.value, { stream: true })
  }
  reader.releaseLock()
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
}

describe('MockKubernetesApi lists', () => {
  test('pods by fieldSelector spec.nodeName, with the list resourceVersion', async () => {
    const mock = await start()
    const { status, body } = await get('/api/v1/pods?fieldSelector=spec.nodeName%3Dworker-1')
    expect(status).toBe(200)
    expect(body.kind).toBe('PodList')
    expect(names(body.items)).toEqual(['a', 'c'])
    expect((body.metadata as { resourceVersion: string }).resourceVersion).toBe(mock.resourceVersion)
  })

  test('several field terms, != and a namespace in the path', async () => {
    await start()
    expect(names((await get('/api/v1/pods?fieldSelector=spec.nodeName%3Dworker-1,status.phase!%3DPending')).body.items)).toEqual(['a'])
    expect(names((await get('/api/v1/namespaces/kube-system/pods')).body.items)).toEqual(['c'])
  })

  test('an unsupported field is a 400, as on a real server', async () => {
    await start()
    const { status, body } = await get('/api/v1/pods?fieldSelector=spec.schedulerName%3Dx')
    expect(status).toBe(400)
    expect(body.message).toBe('field label not supported: spec.schedulerName=x')
  })

  test('nodes by labelSelector, and one node by name or a 404', async () => {
    await start()
    expect(names((await get('/api/v1/nodes?labelSelector=kubernetes.io%2Fhostname%3Dworker-2')).body.items)).toEqual(['worker-2'])
    expect(names((await get('/api/v1/nodes?labelSelector=!kubernetes.io%2Fhostname')).body.items)).toEqual([])
    expect((await get('/api/v1/nodes/worker-1')).body.metadata).toMatchObject({ name: 'worker-1' })
    expect((await get('/api/v1/nodes/worker-9')).status).toBe(404)
  })

  test('with a token, requests without it get 401', async () => {
    await start({ token: 'secret' })
    expect((await get('/api/v1/pods')).status).toBe(401)
    expect((await get('/api/v1/pods', { headers: { authorization: 'Bearer secret' } })).status).toBe(200)
  })

  test('failures on demand: status, raw body, only for matching requests and only as often as asked', async () => {
    const mock = await start()
    mock.fail({ path: '/api/v1/pods', answer: { status: 500 }, times: 2 })
    mock.fail({ path: /nodes/, answer: { body: 'not json' } })
    expect((await get('/api/v1/pods')).status).toBe(500)
    expect((await get('/api/v1/pods')).status).toBe(500)
    expect((await get('/api/v1/pods')).status).toBe(200)
    expect(await (await fetch(`${mock.url}/api/v1/nodes`)).text()).toBe('not json')
    expect(mock.requests.map((r) => r.path)).toEqual(['/api/v1/pods', '/api/v1/pods', '/api/v1/pods', '/api/v1/nodes'])
  })

  test('fault modes: any body with its status and content type, a slow answer, every request', async () => {
    const mock = await start()
    mock.fail({ path: '/api/v1/pods', answer: { status: 502, body: '<html>bad gateway</html>', contentType: 'text/html' } })
    const html = await fetch(`${mock.url}/api/v1/pods`)
    expect([html.status, html.headers.get('content-type'), await html.text()]).toEqual([502, 'text/html', '<html>bad gateway</html>'])
    mock.fail({ path: '/api/v1/pods', answer: { delayMs: 150 } })
    const started = performance.now()
    expect(names((await get('/api/v1/pods')).body.items)).toEqual(['a', 'b', 'c'])
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    mock.fail({ path: '/api/v1/nodes', answer: { status: 503 }, times: Infinity })
    for (let i = 0; i < 5; i++) expect((await get('/api/v1/nodes')).status).toBe(503)
  })

  test('generatePods lists that many more Running pods on a node, with UUIDs and 64-hex container ids', async () => {
    const mock = await start()
    mock.generatePods(5000, 'worker-1')
    const { body } = await get('/api/v1/pods?fieldSelector=spec.nodeName%3Dworker-1')
    expect(body.items).toHaveLength(5002)
    const generated = body.items!.slice(2) as { metadata: { uid: string }; status: { containerStatuses: { containerID: string }[] } }[]
    expect(generated[0]!.metadata.uid).toBe(MockKubernetesApi.generatedUid(0))
    expect(generated.every((p) => /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/.test(p.metadata.uid))).toBe(true)
    expect(new Set(generated.map((p) => p.metadata.uid)).size).toBe(5000)
    expect(generated.every((p) => /^containerd:\/\/[0-9a-f]{64}$/.test(p.status.containerStatuses[0]!.containerID))).toBe(true)
    expect((await get('/api/v1/pods?fieldSelector=spec.nodeName%3Dworker-2')).body.items).toHaveLength(1)
  })
})

describe('MockKubernetesApi watches', () => {
  test('dropWatchesAfter ends each watch once it has sent that many events', async () => {
    const mock = await start()
    mock.dropWatchesAfter(2)
    const response = await fetch(`${mock.url}/api/v1/pods?watch=true&resourceVersion=${mock.resourceVersion}`)
    await mock.waitForWatch()
    for (const name of ['d', 'e', 'f']) mock.addPod(pod(name, 'worker-1'))
    const lines = (await response.text()).split('\n').filter(Boolean)
    expect(lines.map((line) => (JSON.parse(line) as { object: KubeObject }).object.metadata?.name)).toEqual(['d', 'e'])
    expect(mock.openWatches).toBe(0)
  })

  test('from a resourceVersion: ADDED, MODIFIED and DELETED of the selection, each with a newer resourceVersion', async () => {
    const mock = await start()
    const from = mock.resourceVersion
    const response = await fetch(`${mock.url}/api/v1/pods?watch=true&resourceVersion=${from}&fieldSelector=spec.nodeName%3Dworker-1`)
    await mock.waitForWatch()
    mock.addPod(pod('other-node', 'worker-2'))
    mock.addPod(pod('d', 'worker-1'))
    mock.updatePod({ ...pod('d', 'worker-1'), status: { phase: 'Succeeded' } })
    mock.deletePod('uid-d')
    const seen = await events(response, 3)
    expect(seen.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED d', 'MODIFIED d', 'DELETED d'])
    const versions = seen.map((e) => Number(e.object.metadata?.resourceVersion))
    expect(versions[0]).toBeGreaterThan(Number(from))
    expect([...versions].sort((x, y) => x - y)).toEqual(versions)
  })

  test('resuming replays what happened since the resourceVersion', async () => {
    const mock = await start()
    const from = mock.resourceVersion
    mock.addPod(pod('d', 'worker-1'))
    const response = await fetch(`${mock.url}/api/v1/pods?watch=true&resourceVersion=${from}`)
    expect((await events(response, 1)).map((e) => e.object.metadata?.name)).toEqual(['d'])
  })

  test('without a resourceVersion, the current pods come first as ADDED', async () => {
    const mock = await start()
    const response = await fetch(`${mock.url}/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dworker-1`)
    expect((await events(response, 2)).map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED a', 'ADDED c'])
  })

  test('expireWatches: open watches and older resourceVersions get an ERROR event with 410', async () => {
    const mock = await start()
    const old = mock.resourceVersion
    const open = await fetch(`${mock.url}/api/v1/pods?watch=true&resourceVersion=${old}`)
    await mock.waitForWatch()
    mock.addPod(pod('d', 'worker-1'))
    mock.expireWatches()
    const [added, gone] = await events(open, 2)
    expect(added!.type).toBe('ADDED')
    expect(gone).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } })
    expect(mock.openWatches).toBe(0)
    const resumed = await fetch(`${mock.url}/api/v1/pods?watch=true&resourceVersion=${old}`)
    expect((await events(resumed, 1))[0]!.object).toMatchObject({ code: 410 })
    // The current resourceVersion is still good.
    await fetch(`${mock.url}/api/v1/pods?watch=true&resourceVersion=${mock.resourceVersion}`)
    await mock.waitForWatch()
  })

  test('breakWatches cuts the connection mid-stream', async () => {
    const mock = await start()
    const response = await fetch(`${mock.url}/api/v1/pods?watch=true&resourceVersion=${mock.resourceVersion}`)
    await mock.waitForWatch()
    expect(mock.breakWatches()).toBe(1)
    await expect(response.text()).rejects.toThrow()
    expect(mock.openWatches).toBe(0)
  })
})

describe('MockKubernetesApi over TLS', () => {
  test('serves HTTPS signed by its own CA; with client-cert, only clients presenting the client certificate get in', async () => {
    const mock = await start({ tls: 'client-cert' })
    const certificates = mock.certificates!
    expect(mock.url).toStartWith('https://127.0.0.1:')
    await expect(fetch(`${mock.url}/api/v1/pods`, { tls: { ca: certificates.ca } })).rejects.toThrow()
    const response = await fetch(`${mock.url}/api/v1/pods`, {
      tls: { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey },
    })
    expect(response.status).toBe(200)
  })

  test('writes a kubeconfig with the CA and the client certificate inline, or the CA as a file', async () => {
    const mock = await start({ tls: 'client-cert' })
    const folder = mkdtempSync(join(tmpdir(), 'radvisor-mock-kc-'))
    try {
      const inline = JSON.parse(readFileSync(mock.writeKubeconfig(join(folder, 'a')), 'utf8'))
      expect(inline['current-context']).toBe('mock')
      expect(inline.clusters[0].cluster.server).toBe(mock.url)
      expect(Buffer.from(inline.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(mock.certificates!.ca)
      expect(Buffer.from(inline.users[0].user['client-certificate-data'], 'base64').toString()).toBe(mock.certificates!.clientCert)
      const withFile = JSON.parse(readFileSync(mock.writeKubeconfig(join(folder, 'b'), { ca: 'file', user: 'token', token: 't' }), 'utf8'))
      expect(readFileSync(withFile.clusters[0].cluster['certificate-authority'], 'utf8')).toBe(mock.certificates!.ca)
      expect(withFile.users[0].user).toEqual({ token: 't' })
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })
})
