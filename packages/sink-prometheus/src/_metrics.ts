/**
 * Where a metric's value comes from: a column of cgroup v1 or v2, times a unit scale; with
 * `minus`, that column's value less another's, floored at 0; with `unlimitedFrom`, values from
 * there on are +Inf (cgroup v1 writes "no limit" as the largest page-aligned value).
 */
export interface Source {
  readonly column: string
  readonly scale: number
  readonly minus?: string
  readonly unlimitedFrom?: number
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
/**
 * cgroup v1's "no limit": LONG_MAX rounded down to the page size, 9223372036854771712 with
 * 4 KiB pages, lower with 16 or 64 KiB ones. Any limit within 1 MiB of 2^63 is that.
 */
const V1_UNLIMITED = 2 ** 63 - 2 ** 20
const from = (...columns: (string | [string, number] | Source)[]): Source[] =>
  columns.map((column) => (typeof column === 'string' ? { column, scale: 1 } : Array.isArray(column) ? { column: column[0], scale: column[1] } : column))

const counter = (name: string, help: string, ...columns: Parameters<typeof from>): MetricSpec => ({ name, help, type: 'counter', sources: from(...columns) })
const gauge = (name: string, help: string, ...columns: Parameters<typeof from>): MetricSpec => ({ name, help, type: 'gauge', sources: from(...columns) })

/** The pressure (PSI) counters of a resource: `some` and `full` stall time, µs in the columns. */
const pressure = (resource: 'cpu' | 'memory' | 'io', what: string): MetricSpec[] => [
  counter(
    `radvisor_${resource}_pressure_some_seconds_total`,
    `Time in which at least one task of the target was stalled waiting for ${what} (PSI some).`,
    [`${resource}.pressure/some_total`, US],
  ),
  counter(
    `radvisor_${resource}_pressure_full_seconds_total`,
    `Time in which all non-idle tasks of the target were stalled waiting for ${what} at once (PSI full).`,
    [`${resource}.pressure/full_total`, US],
  ),
]

/** The network counters, summed over the interfaces of the target's own network namespace but lo. */
const network = (direction: 'receive' | 'transmit', prefix: 'rx' | 'tx'): MetricSpec[] => [
  counter(`radvisor_network_${direction}_bytes_total`, `Bytes the target's network namespace ${direction === 'receive' ? 'received' : 'sent'}, lo excluded.`, `network.${prefix}_bytes`),
  counter(`radvisor_network_${direction}_packets_total`, `Packets the target's network namespace ${direction === 'receive' ? 'received' : 'sent'}, lo excluded.`, `network.${prefix}_packets`),
  counter(`radvisor_network_${direction}_errors_total`, `Errors ${direction === 'receive' ? 'receiving' : 'sending'} packets in the target's network namespace.`, `network.${prefix}_errors`),
  counter(
    `radvisor_network_${direction}_packets_dropped_total`,
    `Packets dropped ${direction === 'receive' ? 'on receipt' : 'before sending'} in the target's network namespace.`,
    `network.${prefix}_dropped`,
  ),
]

/**
 * The metric families and the v1/v2 columns they read. Counters are the kernel's cumulative
 * values; gauges its current ones. I/O prefers the blkio throttle counters on v1, which see
 * every device, over the CFQ ones that modern kernels leave empty. A family without a value
 * for a target (a column its collector does not have, an empty cell) has no sample for it.
 */
export const METRICS: readonly MetricSpec[] = [
  counter('radvisor_cpu_usage_seconds_total', 'CPU time consumed by the target.', ['cpu.usage.total', NS], ['cpu.stat/usage_usec', US]),
  counter('radvisor_cpu_user_seconds_total', 'CPU time consumed by the target in user mode.', ['cpu.usage.user', NS], ['cpu.stat/user_usec', US]),
  counter('radvisor_cpu_system_seconds_total', 'CPU time consumed by the target in kernel mode.', ['cpu.usage.system', NS], ['cpu.stat/system_usec', US]),
  counter('radvisor_cpu_periods_total', 'CFS enforcement periods that elapsed for the target.', 'cpu.throttling.periods', 'cpu.stat/nr_periods'),
  counter('radvisor_cpu_throttled_periods_total', 'CFS periods in which the target was throttled.', 'cpu.throttling.throttled.count', 'cpu.stat/nr_throttled'),
  counter('radvisor_cpu_throttled_seconds_total', 'Time the target spent throttled.', ['cpu.throttling.throttled.time', NS], ['cpu.stat/throttled_usec', US]),
  ...pressure('cpu', 'a CPU'),
  counter('radvisor_io_read_bytes_total', 'Bytes the target read from block devices.', 'blkio.throttle.service.bytes.read', 'blkio.service.bytes.read', 'io.stat/rbytes'),
  counter('radvisor_io_write_bytes_total', 'Bytes the target wrote to block devices.', 'blkio.throttle.service.bytes.write', 'blkio.service.bytes.write', 'io.stat/wbytes'),
  counter('radvisor_io_read_operations_total', 'Read operations the target issued to block devices.', 'blkio.throttle.service.ios.read', 'blkio.service.ios.read', 'io.stat/rios'),
  counter('radvisor_io_write_operations_total', 'Write operations the target issued to block devices.', 'blkio.throttle.service.ios.write', 'blkio.service.ios.write', 'io.stat/wios'),
  ...pressure('io', 'block I/O'),
  counter('radvisor_memory_page_faults_total', 'Page faults of the target.', 'memory.fault.total', 'memory.stat/pgfault'),
  counter('radvisor_memory_major_page_faults_total', 'Major page faults (needing I/O) of the target.', 'memory.fault.major', 'memory.stat/pgmajfault'),
  gauge('radvisor_memory_usage_bytes', 'Memory the target uses now, page cache included.', 'memory.usage.current', 'memory.current'),
  gauge(
    'radvisor_memory_working_set_bytes',
    'Memory usage less inactive page cache, floored at 0: what the kubelet evicts on.',
    { column: 'memory.usage.current', scale: 1, minus: 'memory.file.inactive' },
    { column: 'memory.current', scale: 1, minus: 'memory.stat/inactive_file' },
  ),
  gauge('radvisor_memory_rss_bytes', 'Anonymous memory of the target.', 'memory.rss.all', 'memory.stat/anon'),
  gauge('radvisor_memory_cache_bytes', 'Page cache charged to the target.', 'memory.cache', 'memory.stat/file'),
  gauge(
    'radvisor_memory_limit_bytes',
    'Hard memory limit of the target; +Inf when unlimited (cgroup v1 and v2 alike).',
    { column: 'memory.limit.hard', scale: 1, unlimitedFrom: V1_UNLIMITED },
    'memory.max',
  ),
  ...pressure('memory', 'memory'),
  counter('radvisor_memory_low_events_total', 'Times the target was reclaimed below its memory.low protection (cgroup v2).', 'memory.events/low'),
  counter('radvisor_memory_high_events_total', 'Times the target was throttled for going over memory.high (cgroup v2).', 'memory.events/high'),
  counter('radvisor_memory_max_events_total', 'Times the target was about to go over memory.max (cgroup v2).', 'memory.events/max'),
  counter('radvisor_memory_oom_events_total', 'Times the target reached its memory limit and an allocation failed (cgroup v2).', 'memory.events/oom'),
  counter('radvisor_memory_oom_kills_total', 'Processes of the target killed by the OOM killer.', 'memory.oom_control/oom_kill', 'memory.events/oom_kill'),
  gauge('radvisor_memory_under_oom', '1 while the target is under OOM: at its limit, its tasks waiting for memory (cgroup v1).', 'memory.oom_control/under_oom'),
  ...network('receive', 'rx'),
  ...network('transmit', 'tx'),
  gauge('radvisor_tasks', 'Processes and threads in the target.', 'pids.current'),
  gauge('radvisor_tasks_limit', 'Limit on processes and threads in the target (+Inf when unlimited).', 'pids.max'),
]

/** Index of the CPU usage counter in `METRICS`, the base of the peak utilisation. */
export const CPU_USAGE = 0

export const PEAK_METRIC = {
  name: 'radvisor_cpu_peak_cores',
  type: 'gauge',
  help: (windowText: string) => `Highest CPU use in cores over any single sampling interval that ended in the last ${windowText} (the same for every scraper).`,
} as const
