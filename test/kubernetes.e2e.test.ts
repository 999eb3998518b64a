/**
 * End to end for `radvisor run kubernetes`, without a cluster: the mock API server of
 * `@radvisor/testing` over TLS with a client certificate, and the cgroup trees of
 * `fixtures/kubernetes/cgroup/<layout>/` (pods of `fixtures/kubernetes/pods.json` as the
 * kubelet lays them out on cgroup v1 with either driver and on cgroup v2). First the
 * provider wired to the real runner and cgroup collectors on a fake cgroupfs; then the
 * CLI itself, reading the trees on disk and writing CSVY logs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as nodeFs from 'node:fs'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { createCollectorFactory } from '@radvisor/cgroup'
import { type LogHeader, LossLedger, memoryLogger, Runner, type Sink, systemClock, type Target } from '@radvisor/core'
import { KubernetesProvider } from '@radvisor/provider-kubernetes'
import { createFakeCgroupFs, type KubeObject, MockKubernetesApi } from '@radvisor/testing'
import nodeList from '../fixtures/kubernetes/nodes.json'
import podList from '../fixtures/kubernetes/pods.json'
import { exited, radvisor as startRadvisor } from './_support.ts'

/** The parts of the fixture pods these tests read. */
interface FixturePod {
  metadata: { name: string; uid: string }
  spec: { nodeName: string }
  status: {
    phase: string
    qosClass: string
    initContainerStatuses?: { state: Record<string, unknown>; containerID?: string }[]
    containerStatuses?: { state: Record<string, unknown>; containerID?: string }[]
  }
}
const fixturePods = podList.items as unknown as (FixturePod & KubeObject)[]

const REPO = resolve(import.meta.dir, '..')
const RADVISOR = join(REPO, 'node_modules/.bin/radvisor')
const FIXTURES = join(REPO, 'fixtures/kubernetes/cgroup')

/** Each layout, the node whose pods it holds, and what the collectors must find there. */
const layouts = [
  { name: 'v1-cgroupfs', node: 'worker-1', collector: 'cgroup_v1', driver: 'cgroupfs' },
  { name: 'v1-systemd', node: 'worker-1', collector: 'cgroup_v1', driver: 'systemd' },
  { name: 'v2-systemd', node: 'worker-2', collector: 'cgroup_v2', driver: 'systemd' },
] as const

/** The pods of `node` that run (and so have a cgroup), by uid, with their QoS class. */
function runningPods(node: string): Map<string, string> {
  const pods = fixturePods.filter(
    (pod) =>
      pod.spec.nodeName === node &&
      (pod.status.phase === 'Running' || (pod.status.initContainerStatuses ?? []).some((s) => 'running' in s.state)),
  )
  return new Map(pods.map((pod) => [pod.metadata.uid, pod.status.qosClass]))
}

/** Container ids of the running containers of `node`'s pods. */
function runningContainers(node: string): string[] {
  return fixturePods
    .filter((pod) => pod.spec.nodeName === node)
    .flatMap((pod) => [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])])
    .filter((status) => 'running' in status.state && status.containerID)
    .map((status) => status.containerID!.replace(/^[a-z-]+:\/\//, ''))
}

/** A sink that remembers what it was given, and when. */
function recordingSink() {
  const opened = new Map<string, { header: LogHeader; at: number }>()
  const closed = new Map<string, number>()
  const rows = new Map<string, number>()
  const sink: Sink = {
    name: 'recording',
    open: (target: Target, header: LogHeader) => {
      opened.set(target.id, { header, at: performance.now() })
      return {
        write: () => void rows.set(target.id, (rows.get(target.id) ?? 0) + 1),
        close: () => void closed.set(target.id, performance.now()),
      }
    },
    flush: () => {},
    close: () => {},
  }
  return { sink, opened, closed, rows }
}

async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} not within ${timeoutMs}ms`)
    await Bun.sleep(2)
  }
}

let api: MockKubernetesApi
let folder: string
let kubeconfig: string
beforeAll(async () => {
  api = await MockKubernetesApi.start({
    tls: 'client-cert',
    nodes: nodeList.items as unknown as KubeObject[],
    pods: fixturePods,
  })
  folder = mkdtempSync(join(tmpdir(), 'radvisor-k8s-e2e-'))
  kubeconfig = api.writeKubeconfig(join(folder, 'kubeconfig'))
})
afterAll(async () => {
  await api.close()
  rmSync(folder, { recursive: true, force: true })
})

/** The provider, runner and recording sink on a fake cgroupfs of `layout`. */
async function startRun(layout: (typeof layouts)[number], granularity: 'pod' | 'container', pollMs = 60_000) {
  const cgroupfs = createFakeCgroupFs(join(FIXTURES, layout.name))
  const logger = memoryLogger()
  const provider = new KubernetesProvider(
    { kubeConfig: kubeconfig, nodeName: layout.node, granularity },
    { logger, clock: systemClock, fs: nodeFs, env: {}, homeDir: folder, hostname: 'unused' },
  )
  await provider.init()
  const collectors = createCollectorFactory({ root: cgroupfs.root, fs: cgroupfs.fs, logger, clock: systemClock })
  const recording = recordingSink()
  const runner = new Runner({
    provider,
    collectors,
    sinks: [recording.sink],
    logger,
    losses: new LossLedger(),
    version: 'test',
    intervalMs: 50,
    pollMs,
    flushEveryMs: 60_000,
  })
  await runner.start()
  return { runner, cgroupfs, logger, ...recording }
}

describe.each(layouts)('pods on $name', (layout) => {
  test('every running pod, of every QoS class, is collected from its kubelet cgroup', async () => {
    const run = await startRun(layout, 'pod')
    try {
      const pods = runningPods(layout.node)
      expect(new Set(pods.values())).toEqual(new Set(['Guaranteed', 'Burstable', 'BestEffort']))
      expect([...run.opened.keys()].sort()).toEqual([...pods.keys()].sort())
      for (const [uid, qos] of pods) {
        const { collector } = run.opened.get(uid)!.header
        expect(collector.type).toBe(layout.collector)
        expect(collector.driver).toBe(layout.driver)
        const folder = layout.driver === 'systemd' ? `pod${uid.replaceAll('-', '_')}.slice` : `pod${uid}`
        expect(collector.cgroup).toEndWith(folder)
        // Guaranteed pods sit directly under kubepods, the others under their QoS class.
        expect(collector.cgroup.includes(qos.toLowerCase())).toBe(qos !== 'Guaranteed')
      }
      await eventually(() => [...pods.keys()].every((uid) => (run.rows.get(uid) ?? 0) >= 2), 1000, 'rows for every pod')
      expect(run.logger.lines.filter((line) => line.includes('Warning'))).toEqual([])
    } finally {
      await run.runner.stop()
    }
  })

  test('container granularity: every running container, never the sandbox or crio-conmon cgroups', async () => {
    const run = await startRun(layout, 'container')
    try {
      const containers = runningContainers(layout.node)
      expect([...run.opened.keys()].sort()).toEqual([...containers].sort())
      for (const id of containers) {
        const { cgroup } = run.opened.get(id)!.header.collector
        const folder = layout.driver === 'cgroupfs' ? id : layout.name === 'v2-systemd' ? `crio-${id}.scope` : `cri-containerd-${id}.scope`
        expect(cgroup).toEndWith(`/${folder}`)
      }
    } finally {
      await run.runner.stop()
    }
  })
})

describe('the watch', () => {
  test('a pod created mid-run is collected within 250 ms, and stopped within 250 ms of its deletion', async () => {
    const layout = layouts[2]
    const run = await startRun(layout, 'pod')
    const uid = '9e4b2d7c-3f1a-4e8b-a6c5-1d7f3b9e2a48'
    try {
      await api.waitForWatch()
      // The kubelet makes the pod's cgroup before the API server reports it running.
      const slice = `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid.replaceAll('-', '_')}.slice`
      const template = join(FIXTURES, 'v2-systemd/root/kubepods.slice/kubepods-besteffort.slice')
      const source = readdirSync(template).find((name) => name.endsWith('.slice'))!
      for (const file of readdirSync(join(template, source), { withFileTypes: true })) {
        if (file.isFile()) run.cgroupfs.write(`${slice}/${file.name}`, readFileSync(join(template, source, file.name), 'utf8'))
      }
      const pod = structuredClone(fixturePods.find((p) => p.metadata.name === 'sleeper')!)
      pod.metadata = { ...pod.metadata, name: 'late-arrival', uid }

      const added = performance.now()
      api.addPod(pod)
      await eventually(() => run.opened.has(uid), 250, 'collection of the new pod')
      expect(run.opened.get(uid)!.at - added).toBeLessThan(250)

      const deleted = performance.now()
      api.deletePod(uid)
      await eventually(() => run.closed.has(uid), 250, 'the end of collection of the deleted pod')
      expect(run.closed.get(uid)! - deleted).toBeLessThan(250)
    } finally {
      await run.runner.stop()
    }
  })
})

/** Runs the radvisor CLI to completion and returns its exit code and stderr. */
async function radvisor(args: string[], nodeName?: string): Promise<{ code: number; stderr: string }> {
  const { NODE_NAME: _, ...env } = process.env
  const child = Bun.spawn([RADVISOR, ...args], {
    cwd: REPO,
    // The bin's shebang is `env bun`: put the workspace's bun on PATH.
    env: {
      ...env,
      ...(nodeName ? { NODE_NAME: nodeName } : {}),
      NO_COLOR: '1',
      PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
    },
    stdout: 'ignore',
    stderr: 'pipe',
  })
  const stderr = await new Response(child.stderr).text()
  return { code: await child.exited, stderr }
}

/** The CSVY logs in `directory`: file name -> text. */
function logs(directory: string): Map<string, string> {
  return new Map(readdirSync(directory).map((name) => [name, readFileSync(join(directory, name), 'utf8')]))
}

describe('radvisor run kubernetes', () => {
  test(
    'writes one CSVY log per pod, named <uid>_<seconds>.log, with the pod metadata in its header; a pod added mid-run gets one too',
    async () => {
      // A copy of the tree, so that the new pod's cgroup can be made while radvisor runs.
      const root = join(folder, 'cgroup-v1-systemd')
      cpSync(join(FIXTURES, 'v1-systemd/root'), root, { recursive: true, verbatimSymlinks: true })
      const directory = join(folder, 'logs')
      const run = startRadvisor(['run', 'kubernetes', '--kube-config', kubeconfig, '--cgroup-root', root, '--duration', '3s', '-d', directory], {
        NODE_NAME: 'worker-1',
        NO_COLOR: '1',
      })

      const uid = 'b6d1f4a9-2c8e-4b7d-9e3a-5f0c7a2d1e86'
      const slice = `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid.replaceAll('-', '_')}.slice`
      const shipper = 'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podf47ac10b_58cc_4372_a567_0e02b2c3d479.slice'
      // Collection has begun (first list done, watch started): the pod added now is new to it.
      await run.waitFor('Beginning collection every', 5000)
      for (const controller of ['cpu,cpuacct', 'memory', 'pids', 'blkio']) {
        for (const file of readdirSync(join(root, controller, shipper), { withFileTypes: true })) {
          if (file.isFile()) cpSync(join(root, controller, shipper, file.name), join(root, controller, slice, file.name))
        }
      }
      const pod = structuredClone(fixturePods.find((p) => p.metadata.name === 'log-shipper-5f4c8d7b9-qw4zt')!)
      pod.metadata = { ...pod.metadata, name: 'late-arrival', uid }
      const addedAt = BigInt(Math.round(systemClock.now() * 1e6))
      api.addPod(pod)

      const code = await exited(run.child)
      const stderr = run.stderr()
      expect(stderr).toContain('pods of node worker-1 (from NODE_NAME)')
      expect(code).toBe(0)
      const written = logs(directory)
      const expected = [...runningPods('worker-1').keys(), uid]
      expect([...written.keys()].map((name) => name.replace(/_\d+\.log$/, '')).sort()).toEqual(expected.sort())
      for (const name of written.keys()) expect(name).toMatch(/^[0-9a-f-]{36}_\d{10}\.log$/)

      const guaranteed = [...written].find(([name]) => name.startsWith('8a1f3c52-5b7e-4d2a-9c1e-3f6b8d2a7e41'))![1]
      const header = guaranteed.split('\n---\n')[0]!
      expect(header).toStartWith('---\n')
      expect(header).toContain('Provider: kubernetes')
      const metadata = header.slice(header.indexOf('Metadata:\n'), header.indexOf('PerfTable:'))
      expect(metadata).toBe(
        [
          'Metadata:',
          '  Uid: 8a1f3c52-5b7e-4d2a-9c1e-3f6b8d2a7e41',
          '  Name: web-6d8f7b9c5d-x7k2p',
          '  CreatedAt: "2024-05-02T08:14:03Z"',
          '  Labels:',
          '    app: web',
          '    pod-template-hash: 6d8f7b9c5d',
          '  Namespace: default',
          '  NodeName: worker-1',
          '  HostIp: 10.0.0.11',
          '  Phase: Running',
          '  QosClass: Guaranteed',
          '  StartedAt: "2024-05-02T08:14:03Z"',
          '',
        ].join('\n'),
      )
      expect(header).toContain('CollectorType: cgroup_v1')
      expect(header).toContain('CgroupDriver: systemd')
      // Rows follow the CSV header: about 3 s at 50 ms.
      const rows = guaranteed.split('\n---\n')[1]!.trim().split('\n').slice(1)
      expect(rows.length).toBeGreaterThan(20)

      // The pod added mid-run: collection began within 250 ms of its creation.
      const late = [...written].find(([name]) => name.startsWith(uid))![1]
      const initializedAt = BigInt(/InitializedAt: (\d+)/.exec(late)![1]!)
      expect(Number(initializedAt - addedAt) / 1e6).toBeLessThan(250)
    },
    { timeout: 15_000 },
  )

  test('on the other layouts too (cgroup v1 with cgroupfs, cgroup v2 with CRI-O), every running pod gets a log', async () => {
    const runs = layouts
      .filter((layout) => layout.name !== 'v1-systemd')
      .map(async (layout) => {
        const directory = join(folder, `logs-${layout.name}`)
        const root = join(FIXTURES, layout.name, 'root')
        const { code } = await radvisor(['run', 'kubernetes', '--kube-config', kubeconfig, '--cgroup-root', root, '--duration', '1s', '-d', directory], layout.node)
        expect(code).toBe(0)
        const written = logs(directory)
        expect([...written.keys()].map((name) => name.replace(/_\d+\.log$/, '')).sort()).toEqual([...runningPods(layout.node).keys()].sort())
        for (const text of written.values()) expect(text).toContain(`CollectorType: ${layout.collector}`)
      })
    await Promise.all(runs)
  })

  test('an unreachable API server: exit 1 with one line naming the server', async () => {
    const unreachable = join(folder, 'unreachable')
    nodeFs.writeFileSync(
      unreachable,
      JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:9' } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    )
    const { code, stderr } = await radvisor(['run', 'kubernetes', '--kube-config', unreachable, '--node-name', 'worker-1', '-d', join(folder, 'none')])
    expect(code).toBe(1)
    const errors = stderr.split('\n').filter((line) => line.startsWith('[radvisor]'))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toStartWith('[radvisor] [provider-kubernetes] cannot reach the Kubernetes API server at https://127.0.0.1:9 (reading node worker-1): ')
  })

  test('no node found: exit 1 with one line saying what was tried', async () => {
    const { code, stderr } = await radvisor(['run', 'kubernetes', '--kube-config', kubeconfig, '-d', join(folder, 'none')])
    expect(code).toBe(1)
    expect(stderr).toContain('[radvisor] [provider-kubernetes] cannot tell which node this is: --node-name not given, NODE_NAME not set, and no node has the label kubernetes.io/hostname=')
  })
})
