import type { LogInfo } from './_header.ts'

/** One row reduced to the counters and gauges the report uses; NaN where a cell was empty. */
export interface Sample {
  /** 1-based line number in the log. */
  line: number
  /** Unix time of the sample in milliseconds (sub-microsecond precision in a double). */
  time: number
  /** Cumulative CPU time, ns. */
  cpu: number
  /** Cumulative CFS periods and throttled periods. */
  periods: number
  throttled: number
  /** Memory in use and its effective limit, bytes (NaN: no limit). */
  memory: number
  memoryLimit: number
  /** CPU quota in cores (NaN: no quota, or not in the log). */
  cpuQuota: number
  /** Cumulative bytes read and written. */
  ioRead: number
  ioWrite: number
  /** Cumulative time requests waited in the I/O scheduler's queues, ns (v1 CFQ only). */
  ioWait: number
  /** Cumulative page faults. */
  faults: number
  majorFaults: number
  /** Inactive file pages, bytes: the kernel reclaims them first, so memory minus this is the working set. */
  inactiveFile: number
  /** The CFS period in ms when the row carries it (v1 `cpu.cfs_period_us`, v2 `cpu.max`). */
  cpuPeriod: number
  // The signals after radvisor 1.4's columns (NaN in older logs):
  /** Cumulative pressure stall time (`<resource>.pressure` some/full `total=`), µs. */
  cpuSome: number
  cpuFull: number
  memorySome: number
  memoryFull: number
  ioSome: number
  ioFull: number
  /** Cumulative OOM kills (v2 `memory.events`, v1 `memory.oom_control`). */
  oomKills: number
  /** v1 `memory.oom_control/under_oom`: 1 while the cgroup is out of memory. */
  underOom: number
  /** Cumulative v2 `memory.events` counts besides `oom_kill`. */
  memoryLow: number
  memoryHigh: number
  memoryMax: number
  memoryOom: number
  /** Cumulative counters of the target's network namespace, every interface but `lo` (NaN: not attributed). */
  netRxBytes: number
  netRxPackets: number
  netRxErrors: number
  netRxDropped: number
  netTxBytes: number
  netTxPackets: number
  netTxErrors: number
  netTxDropped: number
}

/** The Sample fields read from the columns after radvisor 1.4's, each from one column as it is. */
type SignalField =
  | 'cpuSome'
  | 'cpuFull'
  | 'memorySome'
  | 'memoryFull'
  | 'ioSome'
  | 'ioFull'
  | 'oomKills'
  | 'underOom'
  | 'memoryLow'
  | 'memoryHigh'
  | 'memoryMax'
  | 'memoryOom'
  | 'netRxBytes'
  | 'netRxPackets'
  | 'netRxErrors'
  | 'netRxDropped'
  | 'netTxBytes'
  | 'netTxPackets'
  | 'netTxErrors'
  | 'netTxDropped'

/** Columns both layouts share: pressure and network. */
const SHARED_SIGNALS: readonly (readonly [SignalField, string])[] = [
  ['cpuSome', 'cpu.pressure/some_total'],
  ['cpuFull', 'cpu.pressure/full_total'],
  ['memorySome', 'memory.pressure/some_total'],
  ['memoryFull', 'memory.pressure/full_total'],
  ['ioSome', 'io.pressure/some_total'],
  ['ioFull', 'io.pressure/full_total'],
]

const NETWORK_COLUMNS: readonly (readonly [SignalField, string])[] = [
  ['netRxBytes', 'network.rx_bytes'],
  ['netRxPackets', 'network.rx_packets'],
  ['netRxErrors', 'network.rx_errors'],
  ['netRxDropped', 'network.rx_dropped'],
  ['netTxBytes', 'network.tx_bytes'],
  ['netTxPackets', 'network.tx_packets'],
  ['netTxErrors', 'network.tx_errors'],
  ['netTxDropped', 'network.tx_dropped'],
]

const V1_SIGNALS: readonly (readonly [SignalField, string])[] = [
  ...SHARED_SIGNALS,
  ['oomKills', 'memory.oom_control/oom_kill'],
  ['underOom', 'memory.oom_control/under_oom'],
]

const V2_SIGNALS: readonly (readonly [SignalField, string])[] = [
  ...SHARED_SIGNALS,
  ['memoryLow', 'memory.events/low'],
  ['memoryHigh', 'memory.events/high'],
  ['memoryMax', 'memory.events/max'],
  ['memoryOom', 'memory.events/oom'],
  ['oomKills', 'memory.events/oom_kill'],
]

/** The columns of each group of signals, for telling a log without them from one whose cells are empty. */
export const SIGNAL_COLUMNS = {
  pressure: SHARED_SIGNALS.map(([, column]) => column),
  memoryEvents: [...V1_SIGNALS, ...V2_SIGNALS].filter(([field]) => !SHARED_SIGNALS.some(([shared]) => shared === field)).map(([, column]) => column),
  network: NETWORK_COLUMNS.map(([, column]) => column),
} as const

export function emptySample(): Sample {
  const nan = Number.NaN
  return {
    line: 0,
    time: nan,
    cpu: nan,
    periods: nan,
    throttled: nan,
    memory: nan,
    memoryLimit: nan,
    cpuQuota: nan,
    ioRead: nan,
    ioWrite: nan,
    ioWait: nan,
    faults: nan,
    majorFaults: nan,
    inactiveFile: nan,
    cpuPeriod: nan,
    cpuSome: nan,
    cpuFull: nan,
    memorySome: nan,
    memoryFull: nan,
    ioSome: nan,
    ioFull: nan,
    oomKills: nan,
    underOom: nan,
    memoryLow: nan,
    memoryHigh: nan,
    memoryMax: nan,
    memoryOom: nan,
    netRxBytes: nan,
    netRxPackets: nan,
    netRxErrors: nan,
    netRxDropped: nan,
    netTxBytes: nan,
    netTxPackets: nan,
    netTxErrors: nan,
    netTxDropped: nan,
  }
}

/** Thrown (and caught by the parser) for a cell that is not what its column holds. */
export class CellError extends Error {}

/** Fills a Sample from a row's cells; throws CellError naming the bad column. */
export type SampleReader = (cells: readonly string[], sample: Sample) => void

// The kernel's "no limit" for v1 memory is PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages).
const UNLIMITED_BYTES = 2 ** 62

/** Builds the reader for a log's columns: cgroup v1 (all radvisor layouts) or v2. */
export function sampleReader(info: LogInfo): SampleReader {
  const at = (name: string): number => info.columns.indexOf(name)
  const count = (name: string, scale = 1): ((cells: readonly string[]) => number) => {
    const index = at(name)
    return index === -1 ? () => Number.NaN : (cells) => parseCount(cells[index] ?? '', name) * scale
  }
  const time = at('read')
  if (time === -1) throw new CellError("the column row has no 'read' column")
  const v2 = info.collectorType === 'cgroup_v2'
  // A host-network target's cells are the host's traffic if anything: never the target's.
  const signals = [...(v2 ? V2_SIGNALS : V1_SIGNALS), ...(info.network === 'host' ? [] : NETWORK_COLUMNS)]
    .filter(([, column]) => at(column) !== -1)
    .map(([field, column]) => [field, count(column)] as const)
  const base = v2 ? v2Reader(time, at, count) : v1Reader(time, at, count)
  if (signals.length === 0) return base
  return (cells, sample) => {
    base(cells, sample)
    for (let i = 0; i < signals.length; i++) {
      const [field, read] = signals[i] as (typeof signals)[number]
      sample[field] = read(cells)
    }
  }
}

type Counter = (cells: readonly string[]) => number

function v1Reader(time: number, at: (name: string) => number, count: (name: string, scale?: number) => Counter): SampleReader {
  const cpu = count('cpu.usage.total')
  const periods = count('cpu.throttling.periods')
  const throttled = count('cpu.throttling.throttled.count')
  const memory = count('memory.usage.current')
  const hardLimit = count('memory.limit.hard')
  const hierarchicalLimit = count('memory.hierarchical_limit.memory')
  const quota = count('cpu.cfs_quota_us')
  const period = count('cpu.cfs_period_us')
  const faults = count('memory.fault.total')
  const majorFaults = count('memory.fault.major')
  const inactiveFile = count('memory.file.inactive')
  // radvisor up to 1.3 wrote each blkio file whole (`8:0 Read 1,8:0 Write 2,...,Total 3`).
  const legacyBytes = at('blkio.service.bytes')
  const legacyWait = at('blkio.wait')
  const ioRead = legacyBytes === -1 ? count('blkio.service.bytes.read') : legacyOp(legacyBytes, 'blkio.service.bytes', 'Read')
  const ioWrite = legacyBytes === -1 ? count('blkio.service.bytes.write') : legacyOp(legacyBytes, 'blkio.service.bytes', 'Write')
  const waitRead = legacyWait === -1 ? count('blkio.wait.read') : legacyOp(legacyWait, 'blkio.wait', 'Read')
  const waitWrite = legacyWait === -1 ? count('blkio.wait.write') : legacyOp(legacyWait, 'blkio.wait', 'Write')
  return (cells, sample) => {
    sample.time = parseTime(cells[time] ?? '')
    sample.cpu = cpu(cells)
    sample.periods = periods(cells)
    sample.throttled = throttled(cells)
    sample.memory = memory(cells)
    sample.memoryLimit = lowestLimit(hardLimit(cells), hierarchicalLimit(cells))
    const quotaMicros = quota(cells)
    const periodMicros = period(cells)
    sample.cpuQuota = quotaMicros > 0 ? quotaMicros / periodMicros : Number.NaN
    sample.cpuPeriod = periodMicros > 0 ? periodMicros / 1000 : Number.NaN
    sample.ioRead = ioRead(cells)
    sample.ioWrite = ioWrite(cells)
    sample.ioWait = waitRead(cells) + waitWrite(cells)
    sample.faults = faults(cells)
    sample.majorFaults = majorFaults(cells)
    sample.inactiveFile = inactiveFile(cells)
  }
}

function v2Reader(time: number, at: (name: string) => number, count: (name: string, scale?: number) => Counter): SampleReader {
  const cpu = count('cpu.stat/usage_usec', 1000)
  const periods = count('cpu.stat/nr_periods')
  const throttled = count('cpu.stat/nr_throttled')
  const memory = count('memory.current')
  const memoryMax = at('memory.max')
  const cpuMax = at('cpu.max')
  const ioRead = count('io.stat/rbytes')
  const ioWrite = count('io.stat/wbytes')
  const faults = count('memory.stat/pgfault')
  const majorFaults = count('memory.stat/pgmajfault')
  const inactiveFile = count('memory.stat/inactive_file')
  return (cells, sample) => {
    sample.time = parseTime(cells[time] ?? '')
    sample.cpu = cpu(cells)
    sample.periods = periods(cells)
    sample.throttled = throttled(cells)
    sample.memory = memory(cells)
    sample.memoryLimit = memoryMax === -1 ? Number.NaN : lowestLimit(parseLimit(cells[memoryMax] ?? '', 'memory.max'), Number.NaN)
    if (cpuMax === -1) {
      sample.cpuQuota = Number.NaN
      sample.cpuPeriod = Number.NaN
    } else {
      parseCpuMax(cells[cpuMax] ?? '', sample)
    }
    sample.ioRead = ioRead(cells)
    sample.ioWrite = ioWrite(cells)
    sample.ioWait = Number.NaN
    sample.faults = faults(cells)
    sample.majorFaults = majorFaults(cells)
    sample.inactiveFile = inactiveFile(cells)
  }
}

const COUNT = /^-?\d+(\.\d+)?$/

function parseCount(cell: string, column: string): number {
  if (cell === '') return Number.NaN
  if (!COUNT.test(cell)) throw new CellError(`'${column}' is not a number: '${shorten(cell)}'`)
  return Number(cell)
}

function parseLimit(cell: string, column: string): number {
  return cell === 'max' ? Number.NaN : parseCount(cell, column)
}

/** `read` is epoch nanoseconds (19 digits): split so the double keeps sub-microsecond precision. */
function parseTime(cell: string): number {
  if (!/^\d{7,}$/.test(cell)) throw new CellError(cell === '' ? "'read' is empty" : `'read' is not a nanosecond time: '${shorten(cell)}'`)
  return Number(cell.slice(0, -6)) + Number(cell.slice(-6)) / 1e6
}

/** v2 `cpu.max`: `<quota> <period>` in µs, or `max <period>`; sets the quota in cores and the period in ms. */
function parseCpuMax(cell: string, sample: Sample): void {
  sample.cpuQuota = Number.NaN
  sample.cpuPeriod = Number.NaN
  if (cell === '') return
  const match = /^(max|\d+) (\d+)$/.exec(cell)
  if (!match) throw new CellError(`'cpu.max' is not '<quota> <period>': '${shorten(cell)}'`)
  const period = Number(match[2])
  if (period > 0) sample.cpuPeriod = period / 1000
  if (match[1] !== 'max' && period > 0) sample.cpuQuota = Number(match[1]) / period
}

function lowestLimit(a: number, b: number): number {
  const aLimits = a > 0 && a < UNLIMITED_BYTES
  const bLimits = b > 0 && b < UNLIMITED_BYTES
  if (aLimits && bLimits) return Math.min(a, b)
  return aLimits ? a : bLimits ? b : Number.NaN
}

/** Sums one operation over the devices of a raw blkio cell (`Total 0` alone: no devices, so 0). */
function legacyOp(index: number, column: string, op: string): Counter {
  return (cells) => {
    const cell = cells[index] ?? ''
    if (cell === '') return Number.NaN
    let sum = 0
    for (const entry of cell.split(',')) {
      const parts = entry.trim().split(' ')
      const valid = parts.length === 3 ? /^\d+:\d+$/.test(parts[0] ?? '') : parts.length === 2 && parts[0] === 'Total'
      const value = parts[parts.length - 1] ?? ''
      if (!valid || !/^\d+$/.test(value)) throw new CellError(`'${column}' is not a blkio file's lines: '${shorten(cell)}'`)
      if (parts[1] === op) sum += Number(value)
    }
    return sum
  }
}

function shorten(cell: string): string {
  return cell.length > 40 ? `${cell.slice(0, 37)}...` : cell
}
