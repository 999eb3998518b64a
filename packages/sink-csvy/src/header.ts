import type { LogHeader } from '@radvisor/core'
import { stringify } from 'yaml'
import type { SystemInfo } from './system-info.ts'

// YAML 1.1 quoting, as radvisor's serde_yaml does: analysis scripts read these headers with
// YAML 1.1 parsers (PyYAML), which would turn unquoted `yes` or dates into non-strings.
const YAML_OPTIONS = { version: '1.1', nullStr: '~', lineWidth: 0 } as const
/** Distinct shared blocks kept (column types per collector kind and CPU count, provider names...). */
const MAX_BLOCKS = 64

/** The YAML of `{ [key]: value }`: one top-level key and its value, a block of its own. */
function block(key: string, value: unknown): string {
  // A nanosecond time: its digits are the YAML integer.
  if (typeof value === 'bigint') return `${key}: ${value}\n`
  return stringify({ [key]: value }, YAML_OPTIONS)
}

/**
 * The start of a CSVY log as radvisor 1.4 writes it: `---`, the YAML header (keys in
 * radvisor's order, `~` for absent values, nanosecond times as plain integers), `---`,
 * then the CSV header row. Each line ends with `\n`.
 *
 * Each top-level key is a block of its own in YAML, so the header is made block by block, and
 * the blocks every log of a sink shares (the `System` section; `PerfTable`, `Version`,
 * `Provider` and `CollectorType`, which few values cover) and the CSV header row of each
 * column list are made once: through `yaml` a whole header cost ~0.6 ms of CPU and ~15 KB of
 * garbage, and 500 targets starting at once made that the run's peak of memory. Only
 * `Metadata` and `CollectorMetadata` are made per log. The text is the same as one
 * `stringify` of the whole document.
 */
export class HeaderFormatter {
  private readonly system: string
  /** Shared blocks by key name and value (JSON). */
  private readonly blocks = new Map<string, string>()
  private readonly headerRows = new WeakMap<readonly string[], string>()

  constructor(system: SystemInfo) {
    this.system = block('System', system)
  }

  format(header: LogHeader): string {
    const { target, collector } = header
    const collectorMetadata = {
      Cgroup: collector.cgroup,
      CgroupDriver: collector.driver,
      // Not in radvisor 1.4's header; readers that do not know the key ignore it.
      ...(collector.cpuQuota !== undefined && { CpuQuota: collector.cpuQuota }),
      ...(collector.network !== undefined && { Network: collector.network }),
    }
    return (
      `---\n${this.shared('Version', header.version)}${this.shared('Provider', target.provider)}${block('Metadata', target.metadata)}` +
      `${this.shared('PerfTable', { Delimiter: ',', Columns: collector.columnTypes })}${this.system}${this.shared('CollectorType', collector.type)}` +
      `${block('CollectorMetadata', collectorMetadata)}${block('PolledAt', target.polledAt)}${block('InitializedAt', header.initializedAt)}` +
      `---\n${this.headerRow(collector.columns)}\n`
    )
  }

  private shared(key: string, value: unknown): string {
    const id = `${key}\0${JSON.stringify(value)}`
    let text = this.blocks.get(id)
    if (text === undefined) {
      text = block(key, value)
      if (this.blocks.size >= MAX_BLOCKS) this.blocks.clear()
      this.blocks.set(id, text)
    }
    return text
  }

  private headerRow(columns: readonly string[]): string {
    let row = this.headerRows.get(columns)
    if (row === undefined) this.headerRows.set(columns, (row = columns.join(',')))
    return row
  }
}

/** One header, without a formatter's shared blocks (see `HeaderFormatter`). */
export function formatHeader(header: LogHeader, system: SystemInfo): string {
  return new HeaderFormatter(system).format(header)
}
