import { excerpt, printable, RadvisorError, type Target } from '@radvisor/core'

/** The summary keys written as `Metadata` in log headers, in radvisor's order. */
const METADATA_KEYS = [
  'Id',
  'Names',
  'Image',
  'ImageID',
  'Command',
  'Created',
  'Ports',
  'Labels',
  'State',
  'Status',
  'SizeRw',
  'SizeRootFs',
] as const

const CONTAINER_ID = /^[0-9a-f]{64}$/

/**
 * Turns one entry of `GET /containers/json` into a target. Throws a `RadvisorError`
 * for an entry that cannot be one (no object, no full container id).
 */
export function containerTarget(summary: unknown, polledAt: bigint): Target {
  if (typeof summary !== 'object' || summary === null || Array.isArray(summary)) {
    throw new RadvisorError('provider-docker', 'E_PROTOCOL', `skipped a container summary that is not an object: ${excerpt(String(JSON.stringify(summary)))}`)
  }
  const fields = summary as Record<string, unknown>
  const id = fields.Id
  if (typeof id !== 'string' || !CONTAINER_ID.test(id)) {
    const names = Array.isArray(fields.Names) ? ` (Names ${printable(fields.Names.join(', '), 80)})` : ''
    const shown = printable(String(JSON.stringify(id ?? null)), 80)
    throw new RadvisorError('provider-docker', 'E_PROTOCOL', `skipped a container without a 64-hex Id${names}: Id is ${shown}`)
  }
  const metadata: Record<string, unknown> = {}
  for (const key of METADATA_KEYS) metadata[key] = fields[key] ?? null
  metadata.Created = rfc3339(fields.Created)
  const name = firstName(fields.Names) ?? id.slice(0, 12)
  const image = typeof fields.Image === 'string' ? fields.Image : ''
  return { provider: 'docker', id, name, metadata, polledAt, cgroup: { kind: 'docker', id }, labels: { container: name, image } }
}

/** The engine gives `Created` in Unix seconds; logs carry RFC 3339 (`2020-04-12T00:15:19Z`). */
function rfc3339(created: unknown): unknown {
  if (typeof created !== 'number' || !Number.isFinite(created)) return created ?? null
  return new Date(created * 1000).toISOString().replace('.000Z', 'Z')
}

function firstName(names: unknown): string | null {
  const first = Array.isArray(names) ? names[0] : undefined
  return typeof first === 'string' && first.length > 0 ? first.replace(/^\//, '') : null
}
