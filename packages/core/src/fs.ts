import type * as nodeFs from 'node:fs'
import { constants as osConstants } from 'node:os'

/**
 * Reads `count` open files at once, each from offset 0, into one buffer. Request `i` is
 * `requests[4i .. 4i+4)`: the descriptor, where in `buffer` its bytes go, how many bytes at
 * most, and a slot that receives the bytes read or minus the errno of a failed read.
 */
export type ReadBatch = (requests: Int32Array, count: number, buffer: Uint8Array) => void

/** Fields of one `ReadBatch` request. */
export const BATCH_FD = 0
export const BATCH_OFFSET = 1
export const BATCH_LENGTH = 2
export const BATCH_RESULT = 3
export const BATCH_FIELDS = 4

/**
 * The part of node's `fs` API radvisor uses. `node:fs` in production (Bun implements it
 * natively), memfs in tests: inject it, never import `node:fs` where a test needs a fake.
 * `readBatch` is optional: `systemFileSystem()` adds a native one where it can, so that a
 * target's stat files cost one call from JavaScript per tick instead of one per file;
 * without it, callers read file by file with `readSync`.
 */
export type FileSystem = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'readSync'
  | 'writeSync'
  | 'closeSync'
  | 'ftruncateSync'
  | 'fsyncSync'
  | 'readdirSync'
  | 'statSync'
  | 'lstatSync'
  | 'readFileSync'
  | 'writeFileSync'
  | 'existsSync'
  | 'mkdirSync'
  | 'rmdirSync'
  | 'accessSync'
  | 'realpathSync'
  | 'readlinkSync'
  | 'unlinkSync'
> & { readonly readBatch?: ReadBatch }

/**
 * `fs.readBatch`, or the same request by request with `fs.readSync` (memfs, or a Bun that
 * could not compile the native one).
 */
export function batchReader(fs: FileSystem): ReadBatch {
  if (fs.readBatch) return fs.readBatch
  return (requests, count, buffer) => {
    for (let at = 0; at < count * BATCH_FIELDS; at += BATCH_FIELDS) {
      try {
        requests[at + BATCH_RESULT] = fs.readSync(requests[at + BATCH_FD]!, buffer, requests[at + BATCH_OFFSET]!, requests[at + BATCH_LENGTH]!, 0)
      } catch (error) {
        requests[at + BATCH_RESULT] = -errnoOf(error)
      }
    }
  }
}

/** The errno of a failed fs call (by its code, as memfs sets no number), EIO when it has none. */
export function errnoOf(error: unknown): number {
  const { code, errno } = (error ?? {}) as NodeJS.ErrnoException
  const byCode = code === undefined ? undefined : (osConstants.errno as Record<string, number>)[code]
  return byCode ?? (typeof errno === 'number' && errno !== 0 ? Math.abs(errno) : osConstants.errno.EIO)
}
