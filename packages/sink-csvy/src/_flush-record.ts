import type { FileSystem } from '@radvisor/core'

/** One write of a buffer to disk, as radvisor's flush log records it. */
interface FlushEvent {
  /** Nanosecond Unix time of the write. */
  readonly timestamp: bigint
  readonly targetId: string
  /** Bytes the write put on disk (0 when it failed). */
  readonly written: number
  readonly success: boolean
}

/**
 * Collects flush events in memory during the run (no I/O on the tick path) and writes
 * them at shutdown as CSV with radvisor's columns: `timestamp,target_id,written,success`.
 */
export class FlushRecord {
  private readonly events: FlushEvent[] = []

  add(timestamp: bigint, targetId: string, written: number, success: boolean): void {
    this.events.push({ timestamp, targetId, written, success })
  }

  get size(): number {
    return this.events.length
  }

  toCsv(): string {
    let csv = 'timestamp,target_id,written,success\n'
    for (const event of this.events) {
      csv += `${event.timestamp},${csvField(event.targetId)},${event.written},${event.success}\n`
    }
    return csv
  }

  writeTo(fs: FileSystem, path: string): void {
    fs.writeFileSync(path, this.toCsv())
  }
}

function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}
