import * as nodeFs from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { V1Pod } from '@kubernetes/client-node'
import { memoryLogger, systemClock } from '@radvisor/core'
import { type KubeObject, MockKubernetesApi, type MockKubernetesOptions } from '@radvisor/testing'
import nodeList from '../../../fixtures/kubernetes/nodes.json'
import podList from '../../../fixtures/kubernetes/pods.json'
import { type KubernetesEnvironment, type KubernetesOptions, KubernetesProvider } from '../src/provider.ts'

/** The fixture pods, fresh copies each call (tests change them). */
export function fixturePods(): KubeObject[] {
  return structuredClone(podList.items) as unknown as KubeObject[]
}

export function fixtureNodes(): KubeObject[] {
  return structuredClone(nodeList.items) as unknown as KubeObject[]
}

/** A fixture pod by name, as the client would have parsed it (timestamps as Dates). */
export function fixturePod(name: string): V1Pod {
  const pod = podList.items.find((item) => item.metadata.name === name)
  if (!pod) throw new Error(`no fixture pod ${name}`)
  const copy = structuredClone(pod) as unknown as V1Pod & { metadata: { creationTimestamp: unknown }; status: { startTime: unknown } }
  copy.metadata.creationTimestamp = new Date(pod.metadata.creationTimestamp)
  copy.status.startTime = new Date(pod.status.startTime)
  return copy
}

/** A temporary folder, removed by the returned `remove`. */
export function temporaryFolder(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'radvisor-k8s-test-'))
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A mock API server with the fixture nodes and pods, unless `options` says otherwise. */
export function startMock(options: MockKubernetesOptions = {}): Promise<MockKubernetesApi> {
  return MockKubernetesApi.start({ nodes: fixtureNodes(), pods: fixturePods(), ...options })
}

export interface TestProvider {
  readonly provider: KubernetesProvider
  readonly logger: ReturnType<typeof memoryLogger>
  readonly folder: string
  /** Closes the provider and removes the temporary folder. */
  dispose(): Promise<void>
}

/**
 * A provider configured by a kubeconfig the mock wrote (unless `environment` or `options`
 * say otherwise), with no real home folder, environment or host name.
 */
export function testProvider(
  api: MockKubernetesApi | null,
  options: Partial<KubernetesOptions> = {},
  environment: Partial<KubernetesEnvironment> = {},
): TestProvider {
  const folder = temporaryFolder()
  const logger = memoryLogger()
  const kubeConfig = options.kubeConfig ?? (api ? api.writeKubeconfig(join(folder.path, 'kubeconfig')) : undefined)
  const provider = new KubernetesProvider(
    { granularity: 'pod', ...options, kubeConfig },
    {
      logger,
      clock: systemClock,
      fs: nodeFs,
      env: {},
      homeDir: folder.path,
      hostname: 'worker-1',
      requestTimeoutMs: 2000,
      watchBackoff: { initialMs: 20, maxMs: 200 },
      ...environment,
    },
  )
  return {
    provider,
    logger,
    folder: folder.path,
    dispose: async () => {
      await provider.close()
      folder.remove()
    },
  }
}

/** Waits until `condition` holds, checking every 5 ms; fails after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs}ms`)
    await Bun.sleep(5)
  }
}
