import { join } from 'node:path'
import { describeError, type FileSystem, type Logger, plural } from '@radvisor/core'

/** How long and how much of the logs in `-d` to keep; null for no bound. */
export interface RetentionPolicy {
  /** Logs last written longer ago than this many milliseconds are deleted. */
  readonly maxAgeMs: number | null
  /** The logs' total size is kept at or under this many bytes, by deleting the oldest first. */
  readonly maxBytes: number | null
}

/** What one pass of `applyRetention` did. */
export interface RetentionResult {
  /** Names of the logs deleted, oldest first. */
  readonly deleted: readonly string[]
  readonly deletedBytes: number
  /** Bytes of radvisor logs left in the directory, those still being written included. */
  readonly keptBytes: number
  /** True when the logs still being written alone exceed `maxBytes`: nothing more could be deleted. */
  readonly overBudget: boolean
  /** Logs that could not be deleted, with the reason. */
  readonly failed: readonly { readonly name: string; readonly reason: string }[]
}

/** The file names radvisor gives logs: `<target id>_<unix seconds>.log`, or `..._<n>.log` after a clash. */
export const LOG_NAME = /^[^/\\]+_\d+(?:_\d+)?\.log$/

/**
 * Logs written to this recently are kept whatever the policy: another radvisor (a DaemonSet
 * pod that is still stopping) may be writing them.
 */
export const SETTLED_MS = 60_000

const NOTHING: RetentionResult = { deleted: [], deletedBytes: 0, keptBytes: 0, overBudget: false, failed: [] }

interface LogFile {
  readonly name: string
  readonly bytes: number
  readonly writtenAt: number
  /** Being written: by this sink (`open`) or, judging by its last write, by someone else. */
  readonly busy: boolean
}

/**
 * Deletes radvisor logs in `directory` that the policy no longer keeps: first those last
 * written more than `maxAgeMs` ago, then, oldest first, as many as it takes to bring the
 * total under `maxBytes`. Only regular files directly in `directory` whose name matches
 * `LOG_NAME` are considered (never a symlink, a folder or anything else), and never a log
 * still being written: one in `open` (paths of the sink's open logs) or written less than
 * `SETTLED_MS` ago. One `readdirSync` and one `lstatSync` per file: cheap to run hourly, and
 * running it again at once deletes nothing more.
 */
export function applyRetention(
  fs: Pick<FileSystem, 'readdirSync' | 'lstatSync' | 'unlinkSync'>,
  directory: string,
  policy: RetentionPolicy,
  { nowMs, open }: { readonly nowMs: number; readonly open: ReadonlySet<string> },
): RetentionResult {
  if (policy.maxAgeMs === null && policy.maxBytes === null) return NOTHING
  const logs: LogFile[] = []
  for (const name of fs.readdirSync(directory) as string[]) {
    if (!LOG_NAME.test(name)) continue
    const path = join(directory, name)
    let stats: ReturnType<FileSystem['lstatSync']>
    try {
      stats = fs.lstatSync(path)
    } catch {
      continue // Deleted meanwhile.
    }
    if (!stats?.isFile()) continue
    const writtenAt = Number(stats.mtimeMs)
    logs.push({ name, bytes: Number(stats.size), writtenAt, busy: open.has(path) || nowMs - writtenAt < SETTLED_MS })
  }
  logs.sort((a, b) => a.writtenAt - b.writtenAt || (a.name < b.name ? -1 : 1))

  const doomed = new Set<LogFile>()
  if (policy.maxAgeMs !== null) {
    for (const log of logs) if (!log.busy && nowMs - log.writtenAt > policy.maxAgeMs) doomed.add(log)
  }
  let kept = logs.reduce((sum, log) => sum + (doomed.has(log) ? 0 : log.bytes), 0)
  if (policy.maxBytes !== null) {
    for (const log of logs) {
      if (kept <= policy.maxBytes) break
      if (log.busy || doomed.has(log)) continue
      doomed.add(log)
      kept -= log.bytes
    }
  }

  const deleted: string[] = []
  const failed: { name: string; reason: string }[] = []
  let deletedBytes = 0
  for (const log of logs.filter((entry) => doomed.has(entry))) {
    try {
      fs.unlinkSync(join(directory, log.name))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        failed.push({ name: log.name, reason: describeError(error) })
        kept += log.bytes
        continue
      }
    }
    deleted.push(log.name)
    deletedBytes += log.bytes
  }
  return { deleted, deletedBytes, keptBytes: kept, overBudget: policy.maxBytes !== null && kept > policy.maxBytes, failed }
}

/** What `retainLogs` needs from the sink's context. */
export interface RetentionContext {
  readonly fs: Pick<FileSystem, 'readdirSync' | 'lstatSync' | 'unlinkSync'>
  readonly logger: Logger
  readonly nowMs: number
  readonly directory: string
}

/**
 * One retention pass with its report: a status line when logs were deleted, a warning per
 * log that could not be, and one warning (until it recovers) when the logs being written
 * alone exceed the size bound. A directory that cannot be listed is a warning, never a
 * failure: the run goes on.
 */
export function retainLogs(context: RetentionContext, policy: RetentionPolicy, open: ReadonlySet<string>): RetentionResult {
  const { logger, directory } = context
  let result: RetentionResult
  try {
    result = applyRetention(context.fs, directory, policy, { nowMs: context.nowMs, open })
  } catch (error) {
    logger.warn(`csvy retention: cannot list ${directory}: ${describeError(error)}`)
    return NOTHING
  }
  if (result.deleted.length > 0) {
    logger.status('Deleted', `${plural(result.deleted.length, 'old log')} (${size(result.deletedBytes)}) from ${directory}; ${size(result.keptBytes)} kept`)
  }
  for (const { name, reason } of result.failed) logger.warn(`csvy retention: cannot delete ${join(directory, name)}: ${reason}`)
  if (result.overBudget) {
    logger.once('csvy:retention-over-budget', () =>
      logger.warn(
        `csvy retention: the logs being written in ${directory} hold ${size(result.keptBytes)}, more than --csvy-retention-size allows; they are kept until their targets stop`,
      ),
    )
  } else logger.forget('csvy:retention-over-budget')
  return result
}

/** `512 B`, `3.2 KiB`, `41.0 MiB`, `2.5 GiB`. */
function size(bytes: number): string {
  const [unit, scale] = ([['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const).find(([, scale]) => bytes >= scale) ?? ['B', 1]
  return scale === 1 ? `${bytes} B` : `${(bytes / scale).toFixed(1)} ${unit}`
}
