import { defineSink } from '@radvisor/core'
import { parseListen } from './listen.ts'
import { createPrometheusSink } from './prometheus-sink.ts'

/** Serves `/metrics` for Prometheus, with per-target peak CPU utilisation between scrapes. */
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
  },
  create: (options, context) => createPrometheusSink(context, options.listen),
})

export default prometheusSink
export { createPrometheusSink, type PrometheusSink } from './prometheus-sink.ts'
export { type ListenAddress, parseListen } from './listen.ts'
