import { defineSink } from '@radvisor/core'
import { createCsvySink } from './csvy-sink.ts'

/**
 * The default sink: one radvisor-compatible CSVY log per target in `-d/--directory`,
 * buffered per target (`-b/--buffer`, `--flush-every`), with an optional flush log
 * (`-f/--flush-log`).
 */
export const csvySink = defineSink({
  name: 'csvy',
  description: 'radvisor-compatible CSVY logs (YAML header + CSV rows), one file per target in --directory',
  create: (_options, context) => createCsvySink(context),
})

export default csvySink
export { type CsvySinkHandle, createCsvySink } from './csvy-sink.ts'
export { formatHeader } from './header.ts'
export { type Distribution, readSystemInfo, type SystemInfo } from './system-info.ts'
