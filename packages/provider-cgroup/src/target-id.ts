import { createHash } from 'node:crypto'

/** The id of the root cgroup's target. */
export const ROOT_TARGET_ID = 'root'

/** Bytes kept as they are in an id; every other byte is `%XX`. */
const SAFE = /^[A-Za-z0-9._@-]$/

/** Longest id in bytes, so that `<id>_<unix seconds>.log` stays within a file name's 255 bytes. */
const MAX_ID_BYTES = 200

/**
 * The target id of a cgroup path, a file-name-safe token (core's `targetIdProblem`): `/`
 * becomes `+` (`system.slice/ssh.service` → `system.slice+ssh.service`), and the root cgroup
 * (`''`) is `root`. Every byte other than letters, digits and `. _ - @` is written as `%XX`
 * (`%25` for `%`, `%2B` for `+`, `%5C` for the `\` of systemd's escapes), which keeps ids
 * unique, and a top-level cgroup named `root` is `%72oot`. An id longer than 200 bytes keeps
 * its first 180 bytes plus `.` and 16 hex digits of the path's SHA-256.
 */
export function cgroupTargetId(path: string): string {
  if (path === '') return ROOT_TARGET_ID
  const escaped = [...Buffer.from(path)]
    .map((byte) => (byte === 0x2f ? '+' : SAFE.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('')
  // `root` is the root cgroup's id; `.` and `..` are not file names.
  const id = escaped === ROOT_TARGET_ID ? '%72oot' : escaped === '.' || escaped === '..' ? escaped.replaceAll('.', '%2E') : escaped
  if (Buffer.byteLength(id) <= MAX_ID_BYTES) return id
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 16)
  return `${Buffer.from(id).subarray(0, MAX_ID_BYTES - 20).toString()}.${hash}`
}
