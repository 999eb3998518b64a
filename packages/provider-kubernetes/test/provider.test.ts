import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { RadvisorError } from '@radvisor/core'
import { MockKubernetesApi } from '@radvisor/testing'
import { fixturePods, startMock, type TestProvider, testProvider } from './_support.ts'

const worker1Pods = [
  '8a1f3c52-5b7e-4d2a-9c1e-3f6b8d2a7e41',
  'c3d9e1a4-7f2b-4b8e-a6d5-1e9f0c2b3a57',
  'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  '2e6b8f1d-4c3a-4f7e-9b2d-6a1c5e8f3d92',
]

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function mock(options: Parameters<typeof startMock>[0] = {}): Promise<MockKubernetesApi> {
  const api = await startMock(options)
  cleanups.push(() => api.close())
  return api
}

function provider(...args: Parameters<typeof testProvider>): TestProvider {
  const made = testProvider(...args)
  cleanups.push(made.dispose)
  return made
}

async function initError(made: TestProvider): Promise<RadvisorError> {
  try {
    await made.provider.init()
  } catch (error) {
    if (error instanceof RadvisorError) return error
    throw error
  }
  throw new Error('init() succeeded')
}

/** A TCP port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('TLS and authentication under Bun', () => {
  test('a CA and a client certificate from the kubeconfig (the server demands the certificate)', async () => {
    const api = await mock({ tls: 'client-cert' })
    const { provider: kubernetes } = provider(api)
    await kubernetes.init()
    expect((await kubernetes.poll()).map((t) => t.id).sort()).toEqual([...worker1Pods].sort())
  })

  test('without the client certificate the same server refuses the connection: E_CONNECT naming the server', async () => {
    const api = await mock({ tls: 'client-cert' })
    const folder = provider(null).folder
    const error = await initError(provider(api, { kubeConfig: api.writeKubeconfig(join(folder, 'kc'), { user: 'none' }) }))
    expect(error.code).toBe('E_CONNECT')
    expect(error.message).toStartWith(`cannot reach the Kubernetes API server at ${api.url} (listing nodes with kubernetes.io/hostname=worker-1): `)
  })

  test('a CA given as a file (certificate-authority)', async () => {
    const api = await mock({ tls: 'server' })
    const folder = provider(null).folder
    const { provider: kubernetes } = provider(api, { kubeConfig: api.writeKubeconfig(join(folder, 'kc'), { ca: 'file' }) })
    await kubernetes.init()
    expect(await kubernetes.poll()).toHaveLength(4)
  })

  test('without the CA the server certificate is not trusted: E_CONNECT with the TLS cause', async () => {
    const api = await mock({ tls: 'server' })
    const folder = provider(null).folder
    const error = await initError(provider(api, { kubeConfig: api.writeKubeconfig(join(folder, 'kc'), { ca: 'none' }) }))
    expect(error.code).toBe('E_CONNECT')
    expect(error.message).toMatch(/certificate/i)
  })

  test('insecure-skip-tls-verify connects without the CA', async () => {
    const api = await mock({ tls: 'server' })
    const folder = provider(null).folder
    const { provider: kubernetes } = provider(api, { kubeConfig: api.writeKubeconfig(join(folder, 'kc'), { ca: 'none', insecure: true }) })
    await kubernetes.init()
    expect(await kubernetes.poll()).toHaveLength(4)
  })

  test('a bearer token, sent on lists and on the watch', async () => {
    const api = await mock({ tls: 'server', token: 's3cret' })
    const { provider: kubernetes } = provider(api)
    await kubernetes.init()
    expect(await kubernetes.poll()).toHaveLength(4)
    kubernetes.watch(() => {})
    await api.waitForWatch()
    expect(api.requests.length).toBeGreaterThanOrEqual(3)
    expect(api.requests.every((r) => r.authorization === 'Bearer s3cret')).toBe(true)
    expect(api.requests.some((r) => r.watch)).toBe(true)
  })

  test('a refused token: E_CONFIG saying the credentials were refused', async () => {
    const api = await mock({ tls: 'server', token: 's3cret' })
    const folder = provider(null).folder
    const error = await initError(provider(api, { kubeConfig: api.writeKubeconfig(join(folder, 'kc'), { token: 'wrong' }) }))
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toContain(`the API server at ${api.url} refused the credentials (401 Unauthorized`)
  })

  test('in-cluster: the service account token and CA files, the server from KUBERNETES_SERVICE_HOST/PORT', async () => {
    const api = await mock({ tls: 'server', token: 'service-account-token' })
    const folder = provider(null).folder
    const accountDir = join(folder, 'serviceaccount')
    mkdirSync(accountDir)
    writeFileSync(join(accountDir, 'token'), 'service-account-token')
    writeFileSync(join(accountDir, 'ca.crt'), api.certificates!.ca)
    const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(api.url).port, NODE_NAME: 'worker-2' }
    const { provider: kubernetes, logger } = provider(null, {}, { env, serviceAccountDir: accountDir })
    await kubernetes.init()
    expect(logger.lines.join('\n')).toContain('pods of node worker-2 (from NODE_NAME)')
    expect(await kubernetes.poll()).toHaveLength(3)
  })

  test('an unreachable API server at start: one E_CONNECT line with the address and the cause', async () => {
    const port = await closedPort()
    const folder = provider(null).folder
    const kubeConfig = join(folder, 'kc')
    writeFileSync(
      kubeConfig,
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    )
    const error = await initError(provider(null, { kubeConfig }))
    expect(error.code).toBe('E_CONNECT')
    expect(error.message).toMatch(new RegExp(`^cannot reach the Kubernetes API server at https://127\\.0\\.0\\.1:${port} \\(.*\\): .*ECONNREFUSED`))
    expect(error.message).not.toContain('\n')
    expect(error.exitCode).toBe(1)
  })
})

describe('poll', () => {
  let api: MockKubernetesApi
  beforeAll(async () => {
    api = await startMock()
  })
  afterAll(() => api.close())

  async function ready(options: Parameters<typeof testProvider>[1] = {}, environment: Parameters<typeof testProvider>[2] = {}) {
    const made = provider(api, options, environment)
    await made.provider.init()
    return made
  }

  async function pollError(kubernetes: TestProvider['provider']): Promise<RadvisorError> {
    try {
      await kubernetes.poll()
    } catch (error) {
      if (error instanceof RadvisorError) return error
      throw error
    }
    throw new Error('poll() succeeded')
  }

  test('lists the pods of this node by fieldSelector and makes the running ones targets', async () => {
    const { provider: kubernetes } = await ready()
    const targets = await kubernetes.poll()
    const list = api.requests.at(-1)!
    expect(list.path).toBe('/api/v1/pods')
    expect(list.query.get('fieldSelector')).toBe('spec.nodeName=worker-1')
    expect(targets.map((t) => t.id).sort()).toEqual([...worker1Pods].sort())
    expect(targets.every((t) => t.provider === 'kubernetes' && t.metadata.NodeName === 'worker-1')).toBe(true)
  })

  test('container granularity gives one target per running container', async () => {
    const { provider: kubernetes } = await ready({ granularity: 'container' })
    const names = (await kubernetes.poll()).map((t) => t.name)
    expect(names).toEqual([
      'default/web-6d8f7b9c5d-x7k2p/nginx',
      'monitoring/prometheus-k8s-0/config-reloader',
      'monitoring/prometheus-k8s-0/prometheus',
      'batch/log-shipper-5f4c8d7b9-qw4zt/fluent-bit',
      'default/db-migrate-x9d4k/migrate',
    ])
  })

  test.each([
    [500, 'E_PROTOCOL', 'answered 500 Internal Server Error: mock failure 500 while listing pods of node worker-1'],
    [403, 'E_CONFIG', 'needs get, list and watch on pods and nodes'],
    [401, 'E_CONFIG', 'refused the credentials (401 Unauthorized'],
  ])('an answer of %d fails the poll with %s, and the next poll works', async (status, code, text) => {
    const { provider: kubernetes } = await ready()
    api.fail({ path: '/api/v1/pods', answer: { status } })
    const error = await pollError(kubernetes)
    expect(error.code).toBe(code as RadvisorError['code'])
    expect(error.message).toContain(text)
    expect(await kubernetes.poll()).toHaveLength(4)
  })

  test('a list cut short is not a pod list: E_PROTOCOL, showing what came', async () => {
    const { provider: kubernetes } = await ready()
    api.fail({ path: '/api/v1/pods', answer: { body: '{"kind":"PodList","items":[' } })
    const error = await pollError(kubernetes)
    expect(error.code).toBe('E_PROTOCOL')
    expect(error.message).toBe(
      `the API server at ${api.url} answered the pod list of node worker-1 with something that is not a pod list (application/json): {"kind":"PodList","items":[`,
    )
  })

  test('a list without items fails the poll with E_PROTOCOL, showing what came', async () => {
    const { provider: kubernetes } = await ready()
    api.fail({ path: '/api/v1/pods', answer: { body: '{"kind":"Status","metadata":{}}' } })
    expect((await pollError(kubernetes)).message).toBe(
      `the API server at ${api.url} answered the pod list of node worker-1 with something that is not a pod list (application/json): {"kind":"Status","metadata":{}}`,
    )
  })

  test.each([
    ['an HTML login page', { body: '<html><body>\x1b[31mSign in</body></html>\n', contentType: 'text/html' }, 'text/html'],
    ['HTML labelled as JSON', { body: '<html>maintenance</html>' }, 'application/json'],
  ])('%s is not a pod list: one escaped line says what it was', async (_, answer, contentType) => {
    const { provider: kubernetes } = await ready()
    api.fail({ path: '/api/v1/pods', answer })
    const error = await pollError(kubernetes)
    expect(error.code).toBe('E_PROTOCOL')
    const shown = answer.body.trim().replace('\x1b', '\\x1b')
    expect(error.message).toBe(
      `the API server at ${api.url} answered the pod list of node worker-1 with something that is not a pod list (${contentType}): ${shown}`,
    )
  })

  test('a 502 page from a proxy is shown shortened on one line', async () => {
    const { provider: kubernetes } = await ready()
    const page = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>${'<p>padding</p>'.repeat(50)}</body>\r\n</html>`
    api.fail({ path: '/api/v1/pods', answer: { status: 502, body: page, contentType: 'text/html' } })
    const error = await pollError(kubernetes)
    expect(error.message).toStartWith(`the API server at ${api.url} answered 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title>`)
    expect(error.message).toContain('more characters)')
    expect(error.message).toEndWith(' while listing pods of node worker-1')
    expect(error.message).not.toMatch(/[\r\n]/)
  })

  test('a pod whose uid would climb out of kubepods is skipped with one warning naming the provider', async () => {
    const pods = fixturePods().filter((pod) => (pod.spec as { nodeName: string }).nodeName === 'worker-1')
    pods[0]!.metadata!.uid = 'x/../../escaped'
    const { provider: kubernetes, logger } = await ready()
    api.fail({ path: '/api/v1/pods', answer: { body: JSON.stringify({ kind: 'PodList', metadata: {}, items: pods }) }, times: 2 })
    const ids = (await kubernetes.poll()).map((t) => t.id)
    await kubernetes.poll()
    expect(ids).toHaveLength(3)
    expect(ids).not.toContain('x/../../escaped')
    expect(logger.lines.filter((line) => line.includes('Warning'))).toEqual([
      "     Warning kubernetes: pod default/web-6d8f7b9c5d-x7k2p has a metadata.uid that is not a UUID ('x/../../escaped'); skipped",
    ])
  })

  test('a slow list within the timeout is waited for', async () => {
    const { provider: kubernetes } = await ready()
    api.fail({ path: '/api/v1/pods', answer: { delayMs: 300 } })
    expect(await kubernetes.poll()).toHaveLength(4)
  })

  test('a list of 5,000 generated pods is taken whole', async () => {
    const { provider: kubernetes } = await ready()
    api.generatePods(5000, 'worker-1')
    const targets = await kubernetes.poll()
    expect(targets).toHaveLength(5004)
    expect(targets.at(-1)!.id).toBe(MockKubernetesApi.generatedUid(4999))
  })

  test('list entries that are not pods are reported once and skipped', async () => {
    const { provider: kubernetes, logger } = await ready()
    const body = JSON.stringify({ kind: 'PodList', metadata: {}, items: ['x', fixturePods()[0]] })
    api.fail({ path: '/api/v1/pods', answer: { body }, times: 2 })
    expect((await kubernetes.poll()).map((t) => t.id)).toEqual([worker1Pods[0]!])
    await kubernetes.poll()
    expect(logger.lines.filter((line) => line.includes('an entry without metadata'))).toHaveLength(1)
  })

  test('a server that does not answer: the poll times out with E_CONNECT', async () => {
    const { provider: kubernetes } = await ready({}, { requestTimeoutMs: 200 })
    api.fail({ path: '/api/v1/pods', answer: 'hang' })
    const error = await pollError(kubernetes)
    expect(error.code).toBe('E_CONNECT')
    expect(error.message).toContain('no answer in time (timed out)')
  })

  test('pods without a QoS class or uid are reported once, by name, and the others still listed', async () => {
    const pods = fixturePods().filter((pod) => (pod.spec as { nodeName: string }).nodeName === 'worker-1')
    delete (pods[0]!.status as { qosClass?: string }).qosClass
    delete pods[1]!.metadata!.uid
    const { provider: kubernetes, logger } = await ready()
    api.fail({ path: '/api/v1/pods', answer: { body: JSON.stringify({ kind: 'PodList', metadata: {}, items: pods }) }, times: 2 })
    expect((await kubernetes.poll()).map((t) => t.id).sort()).toEqual([worker1Pods[2]!, worker1Pods[3]!].sort())
    await kubernetes.poll()
    const warnings = logger.lines.filter((line) => line.includes('Warning'))
    expect(warnings).toEqual([
      '     Warning kubernetes: pod default/web-6d8f7b9c5d-x7k2p has no QoS class (status.qosClass); skipped',
      '     Warning kubernetes: pod monitoring/prometheus-k8s-0 has no metadata.uid; skipped',
    ])
  })

  test('poll before init is an internal error, not a crash', async () => {
    const { provider: kubernetes } = provider(api)
    await expect(kubernetes.poll()).rejects.toThrow('the provider was used before init()')
  })
})
