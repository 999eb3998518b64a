import { EXACT_VALUES } from './_distribution.ts'
import type { Millibottleneck, RateName, Resource, TargetSummary } from './analyze.ts'
import { bytes, bytesPerSecond, decimal, fraction, percent, perSecond } from './_units.ts'
import type { Report } from './report.ts'

/** How each rate is labelled and printed, in table order. */
export const RATE_ROWS: readonly { readonly name: RateName; readonly label: string; readonly format: (value: number) => string }[] = [
  { name: 'cpuCores', label: 'CPU (cores)', format: decimal },
  { name: 'cpuPercent', label: 'CPU (% of limit)', format: percent },
  { name: 'throttledFraction', label: 'throttled periods', format: fraction },
  { name: 'memoryBytes', label: 'memory', format: bytes },
  { name: 'memoryPercent', label: 'memory (% of limit)', format: percent },
  { name: 'ioReadBytesPerSec', label: 'I/O read', format: bytesPerSecond },
  { name: 'ioWriteBytesPerSec', label: 'I/O write', format: bytesPerSecond },
  { name: 'ioWait', label: 'I/O wait (queued)', format: decimal },
  { name: 'pageFaultsPerSec', label: 'page faults', format: perSecond },
  { name: 'majorPageFaultsPerSec', label: 'major page faults', format: perSecond },
]

/** Says how far p50/p90/p99 may be from the exact ones (the sketch's relative error). */
export function percentileNote(relativeError: number): string {
  return `p50, p90 and p99 within ${percent(relativeError * 100)} (more than ${EXACT_VALUES} intervals: read from a sketch; min, max and totals exact)`
}

/** A millibottleneck's peak in its resource's unit. */
export function formatPeak(resource: Resource, peak: number): string {
  switch (resource) {
    case 'cpu':
    case 'memory':
      return percent(peak)
    case 'throttling':
      return `${fraction(peak)} of periods`
    case 'io-wait':
      return `${decimal(peak)} queued`
  }
}

/** Where a target's offsets count from: the report's origin when aligned, else its own start. */
export function originOf(report: Report, target: TargetSummary): number {
  return report.origin ?? target.start
}

/** Milliseconds from the origin to a millibottleneck's start. */
export function offsetOf(report: Report, target: TargetSummary, run: Millibottleneck): number {
  return run.start - originOf(report, target)
}
