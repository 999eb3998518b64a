import type { Row } from '@radvisor/core'
import { putPressure } from './_cells.ts'
import type { CgroupFiles } from './_cgroup-files.ts'
import type { StatFile } from './_stat-file.ts'
import { PRESSURE_RESOURCES } from './columns.ts'

/** The three pressure (PSI) files of a cgroup v2 folder: six cells, empty where the kernel has no such file. */
export class PressureCells {
  private readonly files: readonly StatFile[]

  /** Opens the files in `folder` (undefined: a host without a v2 hierarchy; every cell empty). */
  constructor(files: CgroupFiles, folder: string | undefined) {
    this.files = PRESSURE_RESOURCES.map((resource) => files.open(folder, `${resource}.pressure`))
  }

  put(row: Row): void {
    for (let i = 0; i < this.files.length; i++) putPressure(row, this.files[i]!)
  }
}
