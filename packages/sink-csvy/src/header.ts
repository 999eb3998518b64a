import type { LogHeader } from '@radvisor/core'
import { stringify } from 'yaml'
import type { SystemInfo } from './system-info.ts'

/**
 * The start of a CSVY log as radvisor 1.4 writes it: `---`, the YAML header (keys in
 * radvisor's order, `~` for absent values, nanosecond times as plain integers), `---`,
 * then the CSV header row. Each line ends with `\n`.
 */
export function formatHeader(header: LogHeader, system: SystemInfo): string {
  const { target, collector } = header
  const document = {
    Version: header.version,
    Provider: target.provider,
    Metadata: target.metadata,
    PerfTable: { Delimiter: ',', Columns: collector.columnTypes },
    System: system,
    CollectorType: collector.type,
    CollectorMetadata: {
      Cgroup: collector.cgroup,
      CgroupDriver: collector.driver,
      // Not in radvisor 1.4's header; readers that do not know the key ignore it.
      ...(collector.cpuQuota !== undefined && { CpuQuota: collector.cpuQuota }),
      ...(collector.network !== undefined && { Network: collector.network }),
    },
    PolledAt: target.polledAt,
    InitializedAt: header.initializedAt,
  }
  // YAML 1.1 quoting, as radvisor's serde_yaml does: analysis scripts read these headers
  // with YAML 1.1 parsers (PyYAML), which would turn unquoted `yes` or dates into non-strings.
  const yaml = stringify(document, { version: '1.1', nullStr: '~', lineWidth: 0 })
  return `---\n${yaml}---\n${collector.columns.join(',')}\n`
}
