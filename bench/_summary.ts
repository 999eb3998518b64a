import type { BackToBack, CliRun, CollectorRun, Windowed } from './_runs.ts'
import { ratios, type Spread, spread } from './_stats.ts'

/** One A-B pair of each comparison, run back to back. */
export interface PairResult {
  /** The floor over the files radvisor reads: the fewest that give its columns. */
  readonly floorForCollector: BackToBack | null
  /** The floor over radvisor 1.4's files for the same columns (`cpuacct.usage`, `_sys`, `_user` on their own). */
  readonly radvisorFloorForCollector: BackToBack | null
  readonly collector: CollectorRun
  readonly floorForCli: BackToBack | null
  readonly cli: CliRun
  /** The same CLI run with fewer ticks: its CPU is startup and shutdown plus those ticks. */
  readonly cliBaseline: CliRun
  readonly floorWindow: Windowed | null
  readonly radvisorFloorWindow: Windowed | null
  readonly cliWindow: Windowed & CliRun
}

/** Every pair at one target count. */
export interface ScaleResult {
  readonly targets: number
  /** Measured ticks of each back-to-back run. */
  readonly ticks: number
  /** Ticks of the CLI baseline run (and of the collector's warm-up). */
  readonly baselineTicks: number
  readonly filesPerTarget: number
  readonly radvisorFilesPerTarget: number
  readonly pairs: readonly PairResult[]
}

/** What the table shows for one target count. */
export interface ScaleSummary {
  readonly targets: number
  readonly ticks: number
  readonly filesPerTarget: number
  readonly radvisorFilesPerTarget: number
  /** µs of CPU per target per tick, back to back. */
  readonly floorUs: Spread
  readonly radvisorFloorUs: Spread
  readonly collectorUs: Spread
  readonly collectorRatio: Spread
  /** The collector against the floor over radvisor 1.4's files. */
  readonly collectorRadvisorRatio: Spread
  /** The floor with the CLI's sleep between ticks (`--cli-gap`), paired with the CLI run. */
  readonly cliFloorUs: Spread
  /** The CLI's CPU net of startup and shutdown: (CPU(ticks) − median CPU(baseline ticks)) / ((ticks − baseline) × targets). */
  readonly cliUs: Spread
  readonly cliRatio: Spread
  /** Median CPU of the CLI baseline run, ms (startup, first poll, opening targets, shutdown, baseline ticks). */
  readonly cliBaselineMs: number
  /** Share of one core, every 50 ms. */
  readonly floorShare: Spread
  readonly radvisorFloorShare: Spread
  readonly cliShare: Spread
  readonly shareRatio: Spread
  readonly shareRadvisorRatio: Spread
  /** Median p50 and p99 over the pairs, largest max; ticks and missed ticks summed. */
  readonly lateness: { readonly p50: number; readonly p99: number; readonly max: number }
  readonly windowTicks: number
  readonly missed: number
  /** Largest peak RSS over the pairs, MiB. */
  readonly rssMiB: { readonly collector: number; readonly cliBackToBack: number; readonly cli50ms: number }
}

const MiB = 1024 * 1024

export function summarize(scale: ScaleResult): ScaleSummary {
  const { targets, ticks, baselineTicks, pairs } = scale
  const perTargetTick = (run: BackToBack | null) => (run ? run.cpuUs / (run.ticks * targets) : Number.NaN)
  const floorUs = pairs.map((pair) => perTargetTick(pair.floorForCollector))
  const radvisorFloorUs = pairs.map((pair) => perTargetTick(pair.radvisorFloorForCollector))
  const collectorUs = pairs.map((pair) => perTargetTick(pair.collector))
  const cliFloorUs = pairs.map((pair) => perTargetTick(pair.floorForCli))
  const baselineUs = spread(pairs.map((pair) => pair.cliBaseline.cpuUs)).median
  const cliUs = pairs.map((pair) => (pair.cli.cpuUs - baselineUs) / ((pair.cli.ticks - pair.cliBaseline.ticks) * targets))
  const floorShare = pairs.map((pair) => pair.floorWindow?.share ?? Number.NaN)
  const radvisorFloorShare = pairs.map((pair) => pair.radvisorFloorWindow?.share ?? Number.NaN)
  const cliShare = pairs.map((pair) => pair.cliWindow.share)
  const windows = pairs.map((pair) => pair.cliWindow)
  const largest = (values: number[]) => Math.max(...values) / MiB
  return {
    targets,
    ticks,
    filesPerTarget: scale.filesPerTarget,
    radvisorFilesPerTarget: scale.radvisorFilesPerTarget,
    floorUs: spread(floorUs),
    radvisorFloorUs: spread(radvisorFloorUs),
    collectorUs: spread(collectorUs),
    collectorRatio: spread(ratios(collectorUs, floorUs)),
    collectorRadvisorRatio: spread(ratios(collectorUs, radvisorFloorUs)),
    cliFloorUs: spread(cliFloorUs),
    cliUs: spread(cliUs),
    cliRatio: spread(ratios(cliUs, cliFloorUs)),
    cliBaselineMs: baselineUs / 1000,
    floorShare: spread(floorShare),
    radvisorFloorShare: spread(radvisorFloorShare),
    cliShare: spread(cliShare),
    shareRatio: spread(ratios(cliShare, floorShare)),
    shareRadvisorRatio: spread(ratios(cliShare, radvisorFloorShare)),
    lateness: {
      p50: spread(windows.map((run) => run.lateness.p50)).median,
      p99: spread(windows.map((run) => run.lateness.p99)).median,
      max: Math.max(...windows.map((run) => run.lateness.max)),
    },
    windowTicks: windows.reduce((sum, run) => sum + run.ticks, 0),
    missed: windows.reduce((sum, run) => sum + run.missed, 0),
    rssMiB: {
      collector: largest(pairs.map((pair) => pair.collector.maxRss)),
      cliBackToBack: largest(pairs.flatMap((pair) => [pair.cli.maxRss, pair.cliBaseline.maxRss])),
      cli50ms: largest(windows.map((run) => run.maxRss)),
    },
  }
}

/** One of the targets, as measured (reported, never asserted). */
export interface Verdict {
  readonly target: string
  readonly measured: string
  /** null when the run did not cover it (a target count left out, no floor). */
  readonly met: boolean | null
}

/** Growth between N=100 and N=1000 may exceed the floor's by this much before it counts as growing. */
const GROWTH_TOLERANCE = 1.1

/**
 * Checks the issue's targets against the summaries that cover them. `columns` is the runs'
 * `--columns`: the memory target is for the default settings (extended), so a run with
 * radvisor's columns says so in that verdict.
 */
export function verdicts(summaries: readonly ScaleSummary[], columns: 'extended' | 'radvisor' = 'extended'): Verdict[] {
  const at = (targets: number) => summaries.find((summary) => summary.targets === targets)
  const result: Verdict[] = []
  const check = (target: string, measured: number, limit: number, unit: string, covered: boolean) =>
    result.push({
      target,
      measured: covered && Number.isFinite(measured) ? `${round(measured)}${unit}` : 'not measured',
      met: covered && Number.isFinite(measured) ? measured <= limit : null,
    })
  const n100 = at(100)
  const n500 = at(500)
  check('collector alone, N=100 back to back: ≤ 1.15× floor CPU per target-tick', n100?.collectorRatio.median ?? Number.NaN, 1.15, '×', !!n100)
  check('whole CLI, N=100 every 50 ms (CSVY): ≤ 1.25× floor CPU share', n100?.shareRatio.median ?? Number.NaN, 1.25, '×', !!n100)
  check('whole CLI, N=500 every 50 ms (CSVY): ≤ 1.20× floor CPU share', n500?.shareRatio.median ?? Number.NaN, 1.2, '×', !!n500)
  check('lateness p99, N=100 every 50 ms: ≤ 1 ms', n100?.lateness.p99 ?? Number.NaN, 1, ' ms', !!n100)
  check('missed ticks, N=100 every 50 ms: none', n100?.missed ?? Number.NaN, 0, '', !!n100)
  const settings = columns === 'extended' ? 'default settings' : 'default settings but --columns radvisor'
  check(`peak RSS, N=500 every 50 ms, ${settings}: ≤ 80 MiB`, n500?.rssMiB.cli50ms ?? Number.NaN, 80, ' MiB', !!n500)
  const n1000 = at(1000)
  if (n100 && n1000) {
    const floorGrowth = n1000.floorUs.median / n100.floorUs.median
    for (const [name, small, large] of [
      ['collector', n100.collectorUs.median, n1000.collectorUs.median],
      ['whole CLI', n100.cliUs.median, n1000.cliUs.median],
    ] as const) {
      const growth = large / small
      result.push({
        target: `${name} µs per target-tick, N=100 → 1000: grows no more than the floor's (${round(floorGrowth)}×, +10% noise)`,
        measured: `${round(growth)}×`,
        met: Number.isFinite(floorGrowth) ? growth <= floorGrowth * GROWTH_TOLERANCE : null,
      })
    }
  } else {
    result.push({ target: 'per target-tick cost, N=100 → 1000: grows no more than the floor’s', measured: 'not measured', met: null })
  }
  return result
}

/** Three significant digits, at most two decimals. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  return Number(value.toFixed(digits))
}
