import { join } from 'node:path'
import type { FileSystem } from '@radvisor/core'

/** At most this many `/proc/<pid>/comm` files are read per cgroup (the root lists every process). */
const MAX_COMM_READS = 64
/** At most this many distinct command names are listed. */
const MAX_NAMES = 16

export interface ProcessSummary {
  /** Number of processes in `cgroup.procs`. */
  readonly count: number
  /** Distinct command names of the first processes, in `cgroup.procs` order. */
  readonly names: string[]
}

/**
 * Who runs in a cgroup, for the log header: the process count from `cgroup.procs` and the
 * command names from `<procRoot>/<pid>/comm` where readable. Null when `cgroup.procs`
 * cannot be read (the cgroup went away, or no permission).
 */
export function readProcesses(fs: FileSystem, cgroupFolder: string, procRoot: string): ProcessSummary | null {
  let text: string
  try {
    text = fs.readFileSync(join(cgroupFolder, 'cgroup.procs'), 'utf8') as string
  } catch {
    return null
  }
  const pids = text.split('\n').filter((line) => /^\d+$/.test(line))
  const names = new Set<string>()
  for (const pid of pids.slice(0, MAX_COMM_READS)) {
    if (names.size === MAX_NAMES) break
    try {
      const name = (fs.readFileSync(join(procRoot, pid, 'comm'), 'utf8') as string).trim()
      if (name) names.add(name)
    } catch {
      // The process exited since cgroup.procs was read, or its comm is not ours to read.
    }
  }
  return { count: pids.length, names: [...names] }
}
