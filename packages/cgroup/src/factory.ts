import type { Clock, Collector, CollectorFactory, FileSystem, Logger, Target } from '@radvisor/core'
import type { ColumnSet } from './columns.ts'
import { detectHierarchy, type Hierarchy } from './hierarchy.ts'
import { NetworkNamespaces } from './namespaces.ts'
import { type CgroupCandidate, type CgroupDriver, candidatePaths, containerCgroupNames, leafCandidate, podCgroupPaths } from './paths.ts'
import { CgroupV1Collector } from './v1.ts'
import { CgroupV2Collector } from './v2.ts'

export interface CollectorFactoryOptions {
  /** The cgroup mount root (`--cgroup-root`). */
  readonly root: string
  readonly fs: FileSystem
  readonly logger: Logger
  readonly clock: Clock
  /** Text of `/proc/self/mountinfo`, for tests; read through `fs` otherwise. */
  readonly mountinfo?: string
  /** `extended` (the default: radvisor 1.4's columns, then pressure, memory events, network) or `radvisor` (`--columns`). */
  readonly columns?: ColumnSet
  /** Where the targets' processes are seen, for their network counters (default `/proc`; a fake one in tests). */
  readonly procRoot?: string
}

/** The v1 controllers whose folders tell whether a cgroup exists, most read first. */
const PROBE_CONTROLLERS = ['cpuacct', 'cpu', 'memory', 'pids', 'blkio']

/**
 * Opens cgroup collectors for targets. Detects the hierarchy once (throws `E_CGROUP` when
 * there is none), finds each target's cgroup among its candidate paths, remembers the
 * driver of the first hit (reported once, then tried first), and picks the v2 collector on
 * a unified host, the v1 collector otherwise. Collectors report bad input as warnings.
 */
export function createCollectorFactory(options: CollectorFactoryOptions): CollectorFactory & { readonly hierarchy: Hierarchy } {
  const { fs, logger, clock, columns = 'extended' } = options
  const hierarchy = detectHierarchy(options)
  const bases = hierarchy.version === 'v2' ? [hierarchy.unified!] : probeFolders(hierarchy)
  let driver: CgroupDriver | null = null
  /** Unreadable values are warnings; a controller's folder removed (a container exiting) is verbose. */
  const reportProblem = (message: string, expected = false): void => (expected ? logger.debug('Removed', message) : logger.warn(message))
  const network =
    columns === 'extended'
      ? new NetworkNamespaces(fs, options.procRoot ?? '/proc', (message, expected) => (expected ? logger.debug('Network', message) : logger.warn(message)))
      : undefined

  const under = (base: string, path: string): string => (path ? `${base}/${path}` : base)
  const exists = (path: string): boolean => bases.some((base) => fs.existsSync(under(base, path)))
  const ordered = (candidates: CgroupCandidate[]): CgroupCandidate[] =>
    driver === null ? candidates : [...candidates.filter((c) => c.driver === driver), ...candidates.filter((c) => c.driver !== driver)]

  /** The first candidate that exists; pod containers are found by listing their pod's folder. */
  const resolve = (target: Target): CgroupCandidate | null => {
    const locator = target.cgroup
    if (locator.kind !== 'pod-container') {
      const found = ordered(candidatePaths(locator)).find((c) => exists(c.path))
      const leaf = found && leafCandidate(found.path)
      return leaf && exists(leaf) ? { ...found, path: leaf } : (found ?? null)
    }
    const names = containerCgroupNames(locator.containerId, locator.runtime)
    for (const pod of ordered(podCgroupPaths(locator.uid, locator.qos))) {
      for (const base of bases) {
        const name = findContainerFolder(fs, under(base, pod.path), names, locator.containerId)
        if (name !== null) return { driver: pod.driver, path: `${pod.path}/${name}` }
      }
    }
    return null
  }

  return {
    hierarchy,
    open(target: Target): Collector | null {
      const found = resolve(target)
      if (!found) return null
      if (found.driver !== null && driver === null) {
        driver = found.driver
        logger.status('Identified', `${driver} as cgroup driver`)
      }
      const collectorOptions = { fs, clock, hierarchy, cgroup: found.path, driver: found.driver, onProblem: reportProblem, columns, network }
      return hierarchy.version === 'v2' ? new CgroupV2Collector(collectorOptions) : new CgroupV1Collector(collectorOptions)
    },
    describe(target: Target): string {
      const paths = ordered(candidatePaths(target.cgroup)).map((c) => c.path || '/')
      if (bases.length === 1) return paths.map((path) => under(bases[0]!, path === '/' ? '' : path)).join(', ')
      return `${paths.join(', ')} under ${bases.join(', ')}`
    },
  }
}

/**
 * On v1, the folders in which a cgroup may show up: systemd, for one, creates a unit's
 * cgroup only under the controllers its accounting settings enable.
 */
function probeFolders(hierarchy: Hierarchy): string[] {
  const folders = PROBE_CONTROLLERS.map((controller) => hierarchy.controllers[controller]).filter((folder) => folder !== undefined)
  return [...new Set(folders.length > 0 ? folders : Object.values(hierarchy.controllers))]
}

/**
 * The container's folder inside its pod's: one of the runtime's names, else any folder
 * carrying the container id (a runtime this list does not know), never `crio-conmon-*`.
 */
function findContainerFolder(fs: FileSystem, podFolder: string, names: readonly string[], containerId: string): string | null {
  let entries: string[]
  try {
    entries = (fs.readdirSync(podFolder) as string[]).map(String)
  } catch {
    return null
  }
  for (const name of names) {
    if (entries.includes(name)) return name
  }
  return entries.find((entry) => entry.includes(containerId) && !entry.startsWith('crio-conmon-')) ?? null
}
