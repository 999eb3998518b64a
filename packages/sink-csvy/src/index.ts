import { defineSink, quote, RadvisorError } from '@radvisor/core'
import type { RetentionPolicy } from './_retention.ts'
import { createCsvySink } from './csvy-sink.ts'
import { readSystemInfo } from './system-info.ts'

/** A host name as DNS and Kubernetes node names allow it. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$/

/**
 * The default sink: one radvisor-compatible CSVY log per target in `-d/--directory`,
 * buffered per target (`-b/--buffer`, `--flush-every`), with an optional flush log
 * (`-f/--flush-log`). With a retention option, old logs in the directory are deleted when
 * the sink starts and then hourly (at the runner's flush).
 */
export const csvySink = defineSink({
  name: 'csvy',
  description: 'radvisor-compatible CSVY logs (YAML header + CSV rows), one file per target in --directory',
  options: {
    'retention-age': {
      type: 'duration',
      maxMs: 3_650 * 86_400_000,
      description: 'Delete radvisor logs in --directory last written longer ago than this (e.g. 7d), when collection starts and hourly',
    },
    'retention-size': {
      type: 'size',
      description: 'Delete the oldest radvisor logs in --directory beyond this total size (e.g. 10GiB), when collection starts and hourly',
    },
    hostname: {
      type: 'string',
      description: "System.Hostname in log headers (default: the kernel's host name); in a DaemonSet, the node's name",
    },
  },
  create(options, context) {
    const system = readSystemInfo(context.fs)
    const hostname = options.hostname
    if (hostname !== undefined && !HOSTNAME.test(hostname)) {
      // quote: the value comes from outside (an env var, a manifest).
      throw new RadvisorError('sink-csvy', 'E_OPTION', `invalid value ${quote(hostname)} for --csvy-hostname: expected a host name, such as node-1.example`)
    }
    const retention: RetentionPolicy | null =
      options['retention-age'] === undefined && options['retention-size'] === undefined
        ? null
        : { maxAgeMs: options['retention-age'] ?? null, maxBytes: options['retention-size'] ?? null }
    return createCsvySink(context, hostname === undefined ? system : { ...system, Hostname: hostname }, retention)
  },
})

export default csvySink
export { type CsvySinkHandle, createCsvySink } from './csvy-sink.ts'
export { formatHeader } from './header.ts'
export { type Distribution, readSystemInfo, type SystemInfo } from './system-info.ts'
