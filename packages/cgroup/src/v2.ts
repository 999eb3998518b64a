import type { Clock, Collector, CollectorInfo, Row } from '@radvisor/core'
import { ascii, MAX_TEXT, ZERO_TEXT } from './_bytes.ts'
import { putKeyed, putKeySums, putValue } from './_cells.ts'
import { cgroupGone, cgroupUnreadable } from './_failure.ts'
import { readCpuQuota } from './_quota.ts'
import { KeyedValues } from './_keyed.ts'
import { GONE, openStatFile, type StatFile } from './_stat-file.ts'
import type { CgroupCollectorOptions } from './v1.ts'

const CPU_STAT_KEYS = ['usage_usec', 'system_usec', 'user_usec', 'nr_periods', 'nr_throttled', 'throttled_usec']
const MEMORY_STAT_KEYS = [
  'anon',
  'file',
  'kernel_stack',
  'pagetables',
  'percpu',
  'sock',
  'shmem',
  'file_mapped',
  'file_dirty',
  'file_writeback',
  'swapcached',
  'inactive_anon',
  'active_anon',
  'inactive_file',
  'active_file',
  'unevictable',
  'pgfault',
  'pgmajfault',
]
const IO_STAT_KEYS = ['rbytes', 'wbytes', 'rios', 'wios', 'dbytes', 'dios']

/** The cgroup v2 columns, in order (radvisor's `cgroup_v2` schema, DESIGN §5). */
export const V2_COLUMNS: readonly string[] = [
  'read',
  'pids.current',
  'pids.max',
  ...CPU_STAT_KEYS.map((key) => `cpu.stat/${key}`),
  'memory.current',
  'memory.high',
  'memory.max',
  ...MEMORY_STAT_KEYS.map((key) => `memory.stat/${key}`),
  ...IO_STAT_KEYS.map((key) => `io.stat/${key}`),
]

/**
 * Reads a cgroup of the unified (v2) hierarchy. Opens every file once; each tick reads
 * each file once and copies the kernel's digits into the row. A value the kernel does not
 * show is its default: `0`, or `max` for limits. A tick whose every read came back empty
 * gives no row (the cgroup is being removed).
 */
export class CgroupV2Collector implements Collector {
  readonly info: CollectorInfo
  error: Error | null = null
  private readonly clock: Clock
  private readonly files: StatFile[]
  private readonly pidsCurrent: StatFile
  private readonly pidsMax: StatFile
  private readonly cpuStat: StatFile
  private readonly cpuKeys = new KeyedValues(CPU_STAT_KEYS)
  private readonly memoryCurrent: StatFile
  private readonly memoryHigh: StatFile
  private readonly memoryMax: StatFile
  private readonly memoryStat: StatFile
  private readonly memoryKeys = new KeyedValues(MEMORY_STAT_KEYS)
  private readonly ioStat: StatFile
  private readonly ioKeys = IO_STAT_KEYS.map(ascii)
  private readonly sums = new Float64Array(IO_STAT_KEYS.length)

  constructor({ fs, clock, hierarchy, cgroup, driver }: CgroupCollectorOptions) {
    this.clock = clock
    const unified = hierarchy.unified ?? hierarchy.root
    const folder = cgroup ? `${unified}/${cgroup}` : unified
    this.pidsCurrent = openStatFile(fs, folder, 'pids.current')
    this.pidsMax = openStatFile(fs, folder, 'pids.max')
    this.cpuStat = openStatFile(fs, folder, 'cpu.stat')
    this.memoryCurrent = openStatFile(fs, folder, 'memory.current')
    this.memoryHigh = openStatFile(fs, folder, 'memory.high')
    this.memoryMax = openStatFile(fs, folder, 'memory.max')
    this.memoryStat = openStatFile(fs, folder, 'memory.stat')
    this.ioStat = openStatFile(fs, folder, 'io.stat')
    this.files = [
      this.pidsCurrent,
      this.pidsMax,
      this.cpuStat,
      this.memoryCurrent,
      this.memoryHigh,
      this.memoryMax,
      this.memoryStat,
      this.ioStat,
    ].filter((file) => file.present)
    this.info = {
      type: 'cgroup_v2',
      cgroup: cgroup || '/',
      driver,
      columns: V2_COLUMNS,
      columnTypes: { read: { Type: 'epoch19' } },
      cpuQuota: readCpuQuota(fs, undefined, folder),
    }
    if (this.files.length === 0) this.error = cgroupUnreadable(this.info.cgroup, [folder])
  }

  collect(row: Row): boolean {
    if (this.error) return false
    row.putTime(this.clock.now())
    const files = this.files
    let anyData = false
    for (let i = 0; i < files.length; i++) {
      const length = files[i]!.read()
      if (length === GONE) return this.fail(files[i]!)
      if (length > 0) anyData = true
    }
    if (!anyData) return false
    putValue(row, this.pidsCurrent, false, ZERO_TEXT)
    putValue(row, this.pidsMax, true, MAX_TEXT)
    this.cpuKeys.locate(this.cpuStat.buf, this.cpuStat.length)
    putKeyed(row, this.cpuStat, this.cpuKeys, ZERO_TEXT)
    putValue(row, this.memoryCurrent, false, ZERO_TEXT)
    putValue(row, this.memoryHigh, true, MAX_TEXT)
    putValue(row, this.memoryMax, true, MAX_TEXT)
    this.memoryKeys.locate(this.memoryStat.buf, this.memoryStat.length)
    putKeyed(row, this.memoryStat, this.memoryKeys, ZERO_TEXT)
    putKeySums(row, this.ioStat, this.ioKeys, this.sums)
    return true
  }

  close(): void {
    for (const file of this.files) file.close()
  }

  private fail(file: StatFile): false {
    this.error = cgroupGone(this.info.cgroup, file)
    this.close()
    return false
  }
}
