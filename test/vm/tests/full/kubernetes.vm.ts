/**
 * `radvisor run kubernetes` on a real cgroup v2 kernel with systemd, without a cluster: the pod
 * cgroups are made through systemd exactly as kubelet's and containerd's systemd cgroup driver
 * name them (slices `kubepods-<qos>-pod<uid_>.slice`, one `cri-containerd-<id>.scope` per
 * container and one for the sandbox), and `MockKubernetesApi` of @radvisor/testing serves the
 * pods over TLS with a client certificate. The mock runs in the guest, in this process: the
 * guest has no network device, and the test adds a pod mid-run where it also makes its cgroup.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes, randomUUID } from 'node:crypto'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { type KubeObject, MockKubernetesApi } from '@radvisor/testing'
import {
  coresUsed,
  expectPressureAndEvents,
  header,
  kernelValue,
  last,
  radvisor,
  readLog,
  run,
  stopRadvisor,
  waitForLog,
} from '../_guest.ts'

const NODE = 'radvisor-vm'
const MEMORY_LIMIT = 128 * 1024 * 1024

interface Pod {
  readonly name: string
  readonly uid: string
  readonly qos: 'Guaranteed' | 'Burstable' | 'BestEffort'
  readonly slice: string
  /** The pod's cgroup relative to the root, as kubelet makes it. */
  readonly cgroup: string
  readonly sandboxId: string
  readonly containerId: string
  readonly busy: boolean
  readonly processes: ReturnType<typeof Bun.spawn>[]
}

/** The pod slice and its parents as kubelet's systemd driver names them: `-` in the uid becomes `_`. */
function podSlice(qos: Pod['qos'], uid: string): { slice: string; cgroup: string } {
  const pod = `pod${uid.replaceAll('-', '_')}`
  if (qos === 'Guaranteed') return { slice: `kubepods-${pod}.slice`, cgroup: `kubepods.slice/kubepods-${pod}.slice` }
  const parent = `kubepods-${qos.toLowerCase()}`
  return { slice: `${parent}-${pod}.slice`, cgroup: `kubepods.slice/${parent}.slice/${parent}-${pod}.slice` }
}

/** A scope in `slice` as containerd's systemd driver makes it, running `command`. */
function startScope(slice: string, id: string, properties: string[], command: string[]): ReturnType<typeof Bun.spawn> {
  const args = ['systemd-run', '--quiet', '--scope', '--unit', `cri-containerd-${id}.scope`, '--slice', slice]
  return Bun.spawn([...args, ...properties.flatMap((property) => ['-p', property]), ...command], { stdout: 'ignore', stderr: 'inherit' })
}

/** Makes the pod's cgroups (sandbox and one container, busy at 0.2 CPU or asleep) and waits for them. */
async function startPod(name: string, qos: Pod['qos'], busy: boolean): Promise<Pod> {
  const uid = randomUUID()
  const { slice, cgroup } = podSlice(qos, uid)
  const sandboxId = randomBytes(32).toString('hex')
  const containerId = randomBytes(32).toString('hex')
  const limits = qos === 'BestEffort' ? [] : [`MemoryMax=${MEMORY_LIMIT}`]
  const processes = [
    startScope(slice, sandboxId, [], ['sleep', '3600']),
    startScope(slice, containerId, [...limits, ...(busy ? ['CPUQuota=20%'] : [])], busy ? ['sh', '-c', 'while :; do :; done'] : ['sleep', '3600']),
  ]
  const pod = { name, uid, qos, slice, cgroup, sandboxId, containerId, busy, processes }
  const deadline = performance.now() + 30_000
  while (!(fs.existsSync(join('/sys/fs/cgroup', cgroup, `cri-containerd-${containerId}.scope`)) && kernelValue(cgroup, 'pids.current') === '2')) {
    if (performance.now() > deadline) throw new Error(`the cgroups of pod ${name} did not appear`)
    await Bun.sleep(50)
  }
  // kubelet sets the pod-level limits on the slice for Guaranteed and Burstable pods.
  if (qos !== 'BestEffort') await run('systemctl', 'set-property', '--runtime', slice, `MemoryMax=${MEMORY_LIMIT}`)
  return pod
}

/** The pod as the API server lists it for this node. */
function podObject(pod: Pod): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: 'default', uid: pod.uid, creationTimestamp: now, labels: { app: pod.name } },
    spec: { nodeName: NODE, containers: [{ name: 'main', image: 'busybox' }] },
    status: {
      phase: 'Running',
      qosClass: pod.qos,
      hostIP: '127.0.0.1',
      startTime: now,
      containerStatuses: [
        { name: 'main', image: 'busybox', containerID: `containerd://${pod.containerId}`, ready: true, restartCount: 0, state: { running: { startedAt: now } } },
      ],
    },
  } as KubeObject
}

let api: MockKubernetesApi
let folder = ''
let kubeconfig = ''
const pods: Pod[] = []

beforeAll(async () => {
  folder = fs.mkdtempSync('/tmp/radvisor-vm-kubernetes-')
  pods.push(await startPod('guaranteed', 'Guaranteed', false), await startPod('burstable', 'Burstable', true), await startPod('besteffort', 'BestEffort', false))
  api = await MockKubernetesApi.start({
    tls: 'client-cert',
    nodes: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, uid: randomUUID(), labels: { 'kubernetes.io/hostname': NODE } } } as KubeObject],
    pods: pods.map(podObject),
  })
  kubeconfig = api.writeKubeconfig(join(folder, 'kubeconfig'))
}, 120_000)

afterAll(async () => {
  await api?.close()
  await run('systemctl', 'stop', 'kubepods.slice').catch(() => {})
  for (const pod of pods) for (const process of pod.processes) process.kill('SIGKILL')
}, 60_000)

describe('pod slices of every QoS class', () => {
  test('--granularity pod: one log per pod from its kubelet slice, with the kernel values, and a pod added mid-run', async () => {
    const directory = join(folder, 'pods')
    // No --node-name: the node is the one labelled with this host's name, as kubelet labels it.
    const collector = radvisor(['run', 'kubernetes', '--kube-config', kubeconfig, '-d', directory, '--poll', '1s', '--flush-every', '200ms', '--color', 'never'])
    let late: Pod
    try {
      for (const pod of pods) await waitForLog(directory, pod.uid, pod.busy ? 40 : 10, 90_000)
      late = await startPod('late', 'BestEffort', false)
      pods.push(late)
      api.addPod(podObject(late))
      await waitForLog(directory, late.uid, 5, 30_000)
      expect(collector.stderr()).not.toContain('Warning')
    } finally {
      await stopRadvisor(collector)
    }

    for (const pod of pods) {
      const log = readLog(await waitForLog(directory, pod.uid, 1, 0))
      const { Provider, CollectorType, CollectorMetadata, Metadata } = header(log)
      expect(Provider).toBe('kubernetes')
      expect(CollectorType).toBe('cgroup_v2')
      expect(CollectorMetadata.Cgroup).toBe(pod.cgroup)
      expect(CollectorMetadata.CgroupDriver).toBe('systemd')
      expect(Metadata.QosClass).toBe(pod.qos)
      expect(Metadata.NodeName).toBe(NODE)
      // Sandbox and container.
      expect(last(log, 'pids.current')).toBe('2')
      expect(last(log, 'memory.max')).toBe(pod.qos === 'BestEffort' ? 'max' : String(MEMORY_LIMIT))
      if (pod.busy) {
        expect(coresUsed(log)).toBeWithin(0.12, 0.23)
        expect(Number(last(log, 'cpu.stat/nr_throttled'))).toBe(0)
      } else {
        // Only sleepers: the counters stand still, so the last row is what the kernel says now.
        expect(last(log, 'cpu.stat/usage_usec')).toBe(kernelValue(pod.cgroup, 'cpu.stat', 'usage_usec'))
      }
      expectPressureAndEvents(pod.cgroup)
    }
  }, 300_000)

  test('--granularity container: one log per container scope, never the sandbox', async () => {
    const directory = join(folder, 'containers')
    const collector = radvisor(['run', 'kubernetes', '--kube-config', kubeconfig, '--node-name', NODE, '--granularity', 'container', '-d', directory, '--poll', '1s', '--flush-every', '200ms', '--color', 'never'])
    try {
      for (const pod of pods) await waitForLog(directory, pod.containerId, pod.busy ? 40 : 10, 90_000)
    } finally {
      await stopRadvisor(collector)
    }
    const names = fs.readdirSync(directory)
    expect(names).toHaveLength(pods.length)
    for (const pod of pods) {
      expect(names.some((name) => name.startsWith(pod.sandboxId))).toBe(false)
      const log = readLog(await waitForLog(directory, pod.containerId, 1, 0))
      const scope = `${pod.cgroup}/cri-containerd-${pod.containerId}.scope`
      const { CollectorMetadata, Metadata } = header(log)
      expect(CollectorMetadata.Cgroup).toBe(scope)
      expect(Metadata.ContainerId).toBe(pod.containerId)
      expect(Metadata.ContainerName).toBe('main')
      expect(last(log, 'pids.current')).toBe('1')
      if (pod.busy) {
        expect(CollectorMetadata.CpuQuota).toBe(0.2)
        expect(coresUsed(log)).toBeWithin(0.12, 0.23)
        expect(Number(last(log, 'cpu.stat/nr_throttled'))).toBeGreaterThan(0)
      } else {
        expect(CollectorMetadata.CpuQuota).toBeNull()
        expect(last(log, 'cpu.stat/usage_usec')).toBe(kernelValue(scope, 'cpu.stat', 'usage_usec'))
      }
    }
  }, 300_000)
})
