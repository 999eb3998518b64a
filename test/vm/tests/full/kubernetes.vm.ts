/**
 * `radvisor run kubernetes` on a real cgroup v2 kernel with systemd, without a cluster: the pod
 * cgroups are made through systemd exactly as kubelet's and containerd's systemd cgroup driver
 * make them (slices `kubepods-<qos>-pod<uid_>.slice` with the pod's CPU weight and limits, one
 * `cri-containerd-<id>.scope` per container and one for the sandbox), and `MockKubernetesApi`
 * of @radvisor/testing serves the pods over TLS with a client certificate. The mock runs in the
 * guest, in this process: the guest has no network device, and the test adds a pod mid-run
 * where it also makes its cgroups.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes, randomUUID } from 'node:crypto'
import * as fs from 'node:fs'
import { join } from 'node:path'
// The Kubernetes part of @radvisor/testing only: the package index also loads the Docker mock,
// which reads its fixtures from the repository at import time, and the guest has no repository.
import { type KubeObject, MockKubernetesApi } from '../../../../packages/testing/src/kubernetes/index.ts'
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
const MiB = 1024 * 1024

interface ContainerSpec {
  readonly name: string
  /** CPU limit in cores (CPUQuota), none when absent. */
  readonly cpu?: number
  /** Memory limit in bytes (MemoryMax), none when absent. */
  readonly memory?: number
  /** A busy loop (else asleep). */
  readonly busy?: boolean
}

interface Pod {
  readonly name: string
  readonly uid: string
  readonly qos: 'Guaranteed' | 'Burstable' | 'BestEffort'
  /** The pod's cgroup relative to the root, as kubelet makes it. */
  readonly cgroup: string
  readonly sandboxId: string
  readonly containers: readonly (ContainerSpec & { readonly id: string })[]
  /** The pod-level limits kubelet sets on the slice: the sums of its containers' limits. */
  readonly cpu: number | null
  readonly memory: number | null
  readonly processes: ReturnType<typeof Bun.spawn>[]
}

/** The pod slice as kubelet's systemd driver names it (`-` in the uid becomes `_`), and its cgroup. */
function podSlice(qos: Pod['qos'], uid: string): { slice: string; cgroup: string } {
  const pod = `pod${uid.replaceAll('-', '_')}`
  if (qos === 'Guaranteed') return { slice: `kubepods-${pod}.slice`, cgroup: `kubepods.slice/kubepods-${pod}.slice` }
  const parent = `kubepods-${qos.toLowerCase()}`
  return { slice: `${parent}-${pod}.slice`, cgroup: `kubepods.slice/${parent}.slice/${parent}-${pod}.slice` }
}

/** systemd properties of a cgroup with these limits; CPUWeight=1 is kubelet's minimum (BestEffort). */
function properties(cpu: number | null | undefined, memory: number | null | undefined): string[] {
  return [
    `CPUWeight=${cpu ? Math.max(1, Math.round(cpu * 39)) : 1}`,
    ...(cpu ? [`CPUQuota=${Math.round(cpu * 100)}%`] : []),
    ...(memory ? [`MemoryMax=${memory}`] : []),
  ]
}

/** A scope in `slice` as containerd's systemd driver makes it, running `command`. */
function startScope(slice: string, id: string, settings: string[], command: string[]): ReturnType<typeof Bun.spawn> {
  const args = ['systemd-run', '--quiet', '--scope', '--unit', `cri-containerd-${id}.scope`, '--slice', slice, ...settings.flatMap((setting) => ['-p', setting])]
  return Bun.spawn([...args, ...command], { stdout: 'ignore', stderr: 'inherit' })
}

/** Makes the pod's cgroups (a sandbox and its containers) and waits until all their processes are in. */
async function startPod(name: string, qos: Pod['qos'], specs: ContainerSpec[]): Promise<Pod> {
  const uid = randomUUID()
  const { slice, cgroup } = podSlice(qos, uid)
  const sum = (values: (number | undefined)[]) => (values.every((value) => value !== undefined) ? values.reduce((a, b) => a! + b!, 0)! : null)
  const cpu = qos === 'BestEffort' ? null : sum(specs.map((spec) => spec.cpu))
  const memory = qos === 'BestEffort' ? null : sum(specs.map((spec) => spec.memory))
  const sandboxId = randomBytes(32).toString('hex')
  const containers = specs.map((spec) => ({ ...spec, id: randomBytes(32).toString('hex') }))
  const processes = [
    startScope(slice, sandboxId, properties(null, null), ['sleep', '3600']),
    ...containers.map((container) =>
      startScope(slice, container.id, properties(container.cpu, container.memory), container.busy ? ['sh', '-c', 'while :; do :; done'] : ['sleep', '3600']),
    ),
  ]
  const deadline = performance.now() + 60_000
  while (!(fs.existsSync(join('/sys/fs/cgroup', cgroup)) && kernelValue(cgroup, 'pids.current') === String(processes.length))) {
    if (performance.now() > deadline) throw new Error(`the cgroups of pod ${name} did not appear`)
    await Bun.sleep(50)
  }
  await run('systemctl', 'set-property', '--runtime', slice, ...properties(cpu, memory))
  return { name, uid, qos, cgroup, sandboxId, containers, cpu, memory, processes }
}

/** The pod as the API server lists it for this node. */
function podObject(pod: Pod): KubeObject {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod.name, namespace: 'default', uid: pod.uid, creationTimestamp: now, labels: { app: pod.name } },
    spec: { nodeName: NODE, containers: pod.containers.map(({ name }) => ({ name, image: 'busybox' })) },
    status: {
      phase: 'Running',
      qosClass: pod.qos,
      hostIP: '127.0.0.1',
      startTime: now,
      containerStatuses: pod.containers.map(({ name, id }) => ({
        name,
        image: 'busybox',
        containerID: `containerd://${id}`,
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
      })),
    },
  } as KubeObject
}

const busy = (pod: Pod) => pod.containers.some((container) => container.busy)
let api: MockKubernetesApi
let folder = ''
let kubeconfig = ''
const pods: Pod[] = []

beforeAll(async () => {
  folder = fs.mkdtempSync('/tmp/radvisor-vm-kubernetes-')
  pods.push(
    await startPod('guaranteed', 'Guaranteed', [{ name: 'main', cpu: 0.5, memory: 128 * MiB }]),
    await startPod('burstable', 'Burstable', [
      { name: 'main', cpu: 0.2, memory: 64 * MiB, busy: true },
      { name: 'sidecar', cpu: 0.2, memory: 64 * MiB },
    ]),
    await startPod('besteffort', 'BestEffort', [{ name: 'main' }]),
  )
  api = await MockKubernetesApi.start({
    tls: 'client-cert',
    nodes: [{ apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, uid: randomUUID(), labels: { 'kubernetes.io/hostname': NODE } } } as KubeObject],
    pods: pods.map(podObject),
  })
  kubeconfig = api.writeKubeconfig(join(folder, 'kubeconfig'))
}, 180_000)

afterAll(async () => {
  await api?.close()
  await run('systemctl', 'stop', 'kubepods.slice').catch(() => {})
  for (const pod of pods) for (const process of pod.processes) process.kill('SIGKILL')
}, 60_000)

describe('kubelet pod slices of every QoS class', () => {
  test('--granularity pod: one log per pod from its slice, with its limits and the kernel values, and a pod added mid-run', async () => {
    const directory = join(folder, 'pods')
    // No --node-name: the node is the one labelled with this host's name, as kubelet labels it.
    const collector = radvisor(['run', 'kubernetes', '--kube-config', kubeconfig, '-d', directory, '--poll', '1s', '--flush-every', '200ms', '--color', 'never'])
    try {
      for (const pod of pods) await waitForLog(directory, pod.uid, busy(pod) ? 40 : 10, 120_000)
      const late = await startPod('late', 'BestEffort', [{ name: 'main' }])
      pods.push(late)
      api.addPod(podObject(late))
      await waitForLog(directory, late.uid, 5, 60_000)
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
      expect(CollectorMetadata.CpuQuota).toBe(pod.cpu)
      expect(Metadata.QosClass).toBe(pod.qos)
      expect(Metadata.NodeName).toBe(NODE)
      // The sandbox and each container.
      expect(last(log, 'pids.current')).toBe(String(pod.containers.length + 1))
      expect(last(log, 'memory.max')).toBe(pod.memory === null ? 'max' : String(pod.memory))
      if (busy(pod)) {
        // The container's own 0.2 limit holds it below the pod's 0.4.
        expect(coresUsed(log)).toBeWithin(0.12, 0.23)
      } else {
        // Only sleepers: the counters stand still, so the last row is what the kernel says now.
        expect(last(log, 'cpu.stat/usage_usec')).toBe(kernelValue(pod.cgroup, 'cpu.stat', 'usage_usec'))
      }
      expectPressureAndEvents(pod.cgroup)
    }
  }, 400_000)

  test('--granularity container: one log per container scope with its limits, never the sandbox', async () => {
    const directory = join(folder, 'containers')
    const containers = pods.flatMap((pod) => pod.containers.map((container) => ({ pod, container })))
    const collector = radvisor(['run', 'kubernetes', '--kube-config', kubeconfig, '--node-name', NODE, '--granularity', 'container', '-d', directory, '--poll', '1s', '--flush-every', '200ms', '--color', 'never'])
    try {
      for (const { container } of containers) await waitForLog(directory, container.id, container.busy ? 40 : 10, 120_000)
    } finally {
      await stopRadvisor(collector)
    }
    const files = fs.readdirSync(directory)
    expect(files).toHaveLength(containers.length)
    for (const pod of pods) expect(files.some((file) => file.startsWith(pod.sandboxId))).toBe(false)
    for (const { pod, container } of containers) {
      const log = readLog(await waitForLog(directory, container.id, 1, 0))
      const scope = `${pod.cgroup}/cri-containerd-${container.id}.scope`
      const { CollectorMetadata, Metadata } = header(log)
      expect(CollectorMetadata.Cgroup).toBe(scope)
      expect(CollectorMetadata.CpuQuota).toBe(container.cpu ?? null)
      expect(Metadata.ContainerId).toBe(container.id)
      expect(Metadata.ContainerName).toBe(container.name)
      expect(last(log, 'pids.current')).toBe('1')
      expect(last(log, 'memory.max')).toBe(container.memory === undefined ? 'max' : String(container.memory))
      if (container.busy) {
        expect(coresUsed(log)).toBeWithin(0.12, 0.23)
        expect(Number(last(log, 'cpu.stat/nr_throttled'))).toBeGreaterThan(0)
      } else {
        expect(last(log, 'cpu.stat/usage_usec')).toBe(kernelValue(scope, 'cpu.stat', 'usage_usec'))
      }
    }
  }, 400_000)
})
