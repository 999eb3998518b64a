import { printable, RadvisorError, type Target } from '@radvisor/core'

/** A container label chosen with `--prometheus-labels`, and the Prometheus label it becomes. */
export interface ContainerLabel {
  /** The container's (Docker) or pod's (Kubernetes) label key, e.g. `app.kubernetes.io/name`. */
  readonly key: string
  /** `label_<key>` with every byte other than letters, digits and `_` written as `_`. */
  readonly label: string
}

/**
 * Parses `--prometheus-labels app,team,app.kubernetes.io/name`: the container labels to turn
 * into Prometheus labels. Throws a usage error for an empty entry, and for two keys that
 * become the same Prometheus label (`app.name` and `app_name`).
 */
export function parseLabelAllowlist(text: string | undefined): ContainerLabel[] {
  if (text === undefined || text === '') return []
  const chosen = new Map<string, ContainerLabel>()
  for (const entry of text.split(',')) {
    const key = entry.trim()
    if (key === '') {
      throw new RadvisorError('sink-prometheus', 'E_OPTION', `invalid value '${printable(text, 200)}' for --prometheus-labels: expected label keys separated by commas, such as app,team,app.kubernetes.io/name`)
    }
    const label = `label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`
    const other = chosen.get(label)
    if (other && other.key !== key) {
      throw new RadvisorError(
        'sink-prometheus',
        'E_OPTION',
        `invalid value for --prometheus-labels: '${printable(other.key, 80)}' and '${printable(key, 80)}' would both be the Prometheus label ${label}; choose one`,
      )
    }
    chosen.set(label, { key, label })
  }
  return [...chosen.values()]
}

/**
 * The label set of a target's samples, `{id="…",…}`. Labels that repeat each other are left
 * out: `name` when it is the `id`, and a provider label whose value is the `id` or the `name`
 * (the cgroup provider's `cgroup`, Docker's `container`). Then the allowlisted container labels
 * the target has: its metadata's `Labels` (Docker's container labels, Kubernetes pod labels).
 */
export function formatLabels(target: Target, allowlist: readonly ContainerLabel[]): string {
  const labels = new Map<string, string>([['id', target.id]])
  if (target.name !== target.id) labels.set('name', target.name)
  labels.set('provider', target.provider)
  for (const [key, value] of Object.entries(target.labels ?? {})) {
    const name = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(?=\d)|^__/, '_')
    if (!labels.has(name) && value !== target.id && value !== target.name) labels.set(name, value)
  }
  const containerLabels = target.metadata.Labels
  if (typeof containerLabels === 'object' && containerLabels !== null) {
    for (const { key, label } of allowlist) {
      const value = (containerLabels as Record<string, unknown>)[key]
      if (typeof value === 'string' && Object.hasOwn(containerLabels, key)) labels.set(label, value)
    }
  }
  const parts = [...labels].map(([name, value]) => `${name}="${escapeValue(value)}"`)
  return `{${parts.join(',')}}`
}

/** A label value as the text format wants it: backslash, double quote and line feed escaped. */
export function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}
