/** Where a metric's value comes from: a column of cgroup v1 or v2, times a unit scale. */
interface Source {
  readonly column: string
  readonly scale: number
}

/** One metric family radvisor exports for every target. */
export interface MetricSpec {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  /** Candidate columns in order of preference; the first one with a value wins. */
  readonly sources: readonly Source[]
}

const NS = 1e-9
const US = 1e-6
const from = (...columns: (string | [string, number])[]): Source[] =>
  columns.map((column) => (typeof column === 'string' ? { column, scale: 1 } : { column: column[0], scale: column[1] }))

/**
 * The metric families and the v1/v2 columns they read. Counters are the kernel's
 * cumulative values; gauges its current ones. I/O prefers the blkio throttle counters on
 * v1, which see every device, over the CFQ ones that modern kernels leave empty.
 */
export const METRICS: readonly MetricSpec[] = [
  {
    name: 'radvisor_cpu_usage_seconds_total',
    help: 'CPU time consumed by the target.',
    type: 'counter',
    sources: from(['cpu.usage.total', NS], ['cpu.stat/usage_usec', US]),
  },
  {
    name: 'radvisor_cpu_user_seconds_total',
    help: 'CPU time consumed by the target in user mode.',
    type: 'counter',
    sources: from(['cpu.usage.user', NS], ['cpu.stat/user_usec', US]),
  },
  {
    name: 'radvisor_cpu_system_seconds_total',
    help: 'CPU time consumed by the target in kernel mode.',
    type: 'counter',
    sources: from(['cpu.usage.system', NS], ['cpu.stat/system_usec', US]),
  },
  {
    name: 'radvisor_cpu_periods_total',
    help: 'CFS enforcement periods that elapsed for the target.',
    type: 'counter',
    sources: from('cpu.throttling.periods', 'cpu.stat/nr_periods'),
  },
  {
    name: 'radvisor_cpu_throttled_periods_total',
    help: 'CFS periods in which the target was throttled.',
    type: 'counter',
    sources: from('cpu.throttling.throttled.count', 'cpu.stat/nr_throttled'),
  },
  {
    name: 'radvisor_cpu_throttled_seconds_total',
    help: 'Time the target spent throttled.',
    type: 'counter',
    sources: from(['cpu.throttling.throttled.time', NS], ['cpu.stat/throttled_usec', US]),
  },
  {
    name: 'radvisor_io_read_bytes_total',
    help: 'Bytes the target read from block devices.',
    type: 'counter',
    sources: from('blkio.throttle.service.bytes.read', 'blkio.service.bytes.read', 'io.stat/rbytes'),
  },
  {
    name: 'radvisor_io_write_bytes_total',
    help: 'Bytes the target wrote to block devices.',
    type: 'counter',
    sources: from('blkio.throttle.service.bytes.write', 'blkio.service.bytes.write', 'io.stat/wbytes'),
  },
  {
    name: 'radvisor_io_read_operations_total',
    help: 'Read operations the target issued to block devices.',
    type: 'counter',
    sources: from('blkio.throttle.service.ios.read', 'blkio.service.ios.read', 'io.stat/rios'),
  },
  {
    name: 'radvisor_io_write_operations_total',
    help: 'Write operations the target issued to block devices.',
    type: 'counter',
    sources: from('blkio.throttle.service.ios.write', 'blkio.service.ios.write', 'io.stat/wios'),
  },
  {
    name: 'radvisor_memory_page_faults_total',
    help: 'Page faults of the target.',
    type: 'counter',
    sources: from('memory.fault.total', 'memory.stat/pgfault'),
  },
  {
    name: 'radvisor_memory_major_page_faults_total',
    help: 'Major page faults (needing I/O) of the target.',
    type: 'counter',
    sources: from('memory.fault.major', 'memory.stat/pgmajfault'),
  },
  {
    name: 'radvisor_memory_usage_bytes',
    help: 'Memory the target uses now, page cache included.',
    type: 'gauge',
    sources: from('memory.usage.current', 'memory.current'),
  },
  {
    name: 'radvisor_memory_rss_bytes',
    help: 'Anonymous memory of the target.',
    type: 'gauge',
    sources: from('memory.rss.all', 'memory.stat/anon'),
  },
  {
    name: 'radvisor_memory_cache_bytes',
    help: 'Page cache charged to the target.',
    type: 'gauge',
    sources: from('memory.cache', 'memory.stat/file'),
  },
  {
    name: 'radvisor_memory_limit_bytes',
    help: 'Hard memory limit of the target (+Inf when unlimited on cgroup v2).',
    type: 'gauge',
    sources: from('memory.limit.hard', 'memory.max'),
  },
  {
    name: 'radvisor_pids',
    help: 'Processes and threads in the target.',
    type: 'gauge',
    sources: from('pids.current'),
  },
  {
    name: 'radvisor_pids_limit',
    help: 'Limit on processes and threads in the target (+Inf when unlimited).',
    type: 'gauge',
    sources: from('pids.max'),
  },
]

/** Index of the CPU usage counter in `METRICS`, the base of the peak utilisation. */
export const CPU_USAGE = 0

export const PEAK_METRIC = {
  name: 'radvisor_cpu_peak_utilization',
  help: 'Highest CPU utilisation (in cores) over any single sampling interval since the previous scrape.',
  type: 'gauge',
} as const
