import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { RadvisorError } from '@radvisor/core'
import type { MockKubernetesApi } from '@radvisor/testing'
import { fixtureNodes, startMock, testProvider } from './_support.ts'

let api: MockKubernetesApi
beforeAll(async () => {
  api = await startMock()
})
afterAll(() => api.close())

/** Initializes a provider and returns the node line it logged, or the error it threw. */
async function detect(nodeName: string | undefined, env: Record<string, string>, hostname: string) {
  const { provider, logger, dispose } = testProvider(api, { nodeName }, { env, hostname })
  try {
    await provider.init()
    return { line: logger.lines.find((line) => line.includes('Connected')) ?? '', error: null }
  } catch (error) {
    if (!(error instanceof RadvisorError)) throw error
    return { line: '', error }
  } finally {
    await dispose()
  }
}

describe('node detection', () => {
  test('--node-name, checked to exist', async () => {
    const { line } = await detect('worker-2', {}, 'elsewhere')
    expect(line).toContain('pods of node worker-2 (from --node-name)')
    expect(api.requests.at(-1)?.path).toBe('/api/v1/nodes/worker-2')
  })

  test('--node-name wins over NODE_NAME', async () => {
    expect((await detect('worker-2', { NODE_NAME: 'worker-1' }, 'elsewhere')).line).toContain('node worker-2 (from --node-name)')
  })

  test('NODE_NAME when --node-name is not given', async () => {
    expect((await detect(undefined, { NODE_NAME: 'worker-2' }, 'elsewhere')).line).toContain('node worker-2 (from NODE_NAME)')
  })

  test('else the node labelled kubernetes.io/hostname=<host name>, lowercased as the kubelet does', async () => {
    const { line } = await detect(undefined, {}, 'Worker-2')
    expect(line).toContain('node worker-2 (from label kubernetes.io/hostname=worker-2)')
    expect(api.requests.at(-1)?.query.get('labelSelector')).toBe('kubernetes.io/hostname=worker-2')
  })

  test('a --node-name that does not exist: E_NOT_FOUND naming it and its source', async () => {
    const { error } = await detect('worker-9', {}, 'worker-1')
    expect(error?.code).toBe('E_NOT_FOUND')
    expect(error?.message).toBe(`node 'worker-9' (from --node-name) does not exist in the cluster at ${api.url}; check --node-name`)
  })

  test('a NODE_NAME that does not exist: E_NOT_FOUND naming NODE_NAME', async () => {
    const { error } = await detect(undefined, { NODE_NAME: 'worker-9' }, 'worker-1')
    expect(error?.message).toContain("node 'worker-9' (from NODE_NAME) does not exist")
  })

  test('nothing found: one line saying what was tried', async () => {
    const { error } = await detect(undefined, {}, 'laptop')
    expect(error?.code).toBe('E_NOT_FOUND')
    expect(error?.message).toBe(
      `cannot tell which node this is: --node-name not given, NODE_NAME not set, and no node has the label kubernetes.io/hostname=laptop at ${api.url}; pass --node-name or set NODE_NAME`,
    )
  })

  test('several nodes with this host name: E_NOT_FOUND naming them', async () => {
    const nodes = fixtureNodes()
    for (const node of nodes) node.metadata!.labels!['kubernetes.io/hostname'] = 'twin'
    const twins = await startMock({ nodes })
    const { provider, dispose } = testProvider(twins, {}, { hostname: 'twin' })
    try {
      await expect(provider.init()).rejects.toThrow('several nodes have the label kubernetes.io/hostname=twin (worker-1, worker-2)')
    } finally {
      await dispose()
      await twins.close()
    }
  })
})
