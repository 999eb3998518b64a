import type { Row } from '@radvisor/core'
import { CPU_USAGE, METRICS } from './_metrics.ts'
import { SlidingPeak } from './_peak.ts'

const MAX = [0x6d, 0x61, 0x78]

/** A metric's source resolved to column indexes of one collector. */
interface ResolvedSource {
  readonly index: number
  readonly scale: number
  /** Index of the column subtracted, or -1. */
  readonly minus: number
  readonly unlimitedFrom: number
}

/**
 * The current values of one target's metrics. The column indexes each metric reads are
 * resolved once at open, so a row costs a few dozen digit parses and no allocation.
 */
export class TargetSeries {
  /** Per metric, the candidate sources present in this collector. */
  private readonly sources: ResolvedSource[][]
  /** Per metric, the latest value (NaN: none yet). */
  readonly values = new Float64Array(METRICS.length).fill(Number.NaN)
  private previousCpu = Number.NaN
  private previousTimeNs = Number.NaN
  private readonly peaks: SlidingPeak

  constructor(
    /** `{id="…",…}` for every sample line of this target. */
    readonly labels: string,
    columns: readonly string[],
    peakWindowMs: number,
  ) {
    this.peaks = new SlidingPeak(peakWindowMs)
    this.sources = METRICS.map((metric) =>
      metric.sources.flatMap(({ column, scale, minus, unlimitedFrom }) => {
        const index = columns.indexOf(column)
        const minusIndex = minus === undefined ? -1 : columns.indexOf(minus)
        if (index < 0 || (minus !== undefined && minusIndex < 0)) return []
        return [{ index, scale, minus: minusIndex, unlimitedFrom: unlimitedFrom ?? Number.POSITIVE_INFINITY }]
      }),
    )
  }

  update(row: Row): void {
    const { values, sources } = this
    for (let m = 0; m < sources.length; m++) {
      const candidates = sources[m]!
      for (let c = 0; c < candidates.length; c++) {
        const value = sourceValue(row, candidates[c]!)
        if (value !== null) {
          values[m] = value
          break
        }
      }
    }
    this.trackUtilization(row.number(0), values[CPU_USAGE]!)
  }

  /** The highest utilisation (cores) over an interval that ended in the peak window before `unixMs`, or NaN. */
  peak(unixMs: number): number {
    return this.peaks.peak(unixMs)
  }

  private trackUtilization(timeNs: number | null, cpuSeconds: number): void {
    if (timeNs === null || Number.isNaN(cpuSeconds)) return
    const elapsedNs = timeNs - this.previousTimeNs
    const used = cpuSeconds - this.previousCpu
    this.previousTimeNs = timeNs
    this.previousCpu = cpuSeconds
    // The first sample, a clock step back, or a counter reset has no interval to measure.
    if (!(elapsedNs > 0) || !(used >= 0)) return
    this.peaks.record(timeNs / 1e6, used / (elapsedNs * 1e-9))
  }
}

/** A source's value in `row`, or null when a cell it needs is empty or unreadable. */
function sourceValue(row: Row, source: ResolvedSource): number | null {
  const value = cellValue(row, source.index)
  if (value === null) return null
  if (value >= source.unlimitedFrom) return Number.POSITIVE_INFINITY
  if (source.minus < 0) return value * source.scale
  const minus = cellValue(row, source.minus)
  return minus === null ? null : Math.max(0, value - minus) * source.scale
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
