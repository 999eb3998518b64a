import { constants } from 'node:os'
import { errnoOf, type FileSystem } from '@radvisor/core'

/** `StatFile.read()` result: the file is absent or the read failed (its cells go empty). */
export const UNREADABLE = -1
/** `StatFile.read()` result: the file's cgroup is gone (its open descriptor fails to read). */
export const GONE = -2

/** Errors with which the kernel answers reads of a removed cgroup's open files, by number. */
const GONE_CODES = new Map((['ENODEV', 'ENOENT', 'ESRCH'] as const).map((code) => [constants.errno[code], code]))
const SMALLEST_BUFFER = 64
const NO_BYTES = new Uint8Array(0)
/**
 * The most a stat file may hold. The largest the kernel writes (`io.stat` or blkio files of
 * hundreds of devices, `cpuacct.usage_percpu` of thousands of CPUs) are tens of KiB; a file
 * longer than this is unreadable, so that its buffer stays bounded.
 */
const MAX_FILE_BYTES = 1 << 20

/** One buffer for every file's first read at open, which only measures it. */
let sizing = new Uint8Array(4096)

/** The length of the open file `fd` (read whole from offset 0; up to `MAX_FILE_BYTES + 1`), 0 when it cannot be read. */
function sizeOf(fs: FileSystem, fd: number): number {
  try {
    let count = fs.readSync(fd, sizing, 0, sizing.length, 0)
    while (count === sizing.length && sizing.length <= MAX_FILE_BYTES) {
      sizing = new Uint8Array(Math.min(sizing.length * 4, MAX_FILE_BYTES + 1))
      count = fs.readSync(fd, sizing, 0, sizing.length, 0)
    }
    return count
  } catch {
    return 0
  }
}

/**
 * One kernel stat file, opened once and read positionally into a buffer allocated once (or
 * a slot of its cgroup's shared buffer, `CgroupFiles`). A file that does not exist at open
 * stays absent (never retried): the kernel creates a cgroup's files together with the
 * cgroup, so a missing file means a missing feature.
 */
export class StatFile {
  /**
   * The bytes of the last read are `buf[0..length)`: a slot of `capacity` bytes in its
   * cgroup's buffer (`CgroupFiles`), replaced by a larger buffer of its own when the file
   * outgrows it.
   */
  buf: Uint8Array = NO_BYTES
  /** Twice the file's length at open (at least 64 bytes): room to grow. */
  capacity = 0
  length = UNREADABLE
  /** Error code of the read that found the cgroup gone. */
  goneCode = ''
  /** Whether a problem with this file's content was reported (each file is reported once). */
  reported = false
  /** Whether the file was there at open: one that read nothing since is not the kernel leaving a value out. */
  readonly opened: boolean = false
  private fd = -1

  constructor(
    private readonly fs: FileSystem,
    /** Null for a file of a controller this host does not have. */
    readonly folder: string | null,
    readonly name: string,
    /** Receives `<path> <problem>` lines. */
    private readonly onProblem: (message: string) => void,
  ) {
    if (folder === null) return
    const path = `${folder}/${name}`
    // Asked first, since a failed open throws: a cgroup v1 cgroup lacks ~16 of the files tried
    // (legacy blkio ones, `_recursive` variants), and that many errors per cgroup left 500
    // targets starting at once 16 MiB of garbage, the run's peak memory.
    if (!fs.existsSync(path)) return
    try {
      this.fd = fs.openSync(path, 'r')
    } catch {
      return
    }
    this.opened = true
    this.capacity = Math.min(MAX_FILE_BYTES + 1, Math.max(SMALLEST_BUFFER, sizeOf(fs, this.fd) * 2))
  }

  /** The file's path, for messages (built when asked: hundreds of targets hold thousands of files). */
  get path(): string {
    return `${this.folder}/${this.name}`
  }

  get present(): boolean {
    return this.fd >= 0
  }

  /** The open descriptor (-1 when absent or closed), for batch reads. */
  get descriptor(): number {
    return this.fd
  }

  /**
   * Reads the whole file from offset 0 (cgroup files report size 0, and a read without a
   * position returns nothing the second time). Returns the byte count, `UNREADABLE` or `GONE`.
   */
  read(): number {
    if (this.fd < 0) return (this.length = UNREADABLE)
    let count: number
    try {
      count = this.fs.readSync(this.fd, this.buf, 0, this.buf.length, 0)
    } catch (error) {
      count = -errnoOf(error)
    }
    return this.settle(count)
  }

  /**
   * Takes the outcome of a read of the whole file into `buf`: the byte count, or minus the
   * errno. A full buffer may mean more is left, so the file is read again into one 4 times
   * larger; a file longer than `MAX_FILE_BYTES` is unreadable (reported once). Returns the
   * byte count, `UNREADABLE` or `GONE`.
   */
  settle(count: number): number {
    if (this.fd < 0) return (this.length = UNREADABLE)
    try {
      while (count === this.buf.length) {
        if (count > MAX_FILE_BYTES) {
          this.report('returned more than 1 MiB; it is treated as unreadable and its cells are left empty')
          return (this.length = UNREADABLE)
        }
        this.buf = new Uint8Array(Math.min(Math.max(this.buf.length * 4, SMALLEST_BUFFER), MAX_FILE_BYTES + 1))
        this.capacity = this.buf.length
        count = this.fs.readSync(this.fd, this.buf, 0, this.buf.length, 0)
      }
    } catch (error) {
      count = -errnoOf(error)
    }
    if (count >= 0) return (this.length = count)
    const gone = GONE_CODES.get(-count)
    if (gone === undefined) return (this.length = UNREADABLE)
    this.goneCode = gone
    return (this.length = GONE)
  }

  /** Reports a problem with this file's content, unless one was reported before. Not for every tick. */
  report(problem: string): void {
    if (this.reported) return
    this.reported = true
    this.onProblem(`${this.path} ${problem}`)
  }

  close(): void {
    this.length = UNREADABLE
    if (this.fd < 0) return
    try {
      this.fs.closeSync(this.fd)
    } catch {
      // Closing a descriptor of a removed cgroup can fail; there is nothing left to release.
    }
    this.fd = -1
  }
}
