import type { Row, Target } from '@radvisor/core'
import { CPU_USAGE, METRICS } from './_metrics.ts'

const MAX = [0x6d, 0x61, 0x78]

/**
 * The current values of one target's metrics. The column indexes each metric reads are
 * resolved once at open, so a row costs a handful of digit parses and no allocation.
 */
export class TargetSeries {
  /** `{id="…",name="…",provider="…",…}` for every sample line of this target. */
  readonly labels: string
  /** Per metric, the indexes of its candidate columns present in this collector. */
  private readonly sources: { index: number; scale: number }[][]
  /** Per metric, the latest value (NaN: none yet). */
  readonly values = new Float64Array(METRICS.length).fill(Number.NaN)
  private previousCpu = Number.NaN
  private previousTimeNs = Number.NaN
  /** Highest utilisation since the last scrape (NaN: no interval since). */
  private peak = Number.NaN
  private lastUtilization = Number.NaN

  constructor(target: Target, columns: readonly string[]) {
    this.labels = formatLabels(target)
    this.sources = METRICS.map((metric) =>
      metric.sources.flatMap(({ column, scale }) => {
        const index = columns.indexOf(column)
        return index < 0 ? [] : [{ index, scale }]
      }),
    )
  }

  update(row: Row): void {
    const { values, sources } = this
    for (let m = 0; m < sources.length; m++) {
      const candidates = sources[m]!
      for (let c = 0; c < candidates.length; c++) {
        const { index, scale } = candidates[c]!
        const value = cellValue(row, index)
        if (value !== null) {
          values[m] = value * scale
          break
        }
      }
    }
    this.trackUtilization(row.number(0), values[CPU_USAGE]!)
  }

  /** The peak utilisation since the previous call (or the latest one when no interval ended since); resets it. */
  takePeak(): number {
    const peak = Number.isNaN(this.peak) ? this.lastUtilization : this.peak
    this.peak = Number.NaN
    return peak
  }

  private trackUtilization(timeNs: number | null, cpuSeconds: number): void {
    if (timeNs === null || Number.isNaN(cpuSeconds)) return
    const elapsedNs = timeNs - this.previousTimeNs
    const used = cpuSeconds - this.previousCpu
    this.previousTimeNs = timeNs
    this.previousCpu = cpuSeconds
    // The first sample, a clock step back, or a counter reset has no interval to measure.
    if (!(elapsedNs > 0) || !(used >= 0)) return
    const utilization = used / (elapsedNs * 1e-9)
    this.lastUtilization = utilization
    if (!(utilization <= this.peak)) this.peak = utilization
  }
}

/** A cell as a number: digits, or +Inf for the kernel's `max`; null when empty or unreadable. */
function cellValue(row: Row, index: number): number | null {
  const value = row.number(index)
  if (value !== null || index >= row.cells) return value
  const start = row.starts[index]!
  const { line } = row
  const isMax = row.ends[index]! - start === 3 && line[start] === MAX[0] && line[start + 1] === MAX[1] && line[start + 2] === MAX[2]
  return isMax ? Number.POSITIVE_INFINITY : null
}

function formatLabels(target: Target): string {
  const labels = new Map<string, string>([
    ['id', target.id],
    ['name', target.name],
    ['provider', target.provider],
  ])
  for (const [key, value] of Object.entries(target.labels ?? {})) {
    const name = key.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(?=\d)|^__/, '_')
    if (!labels.has(name)) labels.set(name, value)
  }
  const parts = [...labels].map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`)
  return `{${parts.join(',')}}`
}
