import type { CgroupLocator, QosClass } from '@radvisor/core'

/** How the container runtime names cgroups: cgroupfs paths or systemd slices and scopes. */
export type CgroupDriver = 'cgroupfs' | 'systemd'

/** One place a target's cgroup may be, relative to the root (v2) or a controller folder (v1). */
export interface CgroupCandidate {
  /** The driver whose naming gives this path; null for paths given as they are. */
  readonly driver: CgroupDriver | null
  readonly path: string
}

/** A Docker container's cgroup under both drivers. */
export function dockerCgroupPaths(id: string): CgroupCandidate[] {
  return [
    { driver: 'cgroupfs', path: `docker/${id}` },
    { driver: 'systemd', path: `system.slice/docker-${id}.scope` },
  ]
}

/**
 * A Kubernetes pod's cgroup under both drivers (kubelet naming): Guaranteed pods sit
 * directly under `kubepods`, the others under their QoS class.
 */
export function podCgroupPaths(uid: string, qos: QosClass): CgroupCandidate[] {
  const parts = qos === 'guaranteed' ? ['kubepods', `pod${uid}`] : ['kubepods', qos, `pod${uid}`]
  return [
    { driver: 'cgroupfs', path: parts.join('/') },
    { driver: 'systemd', path: systemdSlicePath(parts) },
  ]
}

/**
 * systemd's slice naming: each part has `-` replaced by `_`, parts are joined
 * cumulatively with `-`, and each level gets `.slice` (`kubepods.slice/kubepods-burstable.slice/...`).
 */
export function systemdSlicePath(parts: readonly string[]): string {
  const escaped = parts.map((part) => part.replaceAll('-', '_'))
  return escaped.map((_, level) => `${escaped.slice(0, level + 1).join('-')}.slice`).join('/')
}

/** Runtime names of the scope folders they create, as in the container id prefix (`containerd://`). */
const SCOPE_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  containerd: ['cri-containerd-'],
  'cri-o': ['crio-'],
  crio: ['crio-'],
  docker: ['docker-'],
}
const ALL_SCOPE_PREFIXES = ['cri-containerd-', 'crio-', 'docker-']

/**
 * Folder names a container's cgroup may have inside its pod's cgroup: the runtime's
 * systemd scope (`cri-containerd-<id>.scope`, `crio-<id>.scope`, `docker-<id>.scope`), or
 * the bare id with the cgroupfs driver. Never cri-o's `crio-conmon-<id>.scope`, which
 * holds the container monitor, not the container.
 */
export function containerCgroupNames(containerId: string, runtime: string): string[] {
  const prefixes = SCOPE_PREFIXES[runtime] ?? ALL_SCOPE_PREFIXES
  return [...prefixes.map((prefix) => `${prefix}${containerId}.scope`), containerId]
}

/** Every path a locator's cgroup may have, in the order they are tried. */
export function candidatePaths(locator: CgroupLocator): CgroupCandidate[] {
  switch (locator.kind) {
    case 'path':
      return [{ driver: null, path: normalizePath(locator.path) }]
    case 'docker':
      return dockerCgroupPaths(locator.id)
    case 'pod':
      return podCgroupPaths(locator.uid, locator.qos)
    case 'pod-container':
      return podCgroupPaths(locator.uid, locator.qos).flatMap(({ driver, path }) =>
        containerCgroupNames(locator.containerId, locator.runtime).map((name) => ({ driver, path: `${path}/${name}` })),
      )
  }
}

/** A cgroup path without leading or trailing slashes; '' is the root cgroup. */
export function normalizePath(path: string): string {
  return path.replace(/^\/+|\/+$/g, '')
}

/** A Podman container's systemd scope. */
const LIBPOD_SCOPE = /(?:^|\/)libpod-[0-9a-f]{64}\.scope$/

/**
 * Where inside a found cgroup the target's processes and limits really are, if not in it:
 * crun (Podman's runtime on Debian and Fedora) puts a container's processes, `cpu.max` and
 * `memory.max` in a `container` child of its `libpod-<id>.scope`, whose own limits stay `max`.
 */
export function leafCandidate(path: string): string | null {
  return LIBPOD_SCOPE.test(path) ? `${path}/container` : null
}

