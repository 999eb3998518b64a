import { printable } from '@radvisor/core'
import { formatPeak, noDataReason, offsetOf, originOf, percentileNote, RATE_ROWS } from './_present.ts'
import { bytes, decimal, milliseconds, offset, percent } from './_units.ts'
import { RESOURCES, type TargetSummary } from './analyze.ts'
import type { Report } from './report.ts'

/** The report as a terminal table, one block per target. */
export function formatText(report: Report): string {
  const blocks = report.targets.map(({ summary }) => targetBlock(report, summary))
  const head = report.origin === null ? [] : [`Aligned on one time axis from ${new Date(report.origin).toISOString()}`, '']
  return `${[...head, ...blocks].join('\n')}`
}

function targetBlock(report: Report, target: TargetSummary): string {
  const lines: string[] = []
  const kind = [target.provider, target.id, target.collectorType].filter(Boolean).join(' ')
  // From the log's header and path: escaped, since a crafted log could carry control characters.
  lines.push(printable(`${target.name} (${kind})  ${target.source}`))
  const startOffset = target.start - originOf(report, target)
  const range = report.origin === null ? milliseconds(target.duration) : `${offset(startOffset)} to ${offset(startOffset + target.duration)}`
  lines.push(`  ${range}, ${target.samples} samples, ${target.gaps} gap${target.gaps === 1 ? '' : 's'} (missing or reset counters)`)
  const sampling = target.sampling
  if (sampling) {
    lines.push(
      `  sampling: every ${milliseconds(sampling.nominalInterval)} (p99 ${milliseconds(sampling.deltas.p99)}, max ${milliseconds(sampling.deltas.max)}); ` +
        `${sampling.lateIntervals} late interval${sampling.lateIntervals === 1 ? '' : 's'} (> 1.2x) = ${percent(sampling.lateShare * 100)} of the run`,
    )
  }
  const cpuLimit = target.cpuLimit ? `${decimal(target.cpuLimit.cores)} cores (${target.cpuLimit.from === 'quota' ? 'quota' : 'host CPUs'})` : 'unknown'
  lines.push(`  limits: CPU ${cpuLimit}, memory ${target.memoryLimit === null ? 'none' : bytes(target.memoryLimit)}`)
  lines.push('')
  const rows = RATE_ROWS.filter((row) => target.rates[row.name] !== null).map((row) => {
    const q = target.rates[row.name]
    return q ? [row.label, row.format(q.p50), row.format(q.p99), row.format(q.max)] : []
  })
  lines.push(...table(['', 'p50', 'p99', 'max'], rows, 'lrrr').map((line) => `  ${line}`))
  if (target.percentileError > 0) lines.push(`  ${percentileNote(target.percentileError)}`)
  lines.push('')
  lines.push(`  ${totalsLine(target)}`, ...signalLines(report, target), ...millibottleneckLines(report, target, target.millibottlenecks.longest.length))
  lines.push('')
  return lines.join('\n')
}

/**
 * The few lines a run ends with (`radvisor exec`): totals (CPU time, I/O, throttling, peak
 * memory), pressure, OOM kills and network where the log has them, and the millibottlenecks
 * with the `top` longest, as in the full report.
 */
export function formatBrief(report: Report, target: TargetSummary, top = 5): string {
  return `${[`  ${totalsLine(target)}`, ...signalLines(report, target), ...millibottleneckLines(report, target, top)].join('\n')}\n`
}

function totalsLine(target: TargetSummary): string {
  const t = target.totals
  return (
    `totals: CPU ${decimal(t.cpuSeconds)} s, read ${bytes(t.ioReadBytes)}, written ${bytes(t.ioWriteBytes)}, ` +
    `${t.pageFaults} page faults (${t.majorPageFaults} major), throttled ${t.throttledPeriods} of ${t.periods} periods` +
    (t.peakMemoryBytes === null ? '' : `, peak memory ${bytes(t.peakMemoryBytes)}`) +
    (t.peakWorkingSetBytes === null ? '' : `, peak working set ${bytes(t.peakWorkingSetBytes)}`)
  )
}

/** The millibottleneck count by resource, then a table of the `top` longest. */
function millibottleneckLines(report: Report, target: TargetSummary, top: number): string[] {
  const mb = target.millibottlenecks
  const parts = RESOURCES.filter((resource) => mb.byResource[resource].count > 0).map(
    (resource) => `${resource} ${mb.byResource[resource].count} / ${milliseconds(mb.byResource[resource].totalDuration)}`,
  )
  const lines = [
    mb.count === 0 ? '  millibottlenecks: none' : `  millibottlenecks: ${mb.count}, ${milliseconds(mb.totalDuration)} in all (${parts.join(', ')})`,
  ]
  const longest = mb.longest.slice(0, top)
  if (longest.length > 0) {
    const rows = longest.map((run) => [offset(offsetOf(report, target, run)), milliseconds(run.duration), run.resource, formatPeak(run.resource, run.peak)])
    lines.push(...table(['at', 'duration', 'resource', 'peak'], rows, 'rrll').map((line) => `    ${line}`))
  }
  return lines
}

/** Pressure, OOM kills, memory events and network: nothing for a log without their columns (radvisor 1.4's). */
function signalLines(report: Report, target: TargetSummary): string[] {
  const lines: string[] = []
  const { signals, oom, memoryEvents, network } = target
  if (signals.pressure === 'empty') lines.push(`  pressure: no data, ${noDataReason('pressure', signals.pressure)}`)
  if (oom) {
    const shown = oom.events.slice(0, LISTED_OOM_KILLS).map((event) => `${offset(event.time - originOf(report, target))} (${event.kills})`)
    const more = oom.intervals - shown.length
    lines.push(
      oom.kills === 0
        ? '  OOM kills: none'
        : `  OOM kills: ${oom.kills} in ${oom.intervals} interval${oom.intervals === 1 ? '' : 's'}, at ${shown.join(', ')}${more > 0 ? ` and ${more} more (${oom.events.length} listed in JSON)` : ''}`,
    )
    if (oom.underOom) lines.push(`  under OOM: ${oom.underOom.intervals === 0 ? 'never' : `${milliseconds(oom.underOom.duration)} in ${oom.underOom.intervals} interval${oom.underOom.intervals === 1 ? '' : 's'}`}`)
  } else if (signals.memoryEvents === 'empty') {
    lines.push(`  OOM kills: no data, ${noDataReason('memoryEvents', signals.memoryEvents)}`)
  }
  if (memoryEvents) lines.push(`  memory events: high ${memoryEvents.high}, max ${memoryEvents.max}, oom ${memoryEvents.oom}, low ${memoryEvents.low}`)
  if (network) {
    lines.push(
      `  network: received ${bytes(network.rxBytes)} (${network.rxPackets} packets, ${network.rxErrors} errors, ${network.rxDropped} dropped), ` +
        `sent ${bytes(network.txBytes)} (${network.txPackets} packets, ${network.txErrors} errors, ${network.txDropped} dropped)`,
    )
  } else if (signals.network !== 'not-logged') {
    lines.push(`  network: no data, ${noDataReason('network', signals.network)}`)
  }
  return lines
}

/** OOM-kill intervals named in the text; JSON lists more. */
const LISTED_OOM_KILLS = 10

/** Columns padded to their widest cell, aligned per `align` (`l` or `r` for each column). */
function table(header: readonly string[], rows: readonly (readonly string[])[], align: string): string[] {
  const all = [header, ...rows]
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)))
  return all.map((row) =>
    row
      .map((cell, column) => (align[column] === 'l' ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  )
}
