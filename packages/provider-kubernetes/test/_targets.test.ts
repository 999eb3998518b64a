import { describe, expect, test } from 'bun:test'
import type { V1Pod } from '@kubernetes/client-node'
import { parseContainerId, podTargets } from '../src/_targets.ts'
import { fixturePod } from './_support.ts'

const polledAt = 1_714_637_643_000_000_000n

function collect(pod: V1Pod, granularity: 'pod' | 'container' = 'pod') {
  const skipped: { key: string; message: string }[] = []
  const targets = podTargets(pod, granularity, polledAt, (key, message) => skipped.push({ key, message }))
  return { targets, skipped }
}

describe('podTargets at pod granularity', () => {
  test('a Guaranteed pod is one target named namespace/pod with its uid as id and a pod locator', () => {
    const { targets, skipped } = collect(fixturePod('web-6d8f7b9c5d-x7k2p'))
    expect(skipped).toEqual([])
    expect(targets).toEqual([
      {
        provider: 'kubernetes',
        id: '8a1f3c52-5b7e-4d2a-9c1e-3f6b8d2a7e41',
        name: 'default/web-6d8f7b9c5d-x7k2p',
        polledAt,
        cgroup: { kind: 'pod', uid: '8a1f3c52-5b7e-4d2a-9c1e-3f6b8d2a7e41', qos: 'guaranteed' },
        labels: { namespace: 'default', pod: 'web-6d8f7b9c5d-x7k2p' },
        metadata: {
          Uid: '8a1f3c52-5b7e-4d2a-9c1e-3f6b8d2a7e41',
          Name: 'web-6d8f7b9c5d-x7k2p',
          CreatedAt: '2024-05-02T08:14:03Z',
          Labels: { app: 'web', 'pod-template-hash': '6d8f7b9c5d' },
          Namespace: 'default',
          NodeName: 'worker-1',
          HostIp: '10.0.0.11',
          Phase: 'Running',
          QosClass: 'Guaranteed',
          StartedAt: '2024-05-02T08:14:03Z',
        },
      },
    ])
  })

  test('metadata keys come in radvisor order', () => {
    const [target] = collect(fixturePod('prometheus-k8s-0')).targets
    expect(Object.keys(target!.metadata)).toEqual([
      'Uid',
      'Name',
      'CreatedAt',
      'Labels',
      'Namespace',
      'NodeName',
      'HostIp',
      'Phase',
      'QosClass',
      'StartedAt',
    ])
  })

  test.each([
    ['web-6d8f7b9c5d-x7k2p', 'guaranteed'],
    ['prometheus-k8s-0', 'burstable'],
    ['log-shipper-5f4c8d7b9-qw4zt', 'besteffort'],
  ])('%s has the QoS class %s, lowercased in its locator', (name, qos) => {
    expect(collect(fixturePod(name)).targets[0]!.cgroup).toMatchObject({ kind: 'pod', qos })
  })

  test('a Pending pod whose init container runs is a target (its cgroup exists)', () => {
    expect(collect(fixturePod('db-migrate-x9d4k')).targets.map((t) => t.id)).toEqual(['2e6b8f1d-4c3a-4f7e-9b2d-6a1c5e8f3d92'])
  })

  test('a Pending pod without a sandbox, and a finished pod, are not targets and are not reported', () => {
    for (const name of ['api-7b9d6c5f4-m2ndp', 'report-28711440-8xk5m']) {
      expect(collect(fixturePod(name))).toEqual({ targets: [], skipped: [] })
    }
  })

  test('a Pending pod whose sandbox is ready (PodReadyToStartContainers) is a target', () => {
    const pod = fixturePod('api-7b9d6c5f4-m2ndp')
    pod.status!.conditions = [{ type: 'PodReadyToStartContainers', status: 'True' }]
    expect(collect(pod).targets).toHaveLength(1)
  })

  test('absent values are null in the metadata', () => {
    const pod = fixturePod('sleeper')
    delete pod.status!.hostIP
    delete pod.status!.startTime
    delete pod.metadata!.labels
    const { metadata } = collect(pod).targets[0]!
    expect(metadata).toMatchObject({ HostIp: null, StartedAt: null, Labels: {} })
  })
})

describe('podTargets reports bad pods once each and skips them', () => {
  test('a pod without uid, named in the report', () => {
    const pod = fixturePod('sleeper')
    delete pod.metadata!.uid
    const { targets, skipped } = collect(pod)
    expect(targets).toEqual([])
    expect(skipped.map((s) => s.message)).toEqual(['pod default/sleeper has no metadata.uid; skipped'])
  })

  test('a pod without a QoS class', () => {
    const pod = fixturePod('sleeper')
    delete pod.status!.qosClass
    const { targets, skipped } = collect(pod)
    expect(targets).toEqual([])
    expect(skipped[0]!.message).toBe('pod default/sleeper has no QoS class (status.qosClass); skipped')
  })

  test('a pod with an unknown QoS class', () => {
    const pod = fixturePod('sleeper')
    pod.status!.qosClass = 'Premium'
    const { targets, skipped } = collect(pod)
    expect(targets).toEqual([])
    expect(skipped[0]!.message).toBe("pod default/sleeper has an unknown QoS class 'Premium'; skipped")
  })

  test.each([
    ['a path', 'x/../../escaped', "'x/../../escaped'"],
    ['control characters', 'ab\ncd\u001b[2J', "'ab\\ncd\\x1b[2J'"],
    ['10 KB', 'a'.repeat(10_240), '…(10185 more characters)…'],
    ['an uppercase UUID', '8A1F3C52-5B7E-4D2A-9C1E-3F6B8D2A7E41', "'8A1F3C52-5B7E-4D2A-9C1E-3F6B8D2A7E41'"],
  ])('a pod whose uid is %s is skipped before the uid goes into a cgroup path', (_, uid, shown) => {
    const pod = fixturePod('sleeper')
    pod.metadata!.uid = uid
    for (const granularity of ['pod', 'container'] as const) {
      const { targets, skipped } = collect(pod, granularity)
      expect(targets).toEqual([])
      expect(skipped).toHaveLength(1)
      expect(skipped[0]!.message).toStartWith('pod default/sleeper has a metadata.uid that is not a UUID (')
      expect(skipped[0]!.message).toContain(shown)
      expect(skipped[0]!.message).not.toMatch(/[\u0000-\u001f]/)
      expect(skipped[0]!.message.length).toBeLessThan(200)
    }
  })

  test('the same problem gets the same key, so the caller reports it once', () => {
    const pod = fixturePod('sleeper')
    delete pod.status!.qosClass
    expect(collect(pod).skipped[0]!.key).toBe(collect(pod).skipped[0]!.key)
  })
})

describe('podTargets at container granularity', () => {
  test('each running container is a target with the container id and a pod-container locator', () => {
    const { targets, skipped } = collect(fixturePod('prometheus-k8s-0'), 'container')
    expect(skipped).toEqual([])
    // The init container has terminated: its cgroup is gone, so it is no target.
    expect(targets.map((t) => t.name)).toEqual(['monitoring/prometheus-k8s-0/config-reloader', 'monitoring/prometheus-k8s-0/prometheus'])
    const prometheus = targets[1]!
    const status = fixturePod('prometheus-k8s-0').status!.containerStatuses!.find((s) => s.name === 'prometheus')!
    expect(`containerd://${prometheus.id}`).toBe(status.containerID!)
    expect(prometheus.id).toMatch(/^[0-9a-f]{64}$/)
    expect(prometheus.cgroup).toEqual({
      kind: 'pod-container',
      uid: 'c3d9e1a4-7f2b-4b8e-a6d5-1e9f0c2b3a57',
      qos: 'burstable',
      containerId: prometheus.id,
      runtime: 'containerd',
    })
    expect(prometheus.labels).toEqual({ namespace: 'monitoring', pod: 'prometheus-k8s-0', container: 'prometheus' })
    expect(prometheus.metadata).toMatchObject({
      Uid: 'c3d9e1a4-7f2b-4b8e-a6d5-1e9f0c2b3a57',
      ContainerName: 'prometheus',
      ContainerId: prometheus.id,
      Image: 'quay.io/prometheus/prometheus:v2.51.2',
    })
    expect(Object.keys(prometheus.metadata).slice(-3)).toEqual(['ContainerName', 'ContainerId', 'Image'])
  })

  test('the id is the containerID without its runtime prefix', () => {
    const pod = fixturePod('node-exporter-7xq2l')
    const statuses = pod.status!.containerStatuses!
    const { targets } = collect(pod, 'container')
    expect(targets.map((t) => `cri-o://${t.id}`).sort()).toEqual(statuses.map((s) => s.containerID!).sort())
    expect(targets.every((t) => t.cgroup.kind === 'pod-container' && t.cgroup.runtime === 'cri-o')).toBe(true)
  })

  test('a running init container of a Pending pod is a target', () => {
    const { targets } = collect(fixturePod('db-migrate-x9d4k'), 'container')
    expect(targets.map((t) => t.name)).toEqual(['default/db-migrate-x9d4k/migrate'])
  })

  test.each([
    ['of an unknown runtime', `rkt://${'0'.repeat(64)}`, `'rkt://${'0'.repeat(64)}'`],
    ['with a path', `containerd://${'0'.repeat(60)}/../x`, '/../x'],
    ['of 10 KB', `containerd://${'a'.repeat(10_240)}`, 'more characters)'],
    ['too short', 'containerd://0123456789ab', "'containerd://0123456789ab'"],
  ])('a container with an id %s is reported, escaped and shortened, and skipped', (_, containerID, shown) => {
    const pod = fixturePod('sleeper')
    pod.status!.containerStatuses![0]!.containerID = containerID
    const { targets, skipped } = collect(pod, 'container')
    expect(targets).toEqual([])
    expect(skipped[0]!.message).toStartWith('container sleeper of pod default/sleeper has an id that is not <runtime>://<64 hex digits> (')
    expect(skipped[0]!.message).toContain(shown)
    expect(skipped[0]!.message.length).toBeLessThan(250)
  })
})

describe('parseContainerId', () => {
  const id = '4f1c2e7a9b3d'.repeat(6).slice(0, 64)
  test.each([
    [`containerd://${id}`, { runtime: 'containerd', id }],
    [`cri-o://${id}`, { runtime: 'cri-o', id }],
    [`docker://${id}`, { runtime: 'docker', id }],
    [`rkt://${id}`, null],
    [`containerd://${id.toUpperCase()}`, null],
    [`containerd://${id}0`, null],
    ['containerd://4f1c2e7a9b3d', null],
    ['containerd://', null],
    [id, null],
  ])('%s', (text, expected) => {
    expect(parseContainerId(text)).toEqual(expected)
  })
})
