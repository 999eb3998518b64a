import type { FileSystem } from '@radvisor/core'
import { cgroupGone } from './_failure.ts'
import { GONE, StatFile } from './_stat-file.ts'

/**
 * The stat files of one cgroup, across the folders they live in (one per v1 controller, one
 * on v2). Reads them together each tick. A folder removed on its own (a v1 cgroup removed
 * under the memory controller only) leaves its cells empty and is reported once; the cgroup
 * is gone, and `error` set, only when every file is.
 */
export class CgroupFiles {
  error: Error | null = null
  /** The files that were present at open, in opening (and reading) order. */
  private readonly files: StatFile[] = []
  private readonly reportLine: (message: string, expected?: boolean) => void
  private readonly removedFolders = new Set<string>()

  constructor(
    private readonly fs: FileSystem,
    /** The cgroup path as logs show it (`/` for the root cgroup). */
    private readonly cgroup: string,
    onProblem: (message: string, expected?: boolean) => void,
  ) {
    this.reportLine = (message, expected) => onProblem(`cgroup ${cgroup}: ${message}`, expected)
  }

  /** Whether any file could be opened. */
  get opened(): boolean {
    return this.files.length > 0
  }

  /** Opens `folder/name`; absent when the controller folder is unknown or the file missing. */
  open(folder: string | undefined, name: string): StatFile {
    const file = new StatFile(this.fs, folder === undefined ? null : `${folder}/${name}`, this.reportLine)
    if (file.present) this.files.push(file)
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
    const files = this.files
    let withData = 0
    let live = 0
    let lost: StatFile | null = null
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!
      if (!file.present) continue
      const length = file.read()
      if (length === GONE) lost = file
      else live++
      if (length > 0) withData++
    }
    if (lost !== null) this.lose(lost, live)
    return this.error ? -1 : withData
  }

  close(): void {
    for (const file of this.files) file.close()
  }

  /** Closes the files found gone; the cgroup is gone when none is left. */
  private lose(last: StatFile, live: number): void {
    if (live === 0) {
      this.error = cgroupGone(this.cgroup, last)
      this.close()
      return
    }
    for (const file of this.files) {
      if (!file.present || file.length !== GONE) continue
      file.close()
      const folder = file.path!.slice(0, file.path!.lastIndexOf('/'))
      if (this.removedFolders.has(folder)) continue
      this.removedFolders.add(folder)
      // A container that exits loses its controllers' folders one by one: expected, not a warning.
      this.reportLine(`${folder} was removed (reading ${file.path} failed with ${file.goneCode}); its cells are left empty, the rest is still collected`, true)
    }
  }
}
