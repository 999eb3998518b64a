import type { CollectorInfo, LogHeader } from '@radvisor/core'
import { stringify } from 'yaml'
import type { SystemInfo } from './system-info.ts'

// YAML 1.1 quoting, as radvisor's serde_yaml does: analysis scripts read these headers with
// YAML 1.1 parsers (PyYAML), which would turn unquoted `yes` or dates into non-strings.
const YAML_OPTIONS = { version: '1.1', nullStr: '~', lineWidth: 0 } as const
/** Distinct column-type tables kept: one per kind of collector (and CPU count) a host has. */
const MAX_PERF_TABLES = 16

/**
 * The start of a CSVY log as radvisor 1.4 writes it: `---`, the YAML header (keys in
 * radvisor's order, `~` for absent values, nanosecond times as plain integers), `---`,
 * then the CSV header row. Each line ends with `\n`.
 *
 * The YAML of what every log of a sink shares (the `System` section, each collector kind's
 * `PerfTable`) is made once: through `yaml` a header costs ~0.4 ms of CPU and ~15 KB of
 * garbage, most of it for those parts, which 500 targets starting at once multiplied into a
 * burst of 7 MB of heap. Each top-level key is a block of its own in YAML, so the header is
 * the same text as one `stringify` of the whole document.
 */
export class HeaderFormatter {
  private readonly system: string
  /** `PerfTable` blocks by their column types' JSON. */
  private readonly perfTables = new Map<string, string>()

  constructor(system: SystemInfo) {
    this.system = stringify({ System: system }, YAML_OPTIONS)
  }

  format(header: LogHeader): string {
    const { target, collector } = header
    const head = stringify({ Version: header.version, Provider: target.provider, Metadata: target.metadata }, YAML_OPTIONS)
    const tail = stringify(
      {
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
      },
      YAML_OPTIONS,
    )
    return `---\n${head}${this.perfTable(collector)}${this.system}${tail}---\n${collector.columns.join(',')}\n`
  }

  private perfTable({ columnTypes }: CollectorInfo): string {
    const key = JSON.stringify(columnTypes)
    let text = this.perfTables.get(key)
    if (text === undefined) {
      text = stringify({ PerfTable: { Delimiter: ',', Columns: columnTypes } }, YAML_OPTIONS)
      if (this.perfTables.size >= MAX_PERF_TABLES) this.perfTables.clear()
      this.perfTables.set(key, text)
    }
    return text
  }
}

/** One header, without a formatter's shared parts (see `HeaderFormatter`). */
export function formatHeader(header: LogHeader, system: SystemInfo): string {
  return new HeaderFormatter(system).format(header)
}
