import { parse } from 'yaml'

export type CollectorType = 'cgroup_v1' | 'cgroup_v2'

/** What a log's YAML header and column row say about its target. */
export interface LogInfo {
  /** The file (or label) the log was read from. */
  readonly source: string
  /** radvisor version that wrote the log. */
  readonly version: string | null
  readonly provider: string | null
  /** Human name: `namespace/pod`, the container name, the cgroup, or the file name. */
  readonly name: string
  /** Container id (12 characters) or pod uid, when the provider gave one. */
  readonly id: string | null
  readonly collectorType: CollectorType
  readonly cgroup: string | null
  readonly driver: string | null
  /** Online CPUs of the host, the CPU limit of a cgroup without a quota. */
  readonly hostCpus: number | null
  /** The cgroup's CPU quota in cores when collection began (`CollectorMetadata.CpuQuota`), if the log says. */
  readonly cpuQuota: number | null
  /**
   * Whose network the log's network columns count (`CollectorMetadata.Network`): `host`
   * when the target shares the host's namespace (not attributed: its cells are empty),
   * `own` for any other value, null when the header does not say.
   */
  readonly network: 'host' | 'own' | null
  /** Nanosecond Unix time collection began, as written. */
  readonly initializedAt: string | null
  readonly columns: readonly string[]
}

type Yaml = Record<string, unknown>

/** Parses the YAML between the `---` lines; throws the yaml package's error on bad YAML. */
export function parseHeaderYaml(text: string): Yaml {
  // intAsBigInt: nanosecond timestamps do not fit a double.
  const document: unknown = parse(text, { intAsBigInt: true })
  if (document === null || document === undefined) return {}
  if (typeof document !== 'object' || Array.isArray(document)) throw new Error('the YAML header is not a mapping')
  return document as Yaml
}

/**
 * Reads the header of any radvisor layout: `CollectorMetadata{Cgroup,CgroupDriver}` (1.4 and
 * ours) or `Cgroup`/`CgroupDriver` at the top level (1.1.7 to 1.3, which also lack
 * `CollectorType` and `PerfTable`; their type follows from the columns).
 */
export function describeLog(source: string, header: Yaml, columns: readonly string[]): LogInfo {
  const metadata = asMap(header.Metadata)
  const system = asMap(header.System)
  const collector = asMap(header.CollectorMetadata)
  const perfColumns = asMap(asMap(header.PerfTable).Columns)
  const cgroup = text(collector.Cgroup) ?? text(header.Cgroup)
  return {
    source,
    version: text(header.Version),
    provider: text(header.Provider),
    name: targetName(metadata) ?? cgroup ?? baseName(source),
    id: targetId(metadata),
    collectorType: collectorType(text(header.CollectorType), columns),
    cgroup,
    driver: text(collector.CgroupDriver) ?? text(header.CgroupDriver),
    hostCpus:
      positive(system.CpuOnlineCount) ?? positive(asMap(perfColumns['cpu.usage.percpu']).Count) ?? positive(system.CpuCount),
    cpuQuota: positive(collector.CpuQuota),
    network: networkOf(text(collector.Network)),
    initializedAt: text(header.InitializedAt),
    columns,
  }
}

function collectorType(declared: string | null, columns: readonly string[]): CollectorType {
  if (declared === 'cgroup_v1' || declared === 'cgroup_v2') return declared
  return columns.includes('cpu.stat/usage_usec') || columns.includes('memory.current') ? 'cgroup_v2' : 'cgroup_v1'
}

function networkOf(declared: string | null): LogInfo['network'] {
  if (declared === null) return null
  return declared.toLowerCase() === 'host' ? 'host' : 'own'
}

function targetName(metadata: Yaml): string | null {
  const name = text(metadata.Name)
  const namespace = text(metadata.Namespace)
  if (name && namespace) return `${namespace}/${name}`
  const names = metadata.Names
  if (Array.isArray(names) && names.length > 0) return String(names[0]).replace(/^\//, '')
  return name
}

function targetId(metadata: Yaml): string | null {
  const dockerId = text(metadata.Id)
  if (dockerId) return dockerId.slice(0, 12)
  return text(metadata.Uid)
}

function asMap(value: unknown): Yaml {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Yaml) : {}
}

function text(value: unknown): string | null {
  if (value === null || value === undefined || typeof value === 'object') return null
  const string = String(value)
  return string === '' ? null : string
}

function positive(value: unknown): number | null {
  const number = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number.NaN
  return Number.isFinite(number) && number > 0 ? number : null
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}
