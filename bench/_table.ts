import type { Spread } from './_stats.ts'
import type { ScaleSummary, Verdict } from './_summary.ts'

const HEADERS = [
  'N',
  'files',
  'floor µs',
  'collector µs',
  'collector ×floor',
  '×1.4 floor',
  'gap floor µs',
  'CLI µs',
  'CLI ×floor',
  'floor %core',
  'CLI %core',
  'CLI %core ×floor',
  '×1.4 floor',
  'late p50/p99/max ms',
  'missed',
  'RSS MiB coll/b2b/50ms',
]

/** The results as an aligned text table, one line per target count. */
export function formatTable(summaries: readonly ScaleSummary[]): string {
  const lines = summaries.map((s) => [
    String(s.targets),
    `${s.filesPerTarget}/${s.radvisorFilesPerTarget}`,
    `${fixed(s.floorUs.median, 2)}/${fixed(s.radvisorFloorUs.median, 2)}`,
    fixed(s.collectorUs.median, 2),
    ratio(s.collectorRatio),
    ratio(s.collectorRadvisorRatio),
    fixed(s.cliFloorUs.median, 2),
    fixed(s.cliUs.median, 2),
    ratio(s.cliRatio),
    `${percent(s.floorShare.median)}/${percent(s.radvisorFloorShare.median)}`,
    percent(s.cliShare.median),
    ratio(s.shareRatio),
    ratio(s.shareRadvisorRatio),
    `${fixed(s.lateness.p50, 2)}/${fixed(s.lateness.p99, 2)}/${fixed(s.lateness.max, 1)}`,
    `${s.missed}/${s.windowTicks}`,
    `${fixed(s.rssMiB.collector, 0)}/${fixed(s.rssMiB.cliBackToBack, 0)}/${fixed(s.rssMiB.cli50ms, 0)}`,
  ])
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...lines.map((line) => line[column]!.length)))
  const render = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column]!)).join('  ')
  return [render(HEADERS), ...lines.map(render)].join('\n')
}

/** The targets, one line each: ✓ met, ✗ missed, – not covered by this run. */
export function formatVerdicts(verdicts: readonly Verdict[]): string {
  return verdicts.map((v) => `${v.met === null ? '–' : v.met ? '✓' : '✗'} ${v.target}: ${v.measured}`).join('\n')
}

/** `median [min–max]` of a ratio. */
export function ratio(value: Spread): string {
  if (!Number.isFinite(value.median)) return '–'
  return `${value.median.toFixed(2)} [${value.min.toFixed(2)}–${value.max.toFixed(2)}]`
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '–'
}

function percent(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : '–'
}
