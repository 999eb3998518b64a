/**
 * An example radvisor sink plugin: forwards each target's CPU utilisation (in cores,
 * per sampling interval) to StatsD over UDP as gauges, batched into datagrams.
 *
 *   radvisor run docker --sink ./examples/custom-sink/statsd-sink.ts \
 *     --sink-option statsd.port=8125 --sink-option statsd.prefix=radvisor
 */
import { defineSink, type LogHeader, type PluginContext, type Row, type Sink, type Target, type TargetWriter } from '@radvisor/core'

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

/** The CPU counter of each cgroup version, and its unit in seconds. */
const CPU_COLUMNS: readonly [string, number][] = [
  ['cpu.usage.total', 1e-9],
  ['cpu.stat/usage_usec', 1e-6],
]


/** The sink; `open` answers at once. */
export interface StatsdSink extends Sink {
  open(target: Target, header: LogHeader): TargetWriter
}

/** A UDP transport on Bun's datagram socket. */
export async function udpTransport(host: string, port: number): Promise<Transport> {
  const socket = await Bun.udpSocket({})
  return { send: (datagram) => void socket.send(datagram, port, host), close: () => socket.close() }
}

/**
 * Creates the sink. Per row it reads two cells (time and the CPU counter) by index,
 * computes utilisation over the interval since the target's previous row, and appends a
 * `<prefix>.<provider>.<target id>.cpu:<cores>|g` line to the current datagram. The runner
 * calls `flush` every `--flush-every`: that sends whatever the datagram holds.
 */
export function createStatsdSink(options: StatsdOptions, context: PluginContext, transport: Transport): StatsdSink {
  const destination = `${options.host}:${options.port}`
  let batch = ''
  let batchRows = 0
  let closed = false

  const send = () => {
    if (batch === '') return
    const [datagram, rows] = [batch, batchRows]
    batch = ''
    batchRows = 0
    try {
      transport.send(datagram)
    } catch (error) {
      // UDP is fire-and-forget: a refused datagram is reported once, and its rows counted as lost.
      context.losses.record('statsd', destination, rows, `cannot send to ${destination}: ${String(error)}`)
      context.logger.once('statsd:send', () => context.logger.warn(`statsd: cannot send to ${destination}: ${String(error)}`))
    }
  }

  /** A writer that forwards nothing, for a target without a CPU column. */
  const ignore: TargetWriter = { write() {}, close() {} }

  return {
    name: 'statsd',
    open(target: Target, header: LogHeader): TargetWriter {
      const columns = header.collector.columns
      const cpu = CPU_COLUMNS.find(([column]) => columns.includes(column))
      if (!cpu) {
        context.logger.warn(`statsd: ${target.name} has no CPU usage column; not forwarding it`)
        return ignore
      }
      const name = (text: string) => text.replace(/[^A-Za-z0-9_-]/g, '_')
      const metric = `${options.prefix}.${name(target.provider)}.${name(target.id)}.cpu`
      const cpuIndex = columns.indexOf(cpu[0])
      const cpuScale = cpu[1]
      let previousCpu = Number.NaN
      let previousTimeNs = Number.NaN
      return {
        write(row: Row) {
          const timeNs = row.number(0)
          const cpuCell = row.number(cpuIndex)
          if (closed || timeNs === null || cpuCell === null) return
          const cpuSeconds = cpuCell * cpuScale
          const elapsedSeconds = (timeNs - previousTimeNs) * 1e-9
          const used = cpuSeconds - previousCpu
          previousTimeNs = timeNs
          previousCpu = cpuSeconds
          if (!(elapsedSeconds > 0) || !(used >= 0)) return
          const line = `${metric}:${(used / elapsedSeconds).toFixed(4)}|g\n`
          if (batch.length + line.length > MAX_DATAGRAM_BYTES) send()
          batch += line
          batchRows++
        },
        close() {},
      }
    },
    flush: send,
    async close() {
      if (closed) return
      closed = true
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
