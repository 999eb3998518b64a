import type { Row } from '@radvisor/core'
import { putKeyed } from './_cells.ts'
import type { CgroupFiles } from './_cgroup-files.ts'
import { KeyedValues } from './_keyed.ts'
import type { NetworkCounters } from './_network.ts'
import { PressureCells } from './_pressure.ts'

/**
 * What the extended columns read after radvisor 1.4's, on v1 and v2 alike: the pressure files,
 * one file of memory events by key (`memory.oom_control` on v1, `memory.events` on v2), and the
 * network counters.
 */
export class ExtendedCells {
  private readonly pressure: PressureCells
  private readonly events
  private readonly eventKeys: KeyedValues

  constructor(
    files: CgroupFiles,
    /** The folder of the pressure files (undefined: none on this host). */
    pressureFolder: string | undefined,
    events: { readonly folder: string | undefined; readonly name: string; readonly keys: readonly string[] },
    readonly network: NetworkCounters,
  ) {
    this.pressure = new PressureCells(files, pressureFolder)
    this.events = files.open(events.folder, events.name)
    this.eventKeys = new KeyedValues(events.keys)
  }

  put(row: Row): void {
    this.pressure.put(row)
    putKeyed(row, this.events, this.eventKeys, null)
    this.network.put(row)
  }

  /** Releases the network files (an open net/dev keeps its namespace alive). */
  close(): void {
    this.network.close()
  }
}
