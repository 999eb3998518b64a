/**
 * An example radvisor sink plugin: forwards each target's CPU utilisation (in cores,
 * per sampling interval) to StatsD over UDP as gauges, batched into datagrams.
 *
 *   radvisor run docker --sink ./examples/custom-sink/statsd-sink.ts \
 *     --sink-option statsd.port=8125 --sink-option statsd.prefix=radvisor
 */
import { defineSink, type PluginContext, type Row, type Sink, type Target } from '@radvisor/core'

/** Where datagrams go: a UDP socket in production, an array in tests. */
export interface Transport {
  send(datagram: string): void
  close(): void | Promise<void>
}

export interface StatsdOptions {
  host: string
  port: number
  prefix: string
}

/** Keep datagrams under a typical MTU, as StatsD clients do. */
const MAX_DATAGRAM_BYTES = 1400
/** Send at least this often when --flush-every is not set. */
const DEFAULT_MAX_DELAY_MS = 1_000

/** The CPU counter of each cgroup version, and its unit in seconds. */
const CPU_COLUMNS: readonly [string, number][] = [
  ['cpu.usage.total', 1e-9],
  ['cpu.stat/usage_usec', 1e-6],
]

/** What the sink remembers per target between two rows. */
interface TargetState {
  readonly metric: string
  readonly cpuIndex: number
  readonly cpuScale: number
  previousCpu: number
  previousTimeNs: number
}

/** A UDP transport on Bun's datagram socket. */
export async function udpTransport(host: string, port: number): Promise<Transport> {
  const socket = await Bun.udpSocket({})
  return { send: (datagram) => void socket.send(datagram, port, host), close: () => socket.close() }
}

/**
 * Creates the sink. Per row it reads two cells (time and the CPU counter) by index,
 * computes utilisation over the interval since the target's previous row, and appends a
 * `<prefix>.<provider>.<target id>.cpu:<cores>|g` line to the current datagram.
 */
export function createStatsdSink(options: StatsdOptions, context: PluginContext, transport: Transport): Sink {
  const targets = new Map<string, TargetState>()
  const maxDelayMs = context.settings.flushEveryMs ?? DEFAULT_MAX_DELAY_MS
  let batch = ''
  let lastSend = context.clock.monotonic()
  let closed = false

  const send = () => {
    lastSend = context.clock.monotonic()
    if (batch === '') return
    const datagram = batch
    batch = ''
    try {
      transport.send(datagram)
    } catch (error) {
      // UDP is fire-and-forget: a refused datagram is reported once and dropped.
      context.logger.once('statsd:send', () => context.logger.warn(`statsd: cannot send to ${options.host}:${options.port}: ${String(error)}`))
    }
  }

  return {
    name: 'statsd',
    open(target: Target, header) {
      if (closed) return
      const columns = header.collector.columns
      const cpu = CPU_COLUMNS.find(([column]) => columns.includes(column))
      if (!cpu) {
        context.logger.warn(`statsd: ${target.name} has no CPU usage column; not forwarding it`)
        return
      }
      const name = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_')
      targets.set(target.id, {
        metric: `${options.prefix}.${name(target.provider)}.${name(target.id)}.cpu`,
        cpuIndex: columns.indexOf(cpu[0]),
        cpuScale: cpu[1],
        previousCpu: Number.NaN,
        previousTimeNs: Number.NaN,
      })
    },
    write(row: Row) {
      const state = targets.get(row.target.id)
      if (!state) return
      const timeNs = row.number(0)
      const cpu = row.number(state.cpuIndex)
      if (timeNs === null || cpu === null) return
      const cpuSeconds = cpu * state.cpuScale
      const elapsedSeconds = (timeNs - state.previousTimeNs) * 1e-9
      const used = cpuSeconds - state.previousCpu
      state.previousTimeNs = timeNs
      state.previousCpu = cpuSeconds
      if (!(elapsedSeconds > 0) || !(used >= 0)) return
      const line = `${state.metric}:${(used / elapsedSeconds).toFixed(4)}|g\n`
      if (batch.length + line.length > MAX_DATAGRAM_BYTES) send()
      batch += line
      if (context.clock.monotonic() - lastSend >= maxDelayMs) send()
    },
    closeTarget(target: Target) {
      targets.delete(target.id)
    },
    flush: send,
    async close() {
      if (closed) return
      closed = true
      targets.clear()
      send()
      await transport.close()
    },
  }
}

export default defineSink({
  name: 'statsd',
  description: 'Forward CPU utilisation per target to StatsD over UDP',
  options: {
    host: { type: 'string', default: '127.0.0.1', description: 'StatsD host' },
    port: { type: 'number', default: '8125', description: 'StatsD UDP port' },
    prefix: { type: 'string', default: 'radvisor', description: 'Metric name prefix' },
  },
  create: async (options, context) => createStatsdSink(options, context, await udpTransport(options.host, options.port)),
})
