import { describe, expect, test } from 'bun:test'
import { defaultChartLimits } from '../src/_chart.ts'
import { type ChartAssets, uplotAssets, writeHtml } from '../src/html.ts'
import { overQuotaNote } from '../src/_present.ts'
import { analyzeLog, assembleReport, defaultReportOptions } from '../src/report.ts'
import { syntheticLines } from '../scripts/_synthetic.ts'
import { fixtureLines } from './_fixtures.ts'

const stubAssets: ChartAssets = { script: '/* uplot */', css: '/* uplot css */' }

async function fixtureReport() {
  const v1 = await analyzeLog(fixtureLines('v1-cpu-saturation.log'), 'v1<cpu>.log')
  return assembleReport([v1!], [{ source: 'bad.log', line: 3, message: 'wrong column count' }], 1, defaultReportOptions)
}

describe('writeHtml', () => {
  test('writes one self-contained page: inlined chart library, no network references, escaped names', async () => {
    const chunks: string[] = []
    writeHtml(await fixtureReport(), (chunk) => chunks.push(chunk), uplotAssets())
    const page = chunks.join('')
    expect(page).toStartWith('<!doctype html>')
    expect(page).toContain('uPlot')
    expect(page).not.toMatch(/(src|href)\s*=\s*["']?https?:|@import|url\(\s*["']?https?:/i)
    expect(page).toContain('v1&#60;cpu&#62;.log')
    expect(page).toContain('bad.log:3: wrong column count')
    expect(page).toContain('id="charts-0"')
  })

  test('embeds full-resolution series, gaps as null, and the millibottleneck runs in seconds from the start', async () => {
    const chunks: string[] = []
    writeHtml(await fixtureReport(), (chunk) => chunks.push(chunk), stubAssets)
    const page = chunks.join('')
    expect(page).toContain('runs:[[0.2,0.35,"cpu"],[0.82,0.87,"memory"]]')
    expect(page).toContain('x:[0.05,0.1,0.15,0.2,0.25,')
    expect(page).toMatch(/cpuCores:\[0\.1,0\.1,0\.1,0\.1,1\.95,1\.98,1\.92,0\.1,0\.1,0\.1,null,0\.1,null,null,0\.1,/)
  })

  test('says when shading merges millibottlenecks, and when a target has no chart data', async () => {
    const v1 = await analyzeLog(fixtureLines('v1-cpu-saturation.log'), 'v1.log')
    const merged = { ...v1!, chart: { ...v1!.chart!, mergedWithin: 2500 } }
    const bare = await analyzeLog(fixtureLines('v2-quota.log'), 'v2.log', undefined, undefined, false)
    expect(bare?.chart).toBeNull()
    const chunks: string[] = []
    writeHtml(assembleReport([merged, bare!], [], 0), (chunk) => chunks.push(chunk), stubAssets)
    const page = chunks.join('')
    expect(page).toContain('millibottlenecks of a resource less than 2.50 s apart share one shading (2 shaded)')
    expect(page).toContain('no chart data (analysed without charts)')
    expect(pageData(page)[1]).toMatchObject({ runs: [], levels: [], windows: [] })
  })

  test('a long target gives a bounded page, in bounded pieces, that keeps every millibottleneck and its peak', async () => {
    const rows = 100_000 // 83 min at 50 ms: 5 intervals per bucket of the finest level
    const log = {
      name: 'long',
      schema: 'cgroup_v2' as const,
      rows,
      bursts: [
        { resource: 'cpu' as const, at: 500, rows: 3, every: 997 },
        { resource: 'throttling' as const, at: 800, rows: 2, every: 3001 },
      ],
    }
    const analysis = await analyzeLog(syntheticLines(log), 'long.log')
    let longest = 0
    const chunks: string[] = []
    writeHtml(assembleReport([analysis!], [], 0), (chunk) => {
      longest = Math.max(longest, chunk.length)
      chunks.push(chunk)
    }, stubAssets)
    const page = chunks.join('')
    expect(longest).toBeLessThan(200_000)
    expect(page.length).toBeLessThan(10_000_000)
    const data = pageData(page)[0] as PageTarget
    const limits = defaultChartLimits
    const points = [...data.levels, ...data.windows].reduce((total, points) => total + points.x.length, 0)
    expect(points).toBeLessThanOrEqual(2 * limits.buckets * (1 + 1 / limits.factor) + limits.windowBudget)
    expect(points).toBeLessThan(rows)
    expect(data.levels.map((level) => level.x.length)).toEqual(analysis!.chart!.levels.map((level) => level.time.length))
    // every millibottleneck is shaded, and its peak is in the overview's points where it is
    const summary = analysis!.summary
    expect(data.runs.filter((run) => run[2] === 'cpu')).toHaveLength(summary.millibottlenecks.byResource.cpu.count)
    expect(data.runs.filter((run) => run[2] === 'throttling')).toHaveLength(summary.millibottlenecks.byResource.throttling.count)
    const overview = data.levels[0] as PageTarget['levels'][number]
    for (const run of analysis!.chart!.millibottlenecks) {
      const start = (run.start - summary.start) / 1000 - overview.bucket
      const end = (run.end - summary.start) / 1000 + overview.bucket
      const series = (run.resource === 'cpu' ? overview.series.cpuPercent : overview.series.throttledPercent) as (number | null)[]
      const scale = run.resource === 'cpu' ? 1 : 100
      const near = series.filter((_, i) => (overview.x[i] as number) >= start && (overview.x[i] as number) <= end) as number[]
      expect(Math.max(...near)).toBeGreaterThanOrEqual(Number((run.peak * scale).toPrecision(5)) * (1 - 1e-6))
    }
  }, 60_000)
})

describe('writeHtml with the signals after radvisor 1.4 columns', async () => {
  const analyses = []
  for (const name of ['v2-signals.log', 'v2-signals-radvisor-columns.log', 'v2-host-network.log']) analyses.push((await analyzeLog(fixtureLines(name), name))!)
  const chunks: string[] = []
  writeHtml(assembleReport(analyses, [], 0), (chunk) => chunks.push(chunk), stubAssets)
  const page = chunks.join('')
  const [signals, radvisor, host] = pageData(page) as [PageTarget, PageTarget, PageTarget]

  test('shades the pressure millibottleneck and marks the OOM kill, in seconds from the start', () => {
    expect(signals.runs).toContainEqual([0.35, 0.55, 'cpu-pressure'])
    expect(signals.oom).toEqual([[0.65, 1]])
    expect(signals.noData).toEqual({})
    expect(Object.keys(signals.levels[0]?.series ?? {})).toEqual([
      'cpuCores',
      'cpuPercent',
      'memoryBytes',
      'workingSetBytes',
      'ioReadBytesPerSec',
      'ioWriteBytesPerSec',
      'throttledPercent',
      'cpuSomePercent',
      'cpuFullPercent',
      'memorySomePercent',
      'memoryFullPercent',
      'ioSomePercent',
      'ioFullPercent',
      'networkRxBytesPerSec',
      'networkTxBytesPerSec',
    ])
    expect(signals.levels.at(-1)?.series.cpuSomePercent?.slice(6, 12)).toEqual([2, 80, 70, 90, 60, 2])
    expect(signals.levels.at(-1)?.series.networkRxBytesPerSec?.[0]).toBe(1_024_000)
  })

  test('leaves series without any value off the page, and says why their charts have no data', () => {
    expect(Object.keys(radvisor.levels[0]?.series ?? {})).not.toContain('cpuSomePercent')
    expect(Object.keys(radvisor.levels[0]?.series ?? {})).not.toContain('networkRxBytesPerSec')
    expect(radvisor.noData).toEqual({ pressure: 'no data: not in this log (radvisor 1.4 columns)', network: 'no data: not in this log (radvisor 1.4 columns)' })
    expect(host.noData).toEqual({ network: 'no data: host network namespace: traffic not attributed to the target' })
    expect(Object.keys(host.levels[0]?.series ?? {})).not.toContain('networkRxBytesPerSec')
  })

  test('explains CPU above 100% of the quota', () => {
    expect(page).toContain(
      '<p class="note" data-note="over-quota">CPU reaches 200% of the quota in some intervals. An interval (50 ms) is shorter than the CFS period (100 ms unless the cgroup sets another; this log does not say), so a burst can use a whole period&#39;s quota within one interval',
    )
    expect(page.match(/data-note="over-quota"/g)).toHaveLength(2) // the 1.4-columns copy has the burst too; the host log does not
  })

  test('states the OOM kills and the working set among the facts', () => {
    expect(page).toContain('OOM kills: 1 in 1 interval(s), the first at +0.650 s; marked on the memory chart')
    expect(page).toContain('peak working set 61.0 MiB (memory minus inactive file pages)')
  })
})

describe('overQuotaNote', async () => {
  const summary = (await analyzeLog(fixtureLines('v2-signals.log'), 'v2-signals.log'))!.summary
  const withPeriod = (periodMs: number | null) => ({ ...summary, cpuLimit: { cores: 0.5, from: 'quota' as const, periodMs } })

  test('gives the period when the log has it, and says when intervals are not shorter than it', () => {
    expect(overQuotaNote(withPeriod(100))).toContain('An interval (50 ms) is shorter than the CFS period (100 ms), so a burst')
    expect(overQuotaNote(withPeriod(20))).toContain('The kernel enforces the quota per CFS period (20 ms), and intervals do not line up with periods')
  })

  test('says nothing up to 100% as displayed, or when the limit is the host CPUs', async () => {
    const quota = (await analyzeLog(fixtureLines('v2-quota.log'), 'v2-quota.log'))!.summary // at most 100% of its quota
    expect(overQuotaNote(quota)).toBeNull()
    expect(overQuotaNote({ ...summary, cpuLimit: { cores: 4, from: 'host', periodMs: null } })).toBeNull()
  })
})

interface PagePoints {
  x: number[]
  series: Record<string, (number | null)[]>
}
interface PageTarget {
  runs: [number, number, string][]
  oom: [number, number][]
  noData: Record<string, string>
  levels: (PagePoints & { bucket: number })[]
  windows: PagePoints[]
}

/** The targets' data as the page's script sees it. */
function pageData(page: string): PageTarget[] {
  const targets: PageTarget[] = []
  for (const match of page.matchAll(/<script>window\.RADVISOR_TARGETS\.push\(([\s\S]*?)\)<\/script>/g)) {
    targets.push(new Function(`return (${match[1]})`)() as PageTarget)
  }
  return targets
}
