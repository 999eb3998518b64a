import { RadvisorError } from '@radvisor/core'
import type { StatFile } from './_stat-file.ts'

/** The error a collector reports once when its cgroup disappears mid-run. */
export function cgroupGone(cgroup: string, file: StatFile): RadvisorError {
  return new RadvisorError(
    'cgroup',
    'E_GONE',
    `cgroup ${cgroup} is gone: reading ${file.path} failed with ${file.goneCode}; its collection stops`,
  )
}

/** The error of a collector none of whose files could be opened. */
export function cgroupUnreadable(cgroup: string, folders: readonly string[]): RadvisorError {
  return new RadvisorError(
    'cgroup',
    'E_CGROUP',
    `cgroup ${cgroup} has no readable stat files (looked in ${folders.join(', ')}); it was removed or is not accessible`,
  )
}
