import { createHash } from 'node:crypto'

/** The id of the root cgroup's target. */
export const ROOT_TARGET_ID = 'root'

/** Longest id in bytes, so that `<id>_<unix seconds>.log` stays within a file name's 255 bytes. */
const MAX_ID_BYTES = 200

/**
 * The target id of a cgroup path: `/` becomes `+` (`system.slice/ssh.service` →
 * `system.slice+ssh.service`), and the root cgroup (`''`) is `root`. To keep ids unique,
 * a literal `%` or `+` in a name is written `%25` or `%2B`, and a top-level cgroup named
 * `root` is `%72oot`. An id longer than 200 bytes keeps its first 180 bytes plus `.` and
 * 16 hex digits of the path's SHA-256.
 */
export function cgroupTargetId(path: string): string {
  if (path === '') return ROOT_TARGET_ID
  const escaped = path.replace(/[%+]/g, (char) => (char === '%' ? '%25' : '%2B')).replaceAll('/', '+')
  const id = escaped === ROOT_TARGET_ID ? '%72oot' : escaped
  if (Buffer.byteLength(id) <= MAX_ID_BYTES) return id
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 16)
  return `${Buffer.from(id).subarray(0, MAX_ID_BYTES - 20).toString()}.${hash}`
}
