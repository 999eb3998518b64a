import { isAbsolute, join, relative } from 'node:path'
import { RadvisorError } from './errors.ts'

/** Longest target id in bytes, so that `<id>_<unix seconds>_<n>.log` fits a file name's 255 bytes. */
export const MAX_TARGET_ID_LENGTH = 224

/**
 * A target id is a file-name-safe token: letters, digits and `. _ - + @ %`. `@` keeps
 * systemd's template units readable (`user@1000.service`) and `%` is the escape the cgroup
 * provider uses for every other byte; neither means anything in a file name or a shell.
 */
const TOKEN = /^[A-Za-z0-9._+@%-]+$/

/**
 * Why `id` cannot be a target id, or null when it can. Every id is checked once in core,
 * before any plugin sees it, so a provider fed by a hostile API can never steer a file
 * name or a cgroup path.
 */
export function targetIdProblem(id: unknown): string | null {
  if (typeof id !== 'string' || id === '') return 'it is empty'
  if (id.length > MAX_TARGET_ID_LENGTH) return `it is longer than ${MAX_TARGET_ID_LENGTH} characters`
  if (id === '.' || id === '..') return 'it names a directory'
  if (!TOKEN.test(id)) return 'it holds characters other than letters, digits and . _ - + @ %'
  return null
}

/**
 * The path of file `name` directly inside `directory`. `name` must be a safe token (see
 * `targetIdProblem`) and must not resolve outside the directory: file sinks name every
 * file through here, as a second line of defence behind the id check.
 */
export function fileInDirectory(directory: string, name: string, plugin: string): string {
  const problem = targetIdProblem(name)
  const path = join(directory, name)
  const inside = relative(directory, path)
  if (problem !== null || inside !== name || isAbsolute(inside)) {
    throw new RadvisorError(plugin, 'E_INTERNAL', `refusing file name ${JSON.stringify(name)} in ${directory}: ${problem ?? 'it leaves the directory'}`)
  }
  return path
}
