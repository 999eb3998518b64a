// Imported as text, so that `bun build --compile` embeds them: the binary has no node_modules.
import uplotScript from 'uplot/dist/uPlot.iife.min.js' with { type: 'text' }
import uplotCss from 'uplot/dist/uPlot.min.css' with { type: 'text' }
import type { ChartSeries } from './_chart.ts'
import type { ChartPoints } from './_decimate.ts'
import { CLIENT_SCRIPT } from './_html-client.ts'
import { formatPeak, noDataReason, offsetOf, originOf, overQuotaNote, percentileNote, RATE_ROWS } from './_present.ts'
import { bytes, decimal, milliseconds, offset, percent } from './_units.ts'
import type { RateName, TargetAnalysis, TargetSummary } from './analyze.ts'
import type { Report } from './report.ts'

/** uPlot's script and stylesheet, inlined so the page needs no network. */
export interface ChartAssets {
  readonly script: string
  readonly css: string
}

/** uPlot of the `uplot` package. */
export function uplotAssets(): ChartAssets {
  return { script: uplotScript, css: uplotCss }
}

// Points serialised per chunk, so a target with millions of intervals streams out piecewise.
const CHUNK = 8192

/**
 * Writes the report as one self-contained HTML page through `write` (called with pieces):
 * a summary table and six zoomable uPlot charts per target (CPU, memory, I/O, throttling,
 * pressure, network) with millibottlenecks shaded and OOM kills marked, drawn from the
 * analysis's bounded chart data (min/max levels and full-resolution windows), so the page's
 * size does not grow with the log. A chart without data says so, and why when known.
 * Targets analysed without charts get none.
 */
export function writeHtml(report: Report, write: (chunk: string) => void, assets: ChartAssets = uplotAssets()): void {
  write(`<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>radvisor report</title>\n`)
  write(`<style>${assets.css}</style>\n<style>${PAGE_CSS}</style>\n</head>\n<body>\n`)
  write(`<h1>radvisor report</h1>\n<p class="lead">${escapeHtml(lead(report))}</p>\n`)
  if (report.problemCount > 0) {
    write(`<details class="problems"><summary>${report.problemCount} problem(s) in the input, skipped</summary><ul>`)
    for (const problem of report.problems) write(`<li>${escapeHtml(`${problem.source}${problem.line > 0 ? `:${problem.line}` : ''}: ${problem.message}`)}</li>`)
    write('</ul></details>\n')
  }
  report.targets.forEach((target, index) => write(targetSection(report, target, index)))
  write(`<script>${assets.script}</script>\n`)
  write(`<script>window.RADVISOR_ALIGNED = ${report.origin !== null}; window.RADVISOR_TARGETS = [];</script>\n`)
  for (const target of report.targets) {
    write('<script>window.RADVISOR_TARGETS.push(')
    writeTargetData(report, target, write)
    write(')</script>\n')
  }
  write(`<script>${CLIENT_SCRIPT}</script>\n</body>\n</html>\n`)
}

function lead(report: Report): string {
  const { cpuThreshold, memoryThreshold, pressureThreshold } = report.options
  const thresholds = `CPU >= ${cpuThreshold}% of its limit, memory >= ${memoryThreshold}% of its limit, any throttling, I/O wait >= 1 queued request, or some task stalled on CPU, memory or I/O for more than ${pressureThreshold}% of the interval (pressure)`
  const axis = report.origin === null ? '' : ` Targets aligned on one time axis from ${new Date(report.origin).toISOString()}.`
  return `${report.targets.length} target(s). A millibottleneck is a run of consecutive intervals with ${thresholds}; they are shaded red. Charts show seconds from the first sample${report.origin === null ? '' : ' of any target'}; drag to zoom, double-click to reset. Long runs are drawn as each stretch's lowest and highest value, so every peak shows; zooming in draws finer data, and the samples around millibottlenecks at full resolution.${axis}`
}

function targetSection(report: Report, analysis: TargetAnalysis, index: number): string {
  const target = analysis.summary
  const chart = analysis.chart
  const rows = RATE_ROWS.map((row) => {
    const q = target.rates[row.name]
    return q ? `<tr><th>${row.label}</th><td>${row.format(q.p50)}</td><td>${row.format(q.p99)}</td><td>${row.format(q.max)}</td></tr>` : ''
  }).join('')
  const mb = target.millibottlenecks
  const runs = mb.longest
    .map(
      (run) =>
        `<tr><td>${offset(offsetOf(report, target, run))}</td><td>${milliseconds(run.duration)}</td><td>${run.resource}</td><td>${formatPeak(run.resource, run.peak)}</td></tr>`,
    )
    .join('')
  const sampling = target.sampling
  const facts = [
    `${target.provider ?? 'unknown provider'}, ${target.collectorType}${target.id ? `, ${target.id}` : ''}`,
    `${target.samples} samples over ${milliseconds(target.duration)}, from ${new Date(target.start).toISOString()}`,
    sampling
      ? `sampled every ${milliseconds(sampling.nominalInterval)} (p99 ${milliseconds(sampling.deltas.p99)}, max ${milliseconds(sampling.deltas.max)}); ${sampling.lateIntervals} late intervals = ${percent(sampling.lateShare * 100)} of the run`
      : 'fewer than two samples',
    `${target.gaps} gaps (missing or reset counters)`,
    ...(target.percentileError > 0 ? [percentileNote(target.percentileError)] : []),
    `CPU limit ${target.cpuLimit ? `${decimal(target.cpuLimit.cores)} cores (${target.cpuLimit.from})` : 'unknown'}, memory limit ${target.memoryLimit === null ? 'none' : bytes(target.memoryLimit)}`,
    ...(target.totals.peakWorkingSetBytes === null ? [] : [`peak working set ${bytes(target.totals.peakWorkingSetBytes)} (memory minus inactive file pages)`]),
    ...oomFacts(report, target),
    mb.count === 0 ? 'no millibottlenecks' : `millibottlenecks: ${mb.count}, ${milliseconds(mb.totalDuration)} in all`,
    ...(chart && chart.mergedWithin > 0
      ? [`too many to shade one by one: millibottlenecks of a resource less than ${milliseconds(chart.mergedWithin)} apart share one shading (${chart.millibottlenecks.length} shaded)`]
      : []),
    ...(chart ? [] : ['no chart data (analysed without charts)']),
  ]
  const overQuota = chart ? overQuotaNote(target) : null
  return `<section class="target" id="target-${index}">
<h2>${escapeHtml(target.name)}</h2>
<p class="source">${escapeHtml(target.source)}${target.cgroup ? ` &middot; ${escapeHtml(target.cgroup)}` : ''}</p>
<ul class="facts">${facts.map((fact) => `<li>${escapeHtml(fact)}</li>`).join('')}</ul>
<div class="charts" id="charts-${index}"></div>
${overQuota ? `<p class="note" data-note="over-quota">${escapeHtml(overQuota)}</p>\n` : ''}<div class="tables">
<table class="rates"><thead><tr><th></th><th>p50</th><th>p99</th><th>max</th></tr></thead><tbody>${rows}</tbody></table>
${mb.count > 0 ? `<table class="runs"><caption>Longest millibottlenecks</caption><thead><tr><th>at</th><th>duration</th><th>resource</th><th>peak</th></tr></thead><tbody>${runs}</tbody></table>` : ''}
</div>
</section>
`
}

function oomFacts(report: Report, target: TargetSummary): string[] {
  const { oom } = target
  if (!oom) return []
  const underOom = oom.underOom && oom.underOom.intervals > 0 ? [`under OOM for ${milliseconds(oom.underOom.duration)}`] : []
  if (oom.kills === 0) return ['no OOM kills', ...underOom]
  const listed = oom.events.length < oom.intervals ? ` (the first ${oom.events.length} marked)` : ''
  const first = oom.events[0]
  const at = first ? `, the first at ${offset(first.time - originOf(report, target))}` : ''
  return [`OOM kills: ${oom.kills} in ${oom.intervals} interval(s)${at}; marked on the memory chart${listed}`, ...underOom]
}

/** How each chart series is written on the page: its name there and its rounding. */
const PAGE_SERIES: Readonly<Record<ChartSeries, readonly [string, (value: number) => number]>> = {
  cpuCores: ['cpuCores', significant],
  cpuPercent: ['cpuPercent', significant],
  memoryBytes: ['memoryBytes', Math.round],
  workingSetBytes: ['workingSetBytes', Math.round],
  ioReadBytesPerSec: ['ioReadBytesPerSec', significant],
  ioWriteBytesPerSec: ['ioWriteBytesPerSec', significant],
  throttledFraction: ['throttledPercent', percentOf],
  cpuPressureSome: ['cpuSomePercent', percentOf],
  cpuPressureFull: ['cpuFullPercent', percentOf],
  memoryPressureSome: ['memorySomePercent', percentOf],
  memoryPressureFull: ['memoryFullPercent', percentOf],
  ioPressureSome: ['ioSomePercent', percentOf],
  ioPressureFull: ['ioFullPercent', percentOf],
  networkRxBytesPerSec: ['networkRxBytesPerSec', significant],
  networkTxBytesPerSec: ['networkTxBytesPerSec', significant],
}

/** The charts' series, for telling a chart without any data. */
const PANEL_RATES: Readonly<Record<string, readonly RateName[]>> = {
  cpu: ['cpuCores'],
  memory: ['memoryBytes', 'workingSetBytes'],
  io: ['ioReadBytesPerSec', 'ioWriteBytesPerSec'],
  throttling: ['throttledFraction'],
  pressure: ['cpuPressureSome', 'cpuPressureFull', 'memoryPressureSome', 'memoryPressureFull', 'ioPressureSome', 'ioPressureFull'],
  network: ['networkRxBytesPerSec', 'networkTxBytesPerSec'],
}

/** Per chart without data, what it says instead ("no data", and why when the log tells). */
function noDataPanels(summary: TargetSummary): Record<string, string> {
  const panels: Record<string, string> = {}
  for (const [kind, rates] of Object.entries(PANEL_RATES)) {
    if (rates.some((rate) => summary.rates[rate] !== null)) continue
    const reason = kind === 'pressure' ? noDataReason('pressure', summary.signals.pressure) : kind === 'network' ? noDataReason('network', summary.signals.network) : null
    panels[kind] = `no data${reason ? `: ${reason}` : ': the log has no values for it'}`
  }
  return panels
}

/**
 * One target's chart data as a JS object literal, x in seconds from the origin: `levels`
 * (coarsest first, each with its bucket width), `windows` (full resolution), the
 * millibottlenecks to shade as `[start, end, resource]`, the OOM kills as `[time, kills]`,
 * and `noData`: the charts to draw as text. A series without any value is left out.
 */
function writeTargetData(report: Report, target: TargetAnalysis, write: (chunk: string) => void): void {
  const { summary, chart } = target
  const origin = originOf(report, summary)
  const seconds = (time: number): number => round((time - origin) / 1000, 6)
  const series = (chart?.series ?? []).flatMap((name, index) => (summary.rates[name] === null ? [] : [[name, index] as const]))
  write(
    `{name:${script(summary.name)},cpuLimit:${summary.cpuLimit ? summary.cpuLimit.cores : null},cpuLimitFrom:${script(summary.cpuLimit?.from ?? null)},memoryLimit:${summary.memoryLimit},hasIoWait:${summary.rates.ioWait !== null}`,
  )
  write(`,noData:${script(noDataPanels(summary))}`)
  write(`,oom:${script((chart?.oomKills ?? []).map((event) => [seconds(event.time), event.kills]))}`)
  write(`,runs:${script((chart?.millibottlenecks ?? []).map((run) => [seconds(run.start), seconds(run.end), run.resource]))}`)
  write(',levels:[')
  chart?.levels.forEach((level, index) => {
    write(`${index === 0 ? '' : ','}{bucket:${level.bucketMs / 1000},`)
    writePoints(level, series, seconds, write)
    write('}')
  })
  write('],windows:[')
  chart?.windows.forEach((window, index) => {
    write(index === 0 ? '{' : ',{')
    writePoints(window, series, seconds, write)
    write('}')
  })
  write(']}')
}

/** The points' times and the given series (each with its index in the points' values). */
function writePoints(points: ChartPoints, series: readonly (readonly [ChartSeries, number])[], seconds: (time: number) => number, write: (chunk: string) => void): void {
  write('x:')
  writeNumbers(points.time, write, seconds)
  write(',series:{')
  series.forEach(([name, index], position) => {
    const [pageName, shape] = PAGE_SERIES[name]
    write(`${position === 0 ? '' : ','}${pageName}:`)
    writeNumbers(points.values[index] as Float32Array, write, shape)
  })
  write('}')
}

function writeNumbers(values: ArrayLike<number>, write: (chunk: string) => void, shape: (value: number) => number): void {
  write('[')
  for (let start = 0; start < values.length; start += CHUNK) {
    const parts: string[] = []
    for (let i = start; i < Math.min(start + CHUNK, values.length); i++) {
      const value = values[i] as number
      parts.push(Number.isFinite(value) ? String(shape(value)) : 'null')
    }
    write(`${start === 0 ? '' : ','}${parts.join(',')}`)
  }
  write(']')
}

function significant(value: number): number {
  return Number(value.toPrecision(5))
}

function percentOf(fraction: number): number {
  return significant(fraction * 100)
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

/** JSON safe inside a <script> element. */
function script(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c')
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #111827; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
.lead { color: #4b5563; margin: 0 0 16px; }
.target { border-top: 1px solid #e5e7eb; padding-top: 12px; margin-top: 20px; }
h2 { font-size: 18px; margin: 0; }
.source { color: #6b7280; font-size: 12px; margin: 2px 0 6px; word-break: break-all; }
.facts { margin: 0 0 8px; padding-left: 18px; color: #374151; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 6px 16px; }
.chart { min-width: 0; }
.tables { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 24px; margin-top: 8px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #f3f4f6; }
tbody th { text-align: left; font-weight: normal; color: #374151; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
.problems { margin: 8px 0; color: #92400e; }
.note { color: #374151; background: #f9fafb; border-left: 3px solid #d97706; padding: 4px 10px; margin: 6px 0; }
.no-data { height: 190px; box-sizing: border-box; border: 1px dashed #d1d5db; display: flex; flex-direction: column; align-items: center; justify-content: center; text-align: center; color: #6b7280; padding: 8px; }
.no-data .title { font-weight: 600; color: #111827; margin-bottom: 4px; }
`
