/**
 * Deterministic synthetic CSVY logs in sink-csvy's layout, for the streaming test, the
 * memory benchmark and the README screenshot. Values follow a seeded random walk with
 * bursts of saturation placed where the caller says, so the expected millibottlenecks are
 * known.
 */

export type Schema = 'cgroup_v1' | 'cgroup_v2'

/** A saturation to inject: `resource` saturated from row `at` for `rows` intervals, again every `every` rows if given. */
export interface Burst {
  /** `cpu-pressure` needs `signals`: some task stalled on CPU for 80-90% of the interval. */
  readonly resource: 'cpu' | 'memory' | 'throttling' | 'cpu-pressure'
  readonly at: number
  readonly rows: number
  readonly every?: number
}

export interface SyntheticLog {
  readonly name: string
  readonly schema: Schema
  readonly rows: number
  readonly intervalMs?: number
  /** Unix ns of the first row. */
  readonly startNs?: bigint
  readonly hostCpus?: number
  readonly memoryLimit?: number
  readonly bursts?: readonly Burst[]
  /** Every `lateEvery` rows, one sample comes 2.5 intervals late. */
  readonly lateEvery?: number
  readonly seed?: number
  /** Also write the columns after radvisor 1.4's (pressure, memory events, network). */
  readonly signals?: boolean
  /** With `signals`, an OOM kill every `oomEvery` rows. */
  readonly oomEvery?: number
}

const MiB = 1 << 20

const V1_GROUPS = [
  'blkio.service.bytes',
  'blkio.service.ios',
  'blkio.service.time',
  'blkio.queued',
  'blkio.wait',
  'blkio.merged',
  'blkio.throttle.service.bytes',
  'blkio.throttle.service.ios',
  'blkio.bfq.service.bytes',
  'blkio.bfq.service.ios',
]

export const V1_COLUMNS: readonly string[] = [
  ...'read pids.current pids.max cpu.usage.total cpu.usage.system cpu.usage.user cpu.usage.percpu cpu.stat.user cpu.stat.system'.split(' '),
  ...'cpu.throttling.periods cpu.throttling.throttled.count cpu.throttling.throttled.time memory.usage.current memory.usage.max'.split(' '),
  ...'memory.limit.hard memory.limit.soft memory.failcnt memory.hierarchical_limit.memory memory.hierarchical_limit.memoryswap'.split(' '),
  ...'memory.cache memory.rss.all memory.rss.huge memory.mapped memory.swap memory.paged.in memory.paged.out memory.fault.total'.split(' '),
  ...'memory.fault.major memory.anon.inactive memory.anon.active memory.file.inactive memory.file.active memory.unevictable'.split(' '),
  'blkio.time',
  'blkio.sectors',
  ...V1_GROUPS.flatMap((group) => ['read', 'write', 'sync', 'async'].map((op) => `${group}.${op}`)),
]

export const V2_COLUMNS: readonly string[] = [
  ...'read pids.current pids.max cpu.stat/usage_usec cpu.stat/system_usec cpu.stat/user_usec cpu.stat/nr_periods'.split(' '),
  ...'cpu.stat/nr_throttled cpu.stat/throttled_usec memory.current memory.high memory.max'.split(' '),
  ...'anon file kernel_stack pagetables percpu sock shmem file_mapped file_dirty file_writeback swapcached inactive_anon active_anon inactive_file active_file unevictable pgfault pgmajfault'
    .split(' ')
    .map((key) => `memory.stat/${key}`),
  ...'rbytes wbytes rios wios dbytes dios'.split(' ').map((key) => `io.stat/${key}`),
]

const PRESSURE_COLUMNS = ['cpu', 'memory', 'io'].flatMap((resource) => [`${resource}.pressure/some_total`, `${resource}.pressure/full_total`])
const NETWORK_COLUMNS = ['rx', 'tx'].flatMap((way) => ['bytes', 'packets', 'errors', 'dropped'].map((counter) => `network.${way}_${counter}`))

/** The columns after radvisor 1.4's that the collectors write, in their order. */
export const SIGNAL_COLUMNS: Readonly<Record<Schema, readonly string[]>> = {
  cgroup_v1: [...PRESSURE_COLUMNS, 'memory.oom_control/oom_kill', 'memory.oom_control/under_oom', ...NETWORK_COLUMNS],
  cgroup_v2: [...PRESSURE_COLUMNS, ...['low', 'high', 'max', 'oom', 'oom_kill'].map((key) => `memory.events/${key}`), ...NETWORK_COLUMNS],
}

/** The log's lines (without `\n`), generated lazily. */
export function* syntheticLines(log: SyntheticLog): Generator<string> {
  const intervalNs = BigInt(Math.round((log.intervalMs ?? 50) * 1e6))
  const hostCpus = log.hostCpus ?? 2
  const memoryLimit = log.memoryLimit ?? 256 * MiB
  const columns = [...(log.schema === 'cgroup_v1' ? V1_COLUMNS : V2_COLUMNS), ...(log.signals ? SIGNAL_COLUMNS[log.schema] : [])]
  yield* header(log, hostCpus).split('\n')
  yield columns.join(',')
  const random = mulberry32(log.seed ?? 1)
  const burstAt = (resource: Burst['resource'], row: number): boolean =>
    (log.bursts ?? []).some((burst) => burst.resource === resource && row > burst.at && (row - burst.at - 1) % (burst.every ?? Infinity) < burst.rows)
  let time = log.startNs ?? 1_700_000_000_000_000_000n
  let cpuNs = 5_000_000_000
  let periods = 0
  let throttled = 0
  let readBytes = 0
  let writeBytes = 0
  let faults = 10_000
  let load = 0.3
  const signals = { cpuSome: 0, cpuFull: 0, memorySome: 0, ioSome: 0, oomKills: 0, rxBytes: 0, rxPackets: 0, txBytes: 0, txPackets: 0 }
  for (let row = 0; row < log.rows; row++) {
    const late = log.lateEvery !== undefined && row > 0 && row % log.lateEvery === 0
    const elapsedNs = row === 0 ? 0n : late ? (intervalNs * 5n) / 2n : intervalNs
    time += elapsedNs
    const elapsed = Number(elapsedNs)
    load = Math.min(0.7, Math.max(0.05, load + (random() - 0.5) * 0.08))
    const cores = burstAt('cpu', row) ? hostCpus * (0.96 + random() * 0.04) : load * hostCpus * (0.8 + random() * 0.4)
    cpuNs += Math.round(cores * elapsed)
    const periodsNow = Math.round(elapsed / 100_000_000 + random())
    periods += periodsNow
    if (burstAt('throttling', row)) throttled += Math.max(1, periodsNow)
    const memory = burstAt('memory', row)
      ? Math.round(memoryLimit * (0.96 + random() * 0.03))
      : Math.round(memoryLimit * (0.4 + 0.1 * Math.sin(row / 200) + random() * 0.02))
    readBytes += Math.round(random() < 0.2 ? random() * 2 * MiB : 0)
    writeBytes += Math.round(random() < 0.4 ? random() * 512 * 1024 : 0)
    faults += Math.round(random() * 40)
    const values: Record<string, string> =
      log.schema === 'cgroup_v1'
        ? {
            read: String(time),
            'pids.current': '4',
            'pids.max': 'max',
            'cpu.usage.total': String(cpuNs),
            'cpu.usage.user': String(cpuNs),
            'cpu.usage.percpu': Array.from({ length: hostCpus }, () => String(Math.round(cpuNs / hostCpus))).join(' '),
            'cpu.throttling.periods': String(periods),
            'cpu.throttling.throttled.count': String(throttled),
            'memory.usage.current': String(memory),
            'memory.limit.hard': String(memoryLimit),
            'memory.limit.soft': '9223372036854771712',
            'memory.hierarchical_limit.memory': String(memoryLimit),
            'memory.hierarchical_limit.memoryswap': '9223372036854771712',
            'memory.fault.total': String(faults),
            'memory.file.inactive': String(Math.round(memory / 10)),
            'blkio.service.bytes.read': String(readBytes),
            'blkio.service.bytes.write': String(writeBytes),
          }
        : {
            read: String(time),
            'pids.current': '4',
            'pids.max': 'max',
            'cpu.stat/usage_usec': String(Math.round(cpuNs / 1000)),
            'cpu.stat/user_usec': String(Math.round(cpuNs / 1000)),
            'cpu.stat/nr_periods': String(periods),
            'cpu.stat/nr_throttled': String(throttled),
            'memory.current': String(memory),
            'memory.high': 'max',
            'memory.max': String(memoryLimit),
            'memory.stat/pgfault': String(faults),
            'memory.stat/inactive_file': String(Math.round(memory / 10)),
            'io.stat/rbytes': String(readBytes),
            'io.stat/wbytes': String(writeBytes),
          }
    if (log.signals) {
      const elapsedUs = elapsed / 1000
      signals.cpuSome += Math.round(burstAt('cpu-pressure', row) ? elapsedUs * (0.8 + random() * 0.1) : elapsedUs * random() * 0.05)
      signals.cpuFull += Math.round(elapsedUs * random() * 0.01)
      signals.memorySome += Math.round(random() < 0.05 ? elapsedUs * random() * 0.2 : 0)
      signals.ioSome += Math.round(elapsedUs * random() * 0.02)
      if (log.oomEvery !== undefined && row > 0 && row % log.oomEvery === 0) signals.oomKills++
      const packets = Math.round(elapsed / 1e6 + random() * 40)
      signals.rxPackets += packets
      signals.rxBytes += packets * 1200
      signals.txPackets += Math.round(packets / 2)
      signals.txBytes += Math.round(packets / 2) * 400
      Object.assign(values, {
        'cpu.pressure/some_total': String(signals.cpuSome),
        'cpu.pressure/full_total': String(signals.cpuFull),
        'memory.pressure/some_total': String(signals.memorySome),
        'io.pressure/some_total': String(signals.ioSome),
        'network.rx_bytes': String(signals.rxBytes),
        'network.rx_packets': String(signals.rxPackets),
        'network.tx_bytes': String(signals.txBytes),
        'network.tx_packets': String(signals.txPackets),
        [log.schema === 'cgroup_v1' ? 'memory.oom_control/oom_kill' : 'memory.events/oom_kill']: String(signals.oomKills),
      })
    }
    yield columns.map((column) => values[column] ?? '0').join(',')
  }
}

/** The log as byte chunks of about `chunkBytes`, as a file stream would deliver them. */
export function* syntheticChunks(log: SyntheticLog, chunkBytes = 1 << 16): Generator<Uint8Array> {
  const encoder = new TextEncoder()
  let pending = ''
  for (const line of syntheticLines(log)) {
    pending += `${line}\n`
    if (pending.length >= chunkBytes) {
      yield encoder.encode(pending)
      pending = ''
    }
  }
  if (pending) yield encoder.encode(pending)
}

function header(log: SyntheticLog, hostCpus: number): string {
  const percpu = log.schema === 'cgroup_v1' ? `    cpu.usage.percpu:\n      Type: int\n      Count: ${hostCpus}\n` : ''
  return `---
Version: 0.1.0
Provider: docker
Metadata:
  Id: ${log.name.padEnd(64, '0').slice(0, 64)}
  Names:
    - /${log.name}
  Image: busybox
PerfTable:
  Delimiter: ","
  Columns:
    read:
      Type: epoch19
${percpu}System:
  OsType: Linux
  OsRelease: 6.1.0
  MemoryTotal: 8000000
  SwapTotal: 0
  Hostname: synthetic
  CpuCount: ${hostCpus}
  CpuOnlineCount: ${hostCpus}
  CpuSpeed: 2400
CollectorType: ${log.schema}
CollectorMetadata:
  Cgroup: docker/${log.name}
  CgroupDriver: cgroupfs
PolledAt: ${log.startNs ?? 1_700_000_000_000_000_000n}
InitializedAt: ${log.startNs ?? 1_700_000_000_000_000_000n}
---`
}

/** A small, seeded PRNG (mulberry32), so every run generates the same log. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
