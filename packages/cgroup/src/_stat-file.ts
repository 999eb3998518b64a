import type { FileSystem } from '@radvisor/core'

/** `StatFile.read()` result: the file is absent or the read failed (its cells go empty). */
export const UNREADABLE = -1
/** `StatFile.read()` result: the cgroup itself is gone (its files fail to read). */
export const GONE = -2

/** Error codes with which the kernel answers reads of a removed cgroup's open files. */
const GONE_CODES = new Set(['ENODEV', 'ENOENT', 'ESRCH'])
const SMALLEST_BUFFER = 64

/**
 * One kernel stat file, opened once and read positionally into a buffer allocated once.
 * A file that does not exist at open stays absent (never retried): the kernel creates a
 * cgroup's files together with the cgroup, so a missing file means a missing feature.
 */
export class StatFile {
  /** The bytes of the last read are `buf[0..length)`. */
  buf: Uint8Array = new Uint8Array(SMALLEST_BUFFER)
  length = UNREADABLE
  /** Error code of the read that found the cgroup gone. */
  goneCode = ''
  private fd = -1

  constructor(
    private readonly fs: FileSystem,
    /** Null for a file of a controller this host does not have. */
    readonly path: string | null,
  ) {
    if (path === null) return
    try {
      this.fd = fs.openSync(path, 'r')
    } catch {
      return
    }
    // The first read sizes the buffer for the file's usual length, with room to grow.
    if (this.read() > 0) this.buf = new Uint8Array(Math.max(SMALLEST_BUFFER, this.length * 2))
  }

  get present(): boolean {
    return this.fd >= 0
  }

  /**
   * Reads the whole file from offset 0 (cgroup files report size 0, and a read without a
   * position returns nothing the second time). Returns the byte count, `UNREADABLE` or `GONE`.
   */
  read(): number {
    if (this.fd < 0) return (this.length = UNREADABLE)
    try {
      let count = this.fs.readSync(this.fd, this.buf, 0, this.buf.length, 0)
      while (count === this.buf.length) {
        this.buf = new Uint8Array(this.buf.length * 4)
        count = this.fs.readSync(this.fd, this.buf, 0, this.buf.length, 0)
      }
      return (this.length = count)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (!GONE_CODES.has(code)) return (this.length = UNREADABLE)
      this.goneCode = code
      return (this.length = GONE)
    }
  }

  close(): void {
    if (this.fd < 0) return
    try {
      this.fs.closeSync(this.fd)
    } catch {
      // Closing a descriptor of a removed cgroup can fail; there is nothing left to release.
    }
    this.fd = -1
  }
}

/** Opens `folder/name`, or absent when the controller folder is unknown. */
export function openStatFile(fs: FileSystem, folder: string | undefined, name: string): StatFile {
  return new StatFile(fs, folder === undefined ? null : `${folder}/${name}`)
}

/**
 * Opens the `_recursive` variant of a blkio file where the kernel has one, else the plain
 * file: a pod's cgroup holds no processes itself, so only recursive counters see its I/O.
 */
export function openRecursiveFirst(fs: FileSystem, folder: string | undefined, name: string): StatFile {
  const recursive = openStatFile(fs, folder, `${name}_recursive`)
  return recursive.present ? recursive : openStatFile(fs, folder, name)
}
