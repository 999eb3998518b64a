/**
 * Where a target's cgroup lives, described by what the provider knows. The cgroup
 * package turns a locator into paths (drivers, QoS rules, v1/v2), so providers never
 * need to know the kernel's layout.
 */
export type CgroupLocator =
  /** A cgroup path relative to the cgroup root (or to each v1 controller's folder). */
  | { readonly kind: 'path'; readonly path: string }
  /** A Docker container by its full id: `docker/<id>` or `system.slice/docker-<id>.scope`. */
  | { readonly kind: 'docker'; readonly id: string }
  /** A Kubernetes pod by uid and QoS class (kubelet naming, both drivers). */
  | { readonly kind: 'pod'; readonly uid: string; readonly qos: QosClass }
  /** One container inside a Kubernetes pod's cgroup. */
  | {
      readonly kind: 'pod-container'
      readonly uid: string
      readonly qos: QosClass
      /** Container id without the `containerd://` style prefix. */
      readonly containerId: string
      /** The runtime from the container id prefix: `containerd`, `cri-o`, `docker`. */
      readonly runtime: string
    }

export type QosClass = 'guaranteed' | 'burstable' | 'besteffort'

/** Something radvisor samples: a container, a pod, or a bare cgroup. */
export interface Target {
  /** The provider that found it (`docker`, `kubernetes`, `cgroup`). */
  readonly provider: string
  /** Stable id, safe as a file-name prefix (container id, pod uid, escaped path). */
  readonly id: string
  /** Human name (container name, `namespace/pod`, cgroup path). */
  readonly name: string
  /** Provider metadata, written as `Metadata` in the log header. */
  readonly metadata: Readonly<Record<string, unknown>>
  /** Nanosecond Unix time of the poll that found it. */
  readonly polledAt: bigint
  /** Where its cgroup lives. */
  readonly cgroup: CgroupLocator
  /** Extra labels for sinks that label series (e.g. Prometheus: namespace, pod). */
  readonly labels?: Readonly<Record<string, string>>
}

/** A start or stop of collection for one target, as produced by `TargetPool`. */
export type CollectionEvent =
  | { readonly type: 'start'; readonly target: Target }
  | { readonly type: 'stop'; readonly target: Target }

/** Type hints for columns in the CSVY `PerfTable` (e.g. `read: {Type: epoch19}`). */
export type ColumnTypes = Readonly<Record<string, { readonly Type: string; readonly Count?: number }>>

/** What a collector tells the sinks about itself, for log headers. */
export interface CollectorInfo {
  /** `cgroup_v1` or `cgroup_v2`. */
  readonly type: string
  /** The cgroup path relative to the root (or the controller folder on v1). */
  readonly cgroup: string
  /** `cgroupfs`, `systemd`, or null where no driver applies. */
  readonly driver: string | null
  /** Column names, in order, starting with `read`. */
  readonly columns: readonly string[]
  /** PerfTable column types. */
  readonly columnTypes: ColumnTypes
  /**
   * The cgroup's CPU quota in cores when collection began (CFS quota / period, or `cpu.max`):
   * null without a quota, undefined where the collector cannot tell. Analysis needs it to
   * express CPU use as a share of the limit, and radvisor's columns do not carry it.
   */
  readonly cpuQuota?: number | null
  /**
   * Whose network the target's network counters are: `own` (a network namespace of its own,
   * or of its pod), `host` (the host's, which cannot be attributed: the cells stay empty),
   * null when that could not be told when collection began; undefined where the collector
   * reads no network counters.
   */
  readonly network?: 'own' | 'host' | null
}

/** Everything a sink needs to start a target's output. */
export interface LogHeader {
  /** radvisor's version, written as `Version`. */
  readonly version: string
  readonly target: Target
  readonly collector: CollectorInfo
  /** Nanosecond Unix time at which collection of this target began. */
  readonly initializedAt: bigint
}
