import type { Clock, Collector, CollectorInfo, Row } from '@radvisor/core'
import { ascii, MAX_TEXT, ZERO_TEXT } from './_bytes.ts'
import { putKeyed, putKeySums, putValue } from './_cells.ts'
import { CgroupFiles } from './_cgroup-files.ts'
import { cgroupUnreadable } from './_failure.ts'
import { KeyedValues } from './_keyed.ts'
import { ExtendedCells } from './_extended.ts'
import { collectorNetwork } from './_network.ts'
import { readCpuQuota } from './_quota.ts'
import type { StatFile } from './_stat-file.ts'
import { U64Sums } from './_u64.ts'
import { NETWORK_COLUMNS, PRESSURE_COLUMNS } from './columns.ts'
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
const IO_STAT_KEY_BYTES = IO_STAT_KEYS.map(ascii)
const MEMORY_EVENTS_KEYS = ['low', 'high', 'max', 'oom', 'oom_kill']

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
 * The extended cgroup v2 columns: radvisor's, then pressure stall totals, `memory.events`
 * (hierarchical: a pod's counts include its containers') and the network counters.
 */
export const V2_EXTENDED_COLUMNS: readonly string[] = [
  ...V2_COLUMNS,
  ...PRESSURE_COLUMNS,
  ...MEMORY_EVENTS_KEYS.map((key) => `memory.events/${key}`),
  ...NETWORK_COLUMNS,
]

/**
 * Reads a cgroup of the unified (v2) hierarchy. Opens every file once; each tick reads
 * each file once and copies the kernel's digits into the row. A value the kernel does not
 * show is its default: `0`, or `max` for limits; a value shown that is not a u64 is an
 * empty cell. A tick whose every read came back empty gives no row (the cgroup is being
 * removed).
 */
export class CgroupV2Collector implements Collector {
  readonly info: CollectorInfo
  private readonly clock: Clock
  private readonly files: CgroupFiles
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
  private readonly sums = new U64Sums(IO_STAT_KEYS.length)
  /** Null with `columns: 'radvisor'`. */
  private readonly extended: ExtendedCells | null

  constructor({ fs, clock, hierarchy, cgroup, driver, onProblem = () => {}, columns = 'extended', network: namespaces }: CgroupCollectorOptions) {
    this.clock = clock
    const name = cgroup || '/'
    const files = new CgroupFiles(fs, name, onProblem)
    this.files = files
    const unified = hierarchy.unified ?? hierarchy.root
    const folder = cgroup ? `${unified}/${cgroup}` : unified
    this.pidsCurrent = files.open(folder, 'pids.current')
    this.pidsMax = files.open(folder, 'pids.max')
    this.cpuStat = files.open(folder, 'cpu.stat')
    this.memoryCurrent = files.open(folder, 'memory.current')
    this.memoryHigh = files.open(folder, 'memory.high')
    this.memoryMax = files.open(folder, 'memory.max')
    this.memoryStat = files.open(folder, 'memory.stat')
    this.ioStat = files.open(folder, 'io.stat')
    const network = columns === 'radvisor' ? null : collectorNetwork({ fs, clock, namespaces, name, folders: [folder], onProblem })
    this.extended = network && new ExtendedCells(files, folder, { folder, name: 'memory.events', keys: MEMORY_EVENTS_KEYS }, network)
    this.info = {
      type: 'cgroup_v2',
      cgroup: name,
      driver,
      columns: this.extended ? V2_EXTENDED_COLUMNS : V2_COLUMNS,
      columnTypes: { read: { Type: 'epoch19' } },
      cpuQuota: readCpuQuota(fs, undefined, folder),
      ...(this.extended && { network: this.extended.network.attribution }),
    }
    if (!files.opened) {
      files.error = cgroupUnreadable(name, [folder])
      this.extended?.close()
    }
  }

  /** Set when no file could be opened, or once every file is gone (the cgroup was removed). */
  get error(): Error | null {
    return this.files.error
  }

  collect(row: Row): boolean {
    if (this.error) return false
    row.putTime(this.clock.now())
    const withData = this.files.read()
    if (withData <= 0) {
      // Gone: the network files must not keep the target's network namespace alive.
      if (withData < 0) this.extended?.close()
      return false
    }
    putValue(row, this.pidsCurrent, false, ZERO_TEXT)
    putValue(row, this.pidsMax, true, MAX_TEXT)
    putKeyed(row, this.cpuStat, this.cpuKeys, ZERO_TEXT)
    putValue(row, this.memoryCurrent, false, ZERO_TEXT)
    putValue(row, this.memoryHigh, true, MAX_TEXT)
    putValue(row, this.memoryMax, true, MAX_TEXT)
    putKeyed(row, this.memoryStat, this.memoryKeys, ZERO_TEXT)
    putKeySums(row, this.ioStat, IO_STAT_KEY_BYTES, this.sums)
    const extended = this.extended
    if (extended !== null) {
      extended.put(row)
    }
    return true
  }

  close(): void {
    this.files.close()
    this.extended?.close()
  }
}
