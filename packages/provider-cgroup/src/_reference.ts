import type { Hierarchy } from '@radvisor/cgroup'

/**
 * v1 controllers whose folder stands for the whole tree, best first: `pids` (systemd gives
 * every unit a pids cgroup by default, and container runtimes create one per container),
 * then `cpuacct` and `cpu` (what the collectors mostly read).
 */
const REFERENCE_CONTROLLERS = ['pids', 'cpuacct', 'cpu']

/**
 * The folder whose subfolders are the cgroups to match: the root on unified v2; on v1 and
 * hybrid hosts, the first of `pids`, `cpuacct` and `cpu` that is mounted (else any mounted
 * controller, by name).
 */
export function referenceFolder(hierarchy: Hierarchy): string {
  if (hierarchy.version === 'v2') return hierarchy.unified ?? hierarchy.root
  for (const controller of REFERENCE_CONTROLLERS) {
    const folder = hierarchy.controllers[controller]
    if (folder) return folder
  }
  const [first] = Object.keys(hierarchy.controllers).sort()
  return hierarchy.controllers[first!]!
}
