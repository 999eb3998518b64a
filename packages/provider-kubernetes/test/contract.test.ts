// The provider contract of @radvisor/testing, against the mock API server of the kit.
import { afterAll, beforeEach } from 'bun:test'
import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { resolveOptions } from '@radvisor/core'
import { type KubeObject, type MockKubernetesApi, testPluginContext, testProvider } from '@radvisor/testing'
import kubernetes from '../src/index.ts'
import { fixturePods, startMock, temporaryFolder } from './_support.ts'

const folder = temporaryFolder()
afterAll(() => folder.remove())
let api: MockKubernetesApi | null = null
let kubeconfig = ''
beforeEach(async () => {
  await api?.close()
  api = await startMock()
  kubeconfig = api.writeKubeconfig(join(folder.path, 'kubeconfig'))
})
afterAll(() => api?.close())

/** Kubeconfig of a server that is not there: a port nothing listens on. */
const unreachableConfig = join(folder.path, 'unreachable')
nodeFs.writeFileSync(
  unreachableConfig,
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'gone', cluster: { server: 'http://127.0.0.1:9', 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'radvisor', user: {} }],
    contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'radvisor' } }],
    'current-context': 'gone',
  }),
)

const create = (config: string) =>
  kubernetes.create(
    resolveOptions('kubernetes', kubernetes.options, { 'kube-config': config, 'node-name': 'worker-1' }),
    testPluginContext({ fs: nodeFs }),
  )

let added = 0
/** A running pod of worker-1 like the fixture's web pod, under a new uid. */
function newPod(): KubeObject {
  const pod = fixturePods().find((item) => (item.metadata as { name: string }).name.startsWith('web-'))!
  const serial = String(++added).padStart(12, '0')
  const metadata = pod.metadata as { name: string; uid: string }
  metadata.name = `contract-${serial}`
  metadata.uid = `00000000-0000-4000-8000-${serial}`
  return pod
}

testProvider('kubernetes', () => create(kubeconfig), {
  addTarget: () => (api!.addPod(newPod()).metadata as { uid: string }).uid,
  removeTarget: (uid) => api!.deletePod(uid),
  watches: true,
  watching: () => api!.waitForWatch(),
  failNextPoll: () => api!.fail({ path: '/api/v1/pods', watch: false, answer: { status: 500 } }),
  unreachable: () => create(unreachableConfig),
})
