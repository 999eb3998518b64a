import {
  describeError,
  formatDuration,
  type LogHeader,
  type PluginContext,
  RadvisorError,
  type Row,
  type Sink,
  type Target,
  type TargetWriter,
} from '@radvisor/core'
import { serveScrapes } from './_http.ts'
import { escapeValue, formatLabels, parseLabelAllowlist } from './_labels.ts'
import { METRICS, PEAK_METRIC } from './_metrics.ts'
import { TargetSeries } from './_series.ts'
import { parseListen } from './listen.ts'

/** The Prometheus sink, with the address it actually serves on. */
export interface PrometheusSink extends Sink {
  open(target: Target, header: LogHeader): TargetWriter
  /** `http://<host>:<port>/metrics`, with the real port when 0 was asked for. */
  readonly url: string
  /** The exposition text a scrape gets now. */
  render(): string
}

export interface PrometheusSinkOptions {
  /** `--prometheus-listen`: `<host>:<port>`. */
  readonly listen: string
  /** `--prometheus-peak-window`: the window of `radvisor_cpu_peak_cores`, in ms (default 15 s). */
  readonly peakWindowMs?: number
  /** `--prometheus-labels`: container label keys to export as `label_<key>`, comma-separated. */
  readonly labels?: string
}

export const DEFAULT_PEAK_WINDOW_MS = 15_000

/**
 * Serves `/metrics` in the Prometheus text format (0.0.4) on `listen`. Each row updates
 * its target's values in place; a scrape renders them, and radvisor's own health. Series of a
 * target disappear when its writer closes. `radvisor_cpu_peak_cores` is the highest CPU use
 * over a single sampling interval in a fixed sliding window, so a 15 s scrape still sees a 50 ms
 * saturation, and every scraper sees the same peak. A bad or busy address, or a peak window
 * shorter than the interval, fails at create, with exit code 2.
 */
export function createPrometheusSink(context: PluginContext, options: PrometheusSinkOptions): PrometheusSink {
  const address = parseListen(options.listen)
  const allowlist = parseLabelAllowlist(options.labels)
  const peakWindowMs = options.peakWindowMs ?? DEFAULT_PEAK_WINDOW_MS
  if (peakWindowMs < context.settings.intervalMs) {
    throw new RadvisorError(
      'sink-prometheus',
      'E_OPTION',
      `invalid value '${formatDuration(peakWindowMs)}' for --prometheus-peak-window: shorter than the interval (${formatDuration(context.settings.intervalMs)}), it would hold no interval`,
    )
  }
  const series = new Set<TargetSeries>()
  const peakHelp = PEAK_METRIC.help(formatDuration(peakWindowMs))
  const render = () => renderMetrics(series, context, peakHelp)
  let server: ReturnType<typeof serveScrapes>
  try {
    server = serveScrapes(address, render, context.logger)
  } catch (error) {
    throw new RadvisorError('sink-prometheus', 'E_OPTION', `cannot listen on ${options.listen} (--prometheus-listen): ${describeError(error)}`, {
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
      const targetSeries = new TargetSeries(formatLabels(target, allowlist), header.collector.columns, peakWindowMs)
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

function renderMetrics(series: ReadonlySet<TargetSeries>, context: PluginContext, peakHelp: string): string {
  let text = ''
  METRICS.forEach((metric, m) => {
    text += family(metric.name, metric.type, metric.help)
    for (const target of series) {
      const value = target.values[m]!
      if (!Number.isNaN(value)) text += `${metric.name}${target.labels} ${formatValue(value)}\n`
    }
  })
  text += family(PEAK_METRIC.name, PEAK_METRIC.type, peakHelp)
  const now = context.clock.now()
  for (const target of series) {
    const peak = target.peak(now)
    if (!Number.isNaN(peak)) text += `${PEAK_METRIC.name}${target.labels} ${formatValue(peak)}\n`
  }
  return text + renderSelf(series.size, context)
}

/** radvisor's own health: build, targets, sampling punctuality, rows lost, sink failures. */
function renderSelf(targets: number, context: PluginContext): string {
  const { ticks, missed, lateness } = context.tickStats()
  const seconds = (ms: number) => formatValue(ms / 1000)
  return (
    family('radvisor_build_info', 'gauge', 'radvisor build information; always 1.') +
    `radvisor_build_info{version="${escapeValue(context.settings.version)}"} 1\n` +
    family('radvisor_targets', 'gauge', 'Targets whose samples this sink receives now.') +
    `radvisor_targets ${targets}\n` +
    family('radvisor_ticks_total', 'counter', 'Sampling ticks run.') +
    `radvisor_ticks_total ${ticks}\n` +
    family('radvisor_ticks_missed_total', 'counter', 'Sampling ticks skipped because the one before overran its interval.') +
    `radvisor_ticks_missed_total ${missed}\n` +
    family('radvisor_tick_lateness_seconds', 'summary', 'How late sampling ticks started after their due time, since the run began.') +
    `radvisor_tick_lateness_seconds{quantile="0.5"} ${seconds(lateness.p50)}\n` +
    `radvisor_tick_lateness_seconds{quantile="0.99"} ${seconds(lateness.p99)}\n` +
    `radvisor_tick_lateness_seconds_sum ${seconds(lateness.sum)}\n` +
    `radvisor_tick_lateness_seconds_count ${ticks}\n` +
    family('radvisor_tick_lateness_max_seconds', 'gauge', 'The latest start of a sampling tick after its due time, since the run began.') +
    `radvisor_tick_lateness_max_seconds ${seconds(lateness.max)}\n` +
    family('radvisor_rows_dropped_total', 'counter', 'Collected rows a sink could not deliver, counted when their output closed (a target stopping, shutdown).') +
    `radvisor_rows_dropped_total ${context.losses.total}\n` +
    family('radvisor_sink_errors_total', 'counter', "Calls of a sink (open, write, flush, close) that failed with an error.") +
    `radvisor_sink_errors_total ${context.losses.sinkErrors}\n`
  )
}

function family(name: string, type: string, help: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`
}

function formatValue(value: number): string {
  return value === Number.POSITIVE_INFINITY ? '+Inf' : String(value)
}
