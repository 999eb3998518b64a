import { EXACT_VALUES } from './_distribution.ts'
import type { Availability, Millibottleneck, RateName, Resource, TargetSummary } from './analyze.ts'
import { bytes, bytesPerSecond, decimal, fraction, milliseconds, percent, perSecond } from './_units.ts'
import type { Report } from './report.ts'

/** How each rate is labelled and printed, in table order. */
export const RATE_ROWS: readonly { readonly name: RateName; readonly label: string; readonly format: (value: number) => string }[] = [
  { name: 'cpuCores', label: 'CPU (cores)', format: decimal },
  { name: 'cpuPercent', label: 'CPU (% of limit)', format: percent },
  { name: 'throttledFraction', label: 'throttled periods', format: fraction },
  { name: 'memoryBytes', label: 'memory', format: bytes },
  { name: 'memoryPercent', label: 'memory (% of limit)', format: percent },
  { name: 'workingSetBytes', label: 'working set', format: bytes },
  { name: 'ioReadBytesPerSec', label: 'I/O read', format: bytesPerSecond },
  { name: 'ioWriteBytesPerSec', label: 'I/O write', format: bytesPerSecond },
  { name: 'ioWait', label: 'I/O wait (queued)', format: decimal },
  { name: 'pageFaultsPerSec', label: 'page faults', format: perSecond },
  { name: 'majorPageFaultsPerSec', label: 'major page faults', format: perSecond },
  { name: 'cpuPressureSome', label: 'CPU stalled (some)', format: fraction },
  { name: 'cpuPressureFull', label: 'CPU stalled (full)', format: fraction },
  { name: 'memoryPressureSome', label: 'memory stalled (some)', format: fraction },
  { name: 'memoryPressureFull', label: 'memory stalled (full)', format: fraction },
  { name: 'ioPressureSome', label: 'I/O stalled (some)', format: fraction },
  { name: 'ioPressureFull', label: 'I/O stalled (full)', format: fraction },
  { name: 'networkRxBytesPerSec', label: 'network received', format: bytesPerSecond },
  { name: 'networkTxBytesPerSec', label: 'network sent', format: bytesPerSecond },
  { name: 'networkRxPacketsPerSec', label: 'packets received', format: perSecond },
  { name: 'networkTxPacketsPerSec', label: 'packets sent', format: perSecond },
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
    case 'cpu-pressure':
    case 'memory-pressure':
    case 'io-pressure':
      return `${fraction(peak)} stalled`
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

/** Why a group of signals has no data, in words; null when it has data. */
export function noDataReason(signal: keyof TargetSummary['signals'], availability: Availability): string | null {
  switch (availability) {
    case 'data':
      return null
    case 'not-logged':
      return 'not in this log (radvisor 1.4 columns)'
    case 'host-network':
      return 'host network namespace: traffic not attributed to the target'
    case 'empty':
      return signal === 'pressure'
        ? 'the pressure cells are empty (no pressure files for this cgroup)'
        : signal === 'network'
          ? 'the network cells are empty'
          : 'the memory event cells are empty'
  }
}

/**
 * Why CPU shows above 100% of its quota in some intervals, for the page; null when it does
 * not (as displayed: below 100.5%) or the limit is not a quota.
 */
export function overQuotaNote(target: TargetSummary): string | null {
  const limit = target.cpuLimit
  const max = target.rates.cpuPercent?.max
  if (!limit || limit.from !== 'quota' || max === undefined || max < 100.5) return null
  const interval = target.sampling?.nominalInterval
  const period = limit.periodMs
  const head = `CPU reaches ${percent(max)} of the quota in some intervals.`
  if (period !== null && interval !== undefined && interval >= period) {
    return `${head} The kernel enforces the quota per CFS period (${milliseconds(period)}), and intervals do not line up with periods, so one interval can take in the quota of more periods than its length covers.`
  }
  const periodText = period === null ? 'the CFS period (100 ms unless the cgroup sets another; this log does not say)' : `the CFS period (${milliseconds(period)})`
  return `${head} ${interval === undefined ? 'An interval' : `An interval (${milliseconds(interval)})`} is shorter than ${periodText}, so a burst can use a whole period's quota within one interval; the kernel enforces the quota per period, and over whole periods use stays within it.`
}
