import type { Clock, Collector, CollectorInfo, FileSystem, Row } from '@radvisor/core'
import { checkList, countValues, putDeviceSum, putKeyed, putList, putOperationSums, putValue } from './_cells.ts'
import { CgroupFiles } from './_cgroup-files.ts'
import { ColumnSums } from './_columns.ts'
import { cgroupUnreadable } from './_failure.ts'
import { KeyedValues } from './_keyed.ts'
import { ExtendedCells } from './_extended.ts'
import { collectorNetwork } from './_network.ts'
import { readCpuQuota } from './_quota.ts'
import type { StatFile } from './_stat-file.ts'
import { U64Sums } from './_u64.ts'
import { type ColumnSet, NETWORK_COLUMNS, PRESSURE_COLUMNS } from './columns.ts'
import type { Hierarchy } from './hierarchy.ts'
import type { NetworkNamespaces } from './namespaces.ts'

/** `memory.stat` keys, in column order, and the columns they fill. */
export const MEMORY_STAT: readonly (readonly [key: string, column: string])[] = [
  ['hierarchical_memory_limit', 'memory.hierarchical_limit.memory'],
  ['hierarchical_memsw_limit', 'memory.hierarchical_limit.memoryswap'],
  ['total_cache', 'memory.cache'],
  ['total_rss', 'memory.rss.all'],
  ['total_rss_huge', 'memory.rss.huge'],
  ['total_mapped_file', 'memory.mapped'],
  ['total_swap', 'memory.swap'],
  ['total_pgpgin', 'memory.paged.in'],
  ['total_pgpgout', 'memory.paged.out'],
  ['total_pgfault', 'memory.fault.total'],
  ['total_pgmajfault', 'memory.fault.major'],
  ['total_inactive_anon', 'memory.anon.inactive'],
  ['total_active_anon', 'memory.anon.active'],
  ['total_inactive_file', 'memory.file.inactive'],
  ['total_active_file', 'memory.file.active'],
  ['total_unevictable', 'memory.unevictable'],
]

/** blkio files summed per operation, in column order, and their column prefixes. */
const BLKIO_OPERATIONS: readonly (readonly [file: string, column: string])[] = [
  ['blkio.io_service_bytes', 'blkio.service.bytes'],
  ['blkio.io_serviced', 'blkio.service.ios'],
  ['blkio.io_service_time', 'blkio.service.time'],
  ['blkio.io_queued', 'blkio.queued'],
  ['blkio.io_wait_time', 'blkio.wait'],
  ['blkio.io_merged', 'blkio.merged'],
  ['blkio.throttle.io_service_bytes', 'blkio.throttle.service.bytes'],
  ['blkio.throttle.io_serviced', 'blkio.throttle.service.ios'],
  ['blkio.bfq.io_service_bytes', 'blkio.bfq.service.bytes'],
  ['blkio.bfq.io_serviced', 'blkio.bfq.service.ios'],
]

/** The cgroup v1 columns, in order (radvisor's `cgroup_v1` schema, DESIGN §5). */
export const V1_COLUMNS: readonly string[] = [
  'read',
  'pids.current',
  'pids.max',
  'cpu.usage.total',
  'cpu.usage.system',
  'cpu.usage.user',
  'cpu.usage.percpu',
  'cpu.stat.user',
  'cpu.stat.system',
  'cpu.throttling.periods',
  'cpu.throttling.throttled.count',
  'cpu.throttling.throttled.time',
  'memory.usage.current',
  'memory.usage.max',
  'memory.limit.hard',
  'memory.limit.soft',
  'memory.failcnt',
  ...MEMORY_STAT.map(([, column]) => column),
  'blkio.time',
  'blkio.sectors',
  ...BLKIO_OPERATIONS.flatMap(([, column]) => ['read', 'write', 'sync', 'async'].map((op) => `${column}.${op}`)),
]

const OOM_CONTROL_KEYS = ['oom_kill', 'under_oom']

/**
 * The extended cgroup v1 columns: radvisor's, then pressure stall totals (from the v2
 * hierarchy of a hybrid host, where the cgroup has the same path there), `memory.oom_control`
 * and the network counters.
 */
export const V1_EXTENDED_COLUMNS: readonly string[] = [
  ...V1_COLUMNS,
  ...PRESSURE_COLUMNS,
  ...OOM_CONTROL_KEYS.map((key) => `memory.oom_control/${key}`),
  ...NETWORK_COLUMNS,
]

/** The v1 controllers whose `cgroup.procs` name a target's processes, most likely populated first. */
const PROCESS_CONTROLLERS = ['cpuacct', 'cpu', 'pids', 'memory', 'blkio']

/** Where a collector reads: the detected hierarchy and the cgroup path relative to it. */
export interface CgroupCollectorOptions {
  readonly fs: FileSystem
  readonly clock: Clock
  readonly hierarchy: Hierarchy
  /** Path relative to the root (v2) or to each controller's folder (v1); '' for the root cgroup. */
  readonly cgroup: string
  /** The driver whose naming found this cgroup, or null. */
  readonly driver: string | null
  /**
   * Receives one line per problem with the cgroup's files: a value that is not a u64 (its cell
   * is left empty; once per file), a file over 1 MiB, a v1 controller folder removed on its
   * own. Silent by default; the factory passes the logger's warnings.
   */
  readonly onProblem?: (message: string, expected?: boolean) => void
  /** `extended` (the default) or `radvisor` (radvisor 1.4's columns only, no other file opened). */
  readonly columns?: ColumnSet
  /**
   * The host's network namespace and where processes are seen, shared by a factory's collectors
   * (so that problems concerning every target are reported once); by default this collector's
   * own, over `/proc`.
   */
  readonly network?: NetworkNamespaces
}

/** The most CPUs `cpu.usage.percpu` may list (Linux's largest NR_CPUS). */
const MAX_CPUS = 8192

/**
 * Reads a cgroup v1 cgroup across the pids, cpu, cpuacct, memory and blkio controllers.
 * Opens every file once; each tick reads each file once into its buffer and copies the
 * kernel's digits into the row. Unreadable values are empty cells, and so are the cells of a
 * controller whose folder of this cgroup was removed; the cgroup is gone when all are.
 */
export class CgroupV1Collector implements Collector {
  readonly info: CollectorInfo
  private readonly clock: Clock
  private readonly files: CgroupFiles
  private readonly pidsCurrent: StatFile
  private readonly pidsMax: StatFile
  /** Read only where there is no `cpuacct.usage_percpu` to sum (else absent). */
  private readonly usage: StatFile
  /** Read only where there is no `cpuacct.usage_all` to sum (else absent). */
  private readonly usageSystem: StatFile
  private readonly usageUser: StatFile
  private readonly usagePerCpu: StatFile
  private readonly usageAll: StatFile
  private readonly usageAllSums = new ColumnSums(['system', 'user'])
  private readonly usageSum = new U64Sums(1)
  private readonly cpuacctStat: StatFile
  private readonly cpuacctKeys = new KeyedValues(['user', 'system'])
  private readonly cpuStat: StatFile
  private readonly cpuKeys = new KeyedValues(['nr_periods', 'nr_throttled', 'throttled_time'])
  private readonly memoryUsage: StatFile
  private readonly memoryMaxUsage: StatFile
  private readonly memoryLimit: StatFile
  private readonly memorySoftLimit: StatFile
  private readonly memoryFailcnt: StatFile
  private readonly memoryStat: StatFile
  private readonly memoryKeys = new KeyedValues(MEMORY_STAT.map(([key]) => key))
  private readonly blkioTime: StatFile
  private readonly blkioSectors: StatFile
  private readonly blkioOperations: StatFile[]
  private readonly sums = new U64Sums(4)
  /** The most values `cpu.usage.percpu` may hold: the CPUs counted at open. */
  private readonly cpuCount: number
  /** Null with `columns: 'radvisor'`. */
  private readonly extended: ExtendedCells | null

  constructor({ fs, clock, hierarchy, cgroup, driver, onProblem = () => {}, columns = 'extended', network: namespaces }: CgroupCollectorOptions) {
    this.clock = clock
    const name = cgroup || '/'
    const files = new CgroupFiles(fs, name, onProblem)
    this.files = files
    const folder = (controller: string): string | undefined => {
      const mount = hierarchy.controllers[controller]
      return mount === undefined ? undefined : cgroup ? `${mount}/${cgroup}` : mount
    }
    const pids = folder('pids')
    const cpu = folder('cpu')
    const cpuacct = folder('cpuacct')
    const memory = folder('memory')
    const blkio = folder('blkio')
    this.pidsCurrent = files.open(pids, 'pids.current')
    this.pidsMax = files.open(pids, 'pids.max')
    // Two reads for four cells: in kernel/sched/cpuacct.c, cpuacct.usage is the sum of
    // usage_percpu's values and usage_user/usage_sys the column sums of usage_all, every one
    // read per possible CPU by the same function (cpuacct_cpuusage_read). Not usage_user +
    // usage_sys for the total: since Linux 5.16 those count ticks and usage counts nanoseconds.
    this.usagePerCpu = files.open(cpuacct, 'cpuacct.usage_percpu')
    this.usage = this.usagePerCpu.present ? files.open(undefined, 'cpuacct.usage') : files.open(cpuacct, 'cpuacct.usage')
    this.usageAll = files.open(cpuacct, 'cpuacct.usage_all')
    this.usageSystem = files.open(this.usageAll.present ? undefined : cpuacct, 'cpuacct.usage_sys')
    this.usageUser = files.open(this.usageAll.present ? undefined : cpuacct, 'cpuacct.usage_user')
    this.cpuacctStat = files.open(cpuacct, 'cpuacct.stat')
    this.cpuStat = files.open(cpu, 'cpu.stat')
    this.memoryUsage = files.open(memory, 'memory.usage_in_bytes')
    this.memoryMaxUsage = files.open(memory, 'memory.max_usage_in_bytes')
    this.memoryLimit = files.open(memory, 'memory.limit_in_bytes')
    this.memorySoftLimit = files.open(memory, 'memory.soft_limit_in_bytes')
    this.memoryFailcnt = files.open(memory, 'memory.failcnt')
    this.memoryStat = files.open(memory, 'memory.stat')
    this.blkioTime = files.openRecursiveFirst(blkio, 'blkio.time')
    this.blkioSectors = files.openRecursiveFirst(blkio, 'blkio.sectors')
    this.blkioOperations = BLKIO_OPERATIONS.map(([file]) => files.openRecursiveFirst(blkio, file))
    // The same cgroup in the v2 hierarchy of a hybrid host (systemd keeps both), for its pressure files.
    const unified = hierarchy.unified === null ? undefined : cgroup ? `${hierarchy.unified}/${cgroup}` : hierarchy.unified
    const network = columns === 'radvisor' ? null : collectorNetwork({ fs, clock, namespaces, name, folders: [...PROCESS_CONTROLLERS.map(folder), unified].filter((path) => path !== undefined), onProblem })
    this.extended = network && new ExtendedCells(files, unified, { folder: memory, name: 'memory.oom_control', keys: OOM_CONTROL_KEYS }, network)
    files.read()
    const cpuCount = countValues(this.usagePerCpu)
    this.cpuCount = cpuCount > 0 ? Math.min(cpuCount, MAX_CPUS) : MAX_CPUS
    this.info = {
      type: 'cgroup_v1',
      cgroup: name,
      driver,
      columns: this.extended ? V1_EXTENDED_COLUMNS : V1_COLUMNS,
      columnTypes: { read: { Type: 'epoch19' }, 'cpu.usage.percpu': { Type: 'int', Count: cpuCount } },
      cpuQuota: readCpuQuota(fs, cpu, undefined),
      ...(this.extended && { network: this.extended.network.attribution }),
    }
    if (!files.opened) {
      const folders = [pids, cpu, cpuacct, memory, blkio].filter((path) => path !== undefined)
      files.error = cgroupUnreadable(name, folders)
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
    if (this.files.read() < 0) {
      // Gone: the network files must not keep the target's network namespace alive.
      this.extended?.close()
      return false
    }
    putValue(row, this.pidsCurrent, false, null)
    putValue(row, this.pidsMax, true, null)
    const perCpu = this.usagePerCpu
    const listed = checkList(perCpu, this.cpuCount, perCpu.present ? this.usageSum : null)
    if (!perCpu.present) putValue(row, this.usage, false, null)
    else if (listed) this.usageSum.put(row, 0)
    else row.putEmpty()
    if (this.usageAll.present) this.usageAllSums.put(row, this.usageAll, this.cpuCount)
    else {
      putValue(row, this.usageSystem, false, null)
      putValue(row, this.usageUser, false, null)
    }
    putList(row, perCpu, listed)
    putKeyed(row, this.cpuacctStat, this.cpuacctKeys, null)
    putKeyed(row, this.cpuStat, this.cpuKeys, null)
    putValue(row, this.memoryUsage, false, null)
    putValue(row, this.memoryMaxUsage, false, null)
    putValue(row, this.memoryLimit, false, null)
    putValue(row, this.memorySoftLimit, false, null)
    putValue(row, this.memoryFailcnt, false, null)
    putKeyed(row, this.memoryStat, this.memoryKeys, null)
    putDeviceSum(row, this.blkioTime, this.sums)
    putDeviceSum(row, this.blkioSectors, this.sums)
    const operations = this.blkioOperations
    for (let i = 0; i < operations.length; i++) putOperationSums(row, operations[i]!, this.sums)
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
