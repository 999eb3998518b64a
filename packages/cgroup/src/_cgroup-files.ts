import { BATCH_FD, BATCH_FIELDS, BATCH_LENGTH, BATCH_OFFSET, BATCH_RESULT, batchReader, type FileSystem, type ReadBatch } from '@radvisor/core'
import { cgroupGone } from './_failure.ts'
import { GONE, StatFile } from './_stat-file.ts'

/**
 * The one buffer every cgroup's files are read into. A cgroup's bytes are parsed into its row
 * before the next cgroup is read, so all can share it: it stays in the CPU's caches between
 * targets (as the kernel floor's one buffer does) and costs no memory per target. Growing it
 * moves every cgroup's slots, so each lays its files out again when `generation` changed.
 */
const shared = { slots: new Uint8Array(0), generation: 0 }

/** Every absent file: it never opens, reads or reports, so one serves all. */
const ABSENT = new StatFile(undefined as unknown as FileSystem, null, '', () => {})

/**
 * The stat files of one cgroup, across the folders they live in (one per v1 controller, one
 * on v2). Reads them together each tick, with one batch read (`FileSystem.readBatch`: one
 * native call for all of them) into one buffer where each file has its slot. A folder
 * removed on its own (a v1 cgroup removed under the memory controller only) leaves its cells
 * empty and is reported once; the cgroup is gone, and `error` set, only when every file is.
 */
export class CgroupFiles {
  error: Error | null = null
  /** The files that were present at open, in opening (and reading) order. */
  private readonly files: StatFile[] = []
  private readonly reportLine: (message: string, expected?: boolean) => void
  private readonly removedFolders = new Set<string>()
  private readonly readBatch: ReadBatch
  /** The files read each tick (those still open), in request order. */
  private batch: StatFile[] = []
  private requests = new Int32Array(0)
  /** The `shared.generation` the files were laid out in. */
  private generation = -1
  /** Files were opened, closed or outgrew their slot since the last layout. */
  private stale = true

  constructor(
    private readonly fs: FileSystem,
    /** The cgroup path as logs show it (`/` for the root cgroup). */
    private readonly cgroup: string,
    onProblem: (message: string, expected?: boolean) => void,
  ) {
    this.reportLine = (message, expected) => onProblem(`cgroup ${cgroup}: ${message}`, expected)
    this.readBatch = batchReader(fs)
  }

  /** Whether any file could be opened. */
  get opened(): boolean {
    return this.files.length > 0
  }

  /** Opens `folder/name`; absent when the controller folder is unknown or the file missing. */
  open(folder: string | undefined, name: string): StatFile {
    if (folder === undefined) return ABSENT
    const file = new StatFile(this.fs, folder, name, this.reportLine)
    if (!file.present) return ABSENT
    this.files.push(file)
    this.stale = true
    return file
  }

  /**
   * Opens the `_recursive` variant of a blkio file where the kernel has one, else the plain
   * file: a pod's cgroup holds no processes itself, so only recursive counters see its I/O.
   */
  openRecursiveFirst(folder: string | undefined, name: string): StatFile {
    const recursive = this.open(folder, `${name}_recursive`)
    return recursive.present ? recursive : this.open(folder, name)
  }

  /**
   * Reads every file once. Returns how many returned data, or -1 once every file is gone
   * (then `error` is set and the files are closed).
   */
  read(): number {
    if (this.error) return -1
    if (this.stale || this.generation !== shared.generation) this.layout()
    const { batch, requests } = this
    this.readBatch(requests, batch.length, shared.slots)
    let withData = 0
    let live = 0
    let lost: StatFile | null = null
    for (let i = 0, at = 0; i < batch.length; i++, at += BATCH_FIELDS) {
      const file = batch[i]!
      const length = file.settle(requests[at + BATCH_RESULT]!)
      if (length === GONE) lost = file
      else live++
      if (length > 0) withData++
      // A file that filled its slot was read again into a larger buffer of its own.
      if (file.buf.length !== requests[at + BATCH_LENGTH]) this.stale = true
    }
    if (lost !== null) this.lose(lost, live)
    return this.error ? -1 : withData
  }

  /** Gives each open file a slot of the shared buffer, of the file's capacity; their bytes are valid until the next cgroup is read. */
  private layout(): void {
    this.stale = false
    const batch = this.files.filter((file) => file.present)
    const requests = new Int32Array(batch.length * BATCH_FIELDS)
    let size = 0
    for (let i = 0; i < batch.length; i++) {
      const at = i * BATCH_FIELDS
      requests[at + BATCH_FD] = batch[i]!.descriptor
      requests[at + BATCH_OFFSET] = size
      requests[at + BATCH_LENGTH] = batch[i]!.capacity
      size += batch[i]!.capacity
    }
    if (size > shared.slots.length) {
      shared.slots = new Uint8Array(Math.max(size, shared.slots.length * 2))
      shared.generation++
    }
    for (let i = 0; i < batch.length; i++) {
      const at = i * BATCH_FIELDS
      batch[i]!.buf = shared.slots.subarray(requests[at + BATCH_OFFSET]!, requests[at + BATCH_OFFSET]! + requests[at + BATCH_LENGTH]!)
    }
    this.batch = batch
    this.requests = requests
    this.generation = shared.generation
  }

  close(): void {
    for (const file of this.files) file.close()
    this.batch = []
    this.requests = new Int32Array(0)
  }

  /** Closes the files found gone; the cgroup is gone when none is left. */
  private lose(last: StatFile, live: number): void {
    if (live === 0) {
      this.error = cgroupGone(this.cgroup, last)
      this.close()
      return
    }
    this.stale = true
    for (const file of this.files) {
      if (!file.present || file.length !== GONE) continue
      file.close()
      const folder = file.folder!
      if (this.removedFolders.has(folder)) continue
      this.removedFolders.add(folder)
      // A container that exits loses its controllers' folders one by one: expected, not a warning.
      this.reportLine(`${folder} was removed (reading ${file.path} failed with ${file.goneCode}); its cells are left empty, the rest is still collected`, true)
    }
  }
}
