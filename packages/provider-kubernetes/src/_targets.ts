import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node'
import { printable, type QosClass, type Target } from '@radvisor/core'

/** What each pod becomes: one target (`pod`) or one per running container (`container`). */
export type Granularity = 'pod' | 'container'

/** Reports a pod that cannot be a target; called once per distinct problem by the caller. */
export type SkipReport = (key: string, message: string) => void

const qosClasses: Readonly<Record<string, QosClass>> = {
  Guaranteed: 'guaranteed',
  Burstable: 'burstable',
  BestEffort: 'besteffort',
}

/** Container id prefixes (`<runtime>://<id>`) and the runtime name the cgroup package expects. */
const runtimes: Readonly<Record<string, string>> = {
  containerd: 'containerd',
  'cri-o': 'cri-o',
  docker: 'docker',
}

/** A pod uid as the API server makes them; only this may become part of a cgroup path. */
const POD_UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** `<runtime>://<id>`: containerd, CRI-O and Docker all name containers by 64 hex digits. */
const CONTAINER_ID = /^([a-z0-9-]+):\/\/([0-9a-f]{64})$/

/**
 * The targets of one pod listed for this node. Pods that are not running are skipped
 * silently; pods whose data is unusable (no uid or one that is not a UUID, no or an
 * unknown QoS class, a malformed container id) are reported through `skip` with the
 * pod's name, shown escaped, and skipped: nothing from the API server reaches a cgroup
 * path unchecked.
 */
export function podTargets(pod: V1Pod, granularity: Granularity, polledAt: bigint, skip: SkipReport): Target[] {
  const namespace = pod.metadata?.namespace ?? 'default'
  const podName = pod.metadata?.name
  const name = podName ? `${namespace}/${podName}` : null
  const uid = pod.metadata?.uid
  const label = printable(name ?? (uid ? `with uid ${uid}` : 'without a name or uid'), 160)
  if (!isCollectable(pod)) return []
  if (!uid) {
    skip(`no-uid:${label}`, `pod ${label} has no metadata.uid; skipped`)
    return []
  }
  if (!POD_UID.test(uid)) {
    skip(`uid:${uid}`, `pod ${label} has a metadata.uid that is not a UUID ('${printable(uid, 80)}'); skipped`)
    return []
  }
  const qosText = pod.status?.qosClass
  const qos = qosText ? qosClasses[qosText] : undefined
  if (!qos) {
    const problem = qosText ? `an unknown QoS class '${printable(qosText, 40)}'` : 'no QoS class (status.qosClass)'
    skip(`qos:${uid}:${qosText ?? ''}`, `pod ${label} has ${problem}; skipped`)
    return []
  }

  const metadata = podMetadata(pod, uid)
  const labels = { namespace, pod: podName ?? uid }
  if (granularity === 'pod') {
    return [{ provider: 'kubernetes', id: uid, name: name ?? uid, metadata, polledAt, cgroup: { kind: 'pod', uid, qos }, labels }]
  }

  const targets: Target[] = []
  for (const status of runningContainers(pod)) {
    const parsed = parseContainerId(status.containerID!)
    if (!parsed) {
      skip(
        `container-id:${status.containerID}`,
        `container ${printable(status.name, 80)} of pod ${label} has an id that is not <runtime>://<64 hex digits> ` +
          `('${printable(status.containerID!, 80)}'; runtimes: containerd, cri-o, docker); skipped`,
      )
      continue
    }
    targets.push({
      provider: 'kubernetes',
      id: parsed.id,
      name: `${name ?? uid}/${status.name}`,
      metadata: { ...metadata, ContainerName: status.name, ContainerId: parsed.id, Image: status.image ?? null },
      polledAt,
      cgroup: { kind: 'pod-container', uid, qos, containerId: parsed.id, runtime: parsed.runtime },
      labels: { ...labels, container: status.name },
    })
  }
  return targets
}

/**
 * Running pods, and Pending pods whose sandbox already exists (a container was created,
 * or the kubelet reports `PodReadyToStartContainers`): only then has the kubelet made the
 * pod's cgroup. Should it still be missing, the collector factory says so and the runner
 * retries on the next poll. Finished pods (Succeeded, Failed) have no cgroup left.
 */
function isCollectable(pod: V1Pod): boolean {
  const phase = pod.status?.phase
  if (phase === 'Running') return true
  if (phase !== 'Pending') return false
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  if (statuses.some((status) => status.containerID)) return true
  return (pod.status?.conditions ?? []).some((c) => c.type === 'PodReadyToStartContainers' && c.status === 'True')
}

/** Containers whose cgroup exists now: created (they have an id) and running, init containers included. */
function runningContainers(pod: V1Pod): V1ContainerStatus[] {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  return statuses.filter((status) => status.containerID && status.state?.running)
}

/** Splits `containerd://<id>` into runtime and id; null for an unknown runtime or a malformed id. */
export function parseContainerId(containerId: string): { runtime: string; id: string } | null {
  const match = CONTAINER_ID.exec(containerId)
  const runtime = match ? runtimes[match[1]!] : undefined
  return runtime ? { runtime, id: match![2]! } : null
}

/** The log header's `Metadata` for a pod, keys in radvisor's order; absent values are null. */
function podMetadata(pod: V1Pod, uid: string): Record<string, unknown> {
  return {
    Uid: uid,
    Name: pod.metadata?.name ?? null,
    CreatedAt: timestamp(pod.metadata?.creationTimestamp),
    Labels: { ...pod.metadata?.labels },
    Namespace: pod.metadata?.namespace ?? null,
    NodeName: pod.spec?.nodeName ?? null,
    HostIp: pod.status?.hostIP ?? null,
    Phase: pod.status?.phase ?? null,
    QosClass: pod.status?.qosClass ?? null,
    StartedAt: timestamp(pod.status?.startTime),
  }
}

/** RFC 3339 as the API server writes it (`2024-05-01T10:00:00Z`); the client parsed it into a Date. */
function timestamp(value: Date | string | undefined): string | null {
  if (value === undefined || value === null) return null
  const date = value instanceof Date ? value : new Date(value)
  if (Number.isNaN(date.getTime())) return null
  return date.toISOString().replace('.000Z', 'Z')
}
