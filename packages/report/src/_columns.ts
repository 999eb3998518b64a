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
}

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
  return info.collectorType === 'cgroup_v2' ? v2Reader(time, at, count) : v1Reader(time, at, count)
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
    sample.cpuQuota = quotaMicros > 0 ? quotaMicros / period(cells) : Number.NaN
    sample.ioRead = ioRead(cells)
    sample.ioWrite = ioWrite(cells)
    sample.ioWait = waitRead(cells) + waitWrite(cells)
    sample.faults = faults(cells)
    sample.majorFaults = majorFaults(cells)
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
  return (cells, sample) => {
    sample.time = parseTime(cells[time] ?? '')
    sample.cpu = cpu(cells)
    sample.periods = periods(cells)
    sample.throttled = throttled(cells)
    sample.memory = memory(cells)
    sample.memoryLimit = memoryMax === -1 ? Number.NaN : lowestLimit(parseLimit(cells[memoryMax] ?? '', 'memory.max'), Number.NaN)
    sample.cpuQuota = cpuMax === -1 ? Number.NaN : parseCpuMax(cells[cpuMax] ?? '')
    sample.ioRead = ioRead(cells)
    sample.ioWrite = ioWrite(cells)
    sample.ioWait = Number.NaN
    sample.faults = faults(cells)
    sample.majorFaults = majorFaults(cells)
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

/** v2 `cpu.max`: `<quota> <period>` in µs, or `max <period>`. */
function parseCpuMax(cell: string): number {
  if (cell === '' || cell.startsWith('max')) return Number.NaN
  const match = /^(\d+) (\d+)$/.exec(cell)
  if (!match) throw new CellError(`'cpu.max' is not '<quota> <period>': '${shorten(cell)}'`)
  return Number(match[1]) / Number(match[2])
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
