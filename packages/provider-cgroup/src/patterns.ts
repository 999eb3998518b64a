import { RadvisorError } from '@radvisor/core'

/**
 * What `radvisor run cgroup` collects without `--match`: systemd services and the
 * container scopes of Docker, Kubernetes (both cgroup drivers, all QoS classes) and
 * Podman, wherever they exist on the host. The root cgroup is added as well.
 */
export const defaultPatterns: readonly string[] = [
  'system.slice/*.service',
  'system.slice/docker-*.scope',
  'docker/*',
  'kubepods/pod*',
  'kubepods/burstable/pod*',
  'kubepods/besteffort/pod*',
  'kubepods.slice/kubepods-pod*.slice',
  'kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod*.slice',
  'kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod*.slice',
  'machine.slice/libpod-*.scope',
]

/** The pattern that names the root cgroup itself. */
export const ROOT_PATTERN = '/'

/**
 * Splits the text of `--match` into patterns: comma-separated (commas inside `{a,b}`
 * belong to the pattern), trimmed, with leading and trailing `/` removed. A pattern of
 * just `/` names the root cgroup. Throws a `RadvisorError` (E_OPTION) for an empty list
 * or a pattern with `.` or `..` segments, which cannot name a cgroup.
 */
export function parsePatterns(text: string): string[] {
  const patterns: string[] = []
  for (const raw of splitOutsideBraces(text)) {
    const trimmed = raw.trim()
    if (trimmed === '') continue
    const segments = trimmed.split('/').filter((segment) => segment !== '')
    if (segments.some((segment) => segment === '.' || segment === '..')) {
      throw new RadvisorError(
        'provider-cgroup',
        'E_OPTION',
        `invalid pattern '${trimmed}' for --match: '.' and '..' are not allowed; give a path relative to the cgroup root, such as system.slice/*.service`,
      )
    }
    patterns.push(segments.length === 0 ? ROOT_PATTERN : segments.join('/'))
  }
  if (patterns.length === 0) {
    throw new RadvisorError(
      'provider-cgroup',
      'E_OPTION',
      `invalid value '${text}' for --match: expected one or more glob patterns separated by commas, such as 'system.slice/*.service,docker/*'`,
    )
  }
  return [...new Set(patterns)]
}

function splitOutsideBraces(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '{') depth++
    else if (char === '}' && depth > 0) depth--
    else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}
