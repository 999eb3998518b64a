import { describeError, type LogHeader, type PluginContext, RadvisorError, type Row, type Sink, type Target, type TargetWriter } from '@radvisor/core'
import { serveScrapes } from './_http.ts'
import { METRICS, PEAK_METRIC } from './_metrics.ts'
import { TargetSeries } from './_series.ts'
import { parseListen } from './listen.ts'

/** The Prometheus sink, with the address it actually serves on. */
export interface PrometheusSink extends Sink {
  open(target: Target, header: LogHeader): TargetWriter
  /** `http://<host>:<port>/metrics`, with the real port when 0 was asked for. */
  readonly url: string
  /** The exposition text a scrape gets now (it resets the peak utilisation, as a scrape does). */
  render(): string
}

/**
 * Serves `/metrics` in the Prometheus text format (0.0.4) on `listen`. Each row updates
 * its target's values in place; a scrape renders them. Series of a target disappear when
 * its writer closes. `radvisor_cpu_peak_utilization` is the highest CPU utilisation over a
 * single sampling interval since the previous scrape, so with one scraper a 15 s scrape
 * still sees a 50 ms saturation (several scrapers share, and reset, the same peak).
 * A bad or busy address fails at create, with exit code 2.
 */
export function createPrometheusSink(context: PluginContext, listen: string): PrometheusSink {
  const address = parseListen(listen)
  const series = new Set<TargetSeries>()
  const render = () => renderMetrics(series)
  let server: ReturnType<typeof serveScrapes>
  try {
    server = serveScrapes(address, render, context.logger)
  } catch (error) {
    throw new RadvisorError('sink-prometheus', 'E_OPTION', `cannot listen on ${listen} (--prometheus-listen): ${describeError(error)}`, {
      cause: error,
    })
  }
  const host = address.hostname.includes(':') ? `[${address.hostname}]` : address.hostname
  const url = `http://${host}:${server.port}/metrics`
  context.logger.status('Serving', `Prometheus metrics on ${url}`)
  let closed = false

  return {
    name: 'prometheus',
    url,
    render,
    open(target: Target, header: LogHeader): TargetWriter {
      const targetSeries = new TargetSeries(target, header.collector.columns)
      if (!closed) series.add(targetSeries)
      return {
        write: (row: Row) => targetSeries.update(row),
        close: () => void series.delete(targetSeries),
      }
    },
    flush() {},
    async close() {
      if (closed) return
      closed = true
      series.clear()
      await server.stop(true)
    },
  }
}

function renderMetrics(series: ReadonlySet<TargetSeries>): string {
  let text = ''
  METRICS.forEach((metric, m) => {
    text += `# HELP ${metric.name} ${metric.help}\n# TYPE ${metric.name} ${metric.type}\n`
    for (const target of series.values()) {
      const value = target.values[m]!
      if (!Number.isNaN(value)) text += `${metric.name}${target.labels} ${formatValue(value)}\n`
    }
  })
  text += `# HELP ${PEAK_METRIC.name} ${PEAK_METRIC.help}\n# TYPE ${PEAK_METRIC.name} ${PEAK_METRIC.type}\n`
  for (const target of series.values()) {
    const peak = target.takePeak()
    if (!Number.isNaN(peak)) text += `${PEAK_METRIC.name}${target.labels} ${formatValue(peak)}\n`
  }
  return text
}

function formatValue(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+Inf' : String(value)
}
