import { defineSink, formatDuration } from '@radvisor/core'
import { parseLabelAllowlist } from './_labels.ts'
import { parseListen } from './listen.ts'
import { createPrometheusSink, DEFAULT_PEAK_WINDOW_MS } from './prometheus-sink.ts'

/** The longest `--prometheus-peak-window`. */
const MAX_PEAK_WINDOW_MS = 3_600_000

/** Serves `/metrics` for Prometheus, with per-target peak CPU use over a sliding window. */
export const prometheusSink = defineSink({
  name: 'prometheus',
  description: 'Serve /metrics in the Prometheus text format on --prometheus-listen',
  options: {
    listen: {
      type: 'string',
      default: '127.0.0.1:9595',
      description: 'Address to serve /metrics on (<host>:<port>; :<port> for every interface)',
      check: (listen: string) => void parseListen(listen),
    },
    'peak-window': {
      type: 'duration',
      default: formatDuration(DEFAULT_PEAK_WINDOW_MS),
      description: 'Window of radvisor_cpu_peak_cores, the busiest single interval: at least the interval, at most 1h',
      maxMs: MAX_PEAK_WINDOW_MS,
    },
    labels: {
      type: 'string',
      repeatable: true,
      description: 'Container or pod labels to export as label_<key>, comma-separated or repeated (e.g. app,team,app.kubernetes.io/name)',
      check: (labels: string) => void parseLabelAllowlist(labels),
    },
  },
  create: (options, context) => createPrometheusSink(context, { listen: options.listen, peakWindowMs: options['peak-window'], labels: options.labels }),
})

export default prometheusSink
export { createPrometheusSink, type PrometheusSink, type PrometheusSinkOptions } from './prometheus-sink.ts'
export { type ListenAddress, parseListen } from './listen.ts'
