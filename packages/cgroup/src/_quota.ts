import type { FileSystem } from '@radvisor/core'

/**
 * A cgroup's CPU quota in cores, read once when collection begins (not on the tick path):
 * null when it has none, undefined when the files cannot be read. Analysis needs it to state
 * CPU use as a share of the limit; radvisor's columns do not carry it.
 */
export function readCpuQuota(fs: FileSystem, v1CpuFolder: string | undefined, v2Folder: string | undefined): number | null | undefined {
  const read = (path: string): string | undefined => {
    try {
      return String(fs.readFileSync(path, 'utf8')).trim()
    } catch {
      return undefined
    }
  }
  if (v2Folder !== undefined) {
    // cpu.max: `<quota> <period>` in µs, or `max <period>`.
    const match = /^(max|\d+)\s+(\d+)$/.exec(read(`${v2Folder}/cpu.max`) ?? '')
    if (!match) return undefined
    return match[1] === 'max' ? null : Number(match[1]) / Number(match[2])
  }
  if (v1CpuFolder === undefined) return undefined
  const quota = Number(read(`${v1CpuFolder}/cpu.cfs_quota_us`) ?? Number.NaN)
  const period = Number(read(`${v1CpuFolder}/cpu.cfs_period_us`) ?? Number.NaN)
  if (!Number.isInteger(quota) || !(period > 0)) return undefined
  return quota < 0 ? null : quota / period
}
