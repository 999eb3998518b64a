import { describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { analyzeLog, assembleReport, reportFiles, writeHtml } from '@radvisor/report'
import { syntheticLines } from '../packages/report/scripts/_synthetic.ts'

const ROOT = join(import.meta.dir, '..')
const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(ROOT, '.artifacts')
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) console.warn(`report browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`)

const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

describe('HTML report in headless Chromium', () => {
  test.skipIf(!hasChromium)(
    'draws the charts of each target, shades the millibottlenecks where they are, marks OOM kills, and says why a chart has no data',
    async () => {
      const { chromium } = await import('playwright-core')
      mkdirSync(ARTIFACTS, { recursive: true })
      const logs = ['v1-cpu-saturation.log', 'v2-quota.log', 'v2-signals.log', 'v2-host-network.log']
      const report = await reportFiles(nodeFs, logs.map((name) => join(ROOT, 'fixtures/report', name)))
      const chunks: string[] = []
      writeHtml(report, (chunk) => chunks.push(chunk))
      const page = join(ARTIFACTS, 'report-browser.html')
      writeFileSync(page, chunks.join(''))

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: BROWSER_ARGS,
      })
      try {
        const tab = await browser.newPage({ viewport: { width: 1280, height: 1800 } })
        const errors: string[] = []
        tab.on('pageerror', (error) => errors.push(error.message))
        // Self-contained: any request other than the file itself is a failure.
        const requests: string[] = []
        tab.on('request', (request) => requests.push(request.url()))
        await tab.goto(`file://${page}`)
        await tab.waitForFunction(() => (window as unknown as { radvisorReady?: boolean }).radvisorReady === true, null, { timeout: 15_000 })
        // Seconds with no millibottleneck or OOM kill of any resource, per target (the host-network log ends at 0.3 s).
        const quiet = [0.65, 0.65, 0.8, 0.15]
        const { checks, panels, note } = await tab.evaluate((quiet) => {
          type Chart = { valToPos(value: number, scale: string, canvasPixels: boolean): number; bbox: { top: number; height: number }; data: (number | null)[][] }
          const charts = (window as unknown as { radvisorCharts: { target: number; kind: string; chart: Chart; runs: number[][]; oom: number[][]; canvas: HTMLCanvasElement }[] }).radvisorCharts
          const panels = (window as unknown as { radvisorPanels: { target: number; kind: string; noData: string | null; holder: HTMLElement }[] }).radvisorPanels
          // pixels at 10 heights of the plot at x matching `match`
          const column = (ctx: CanvasRenderingContext2D, x: number, chart: Chart, match: (r: number, g: number, b: number) => boolean): number => {
            let count = 0
            for (let i = 1; i <= 10; i++) {
              const [r, g, b, a] = ctx.getImageData(Math.round(x), Math.round(chart.bbox.top + (chart.bbox.height * i) / 11), 1, 1).data
              if ((a as number) > 0 && match(r as number, g as number, b as number)) count++
            }
            return count
          }
          const reddish = (r: number, g: number, b: number): boolean => r > g + 50 && r > b + 50
          const orange = (r: number, g: number, b: number): boolean => r > 200 && g > 60 && g < 120 && b < 60 // the OOM mark, rgb(234, 88, 12)
          const checks = charts.map(({ target, kind, chart, runs, oom, canvas }) => {
            const ctx = canvas.getContext('2d') as CanvasRenderingContext2D
            const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data
            let painted = 0
            let received = 0 // the network chart's received line, #0891b2
            for (let i = 0; i < pixels.length; i += 4) {
              if ((pixels[i + 3] as number) > 0) painted++
              if (Math.abs((pixels[i] as number) - 8) < 40 && Math.abs((pixels[i + 1] as number) - 145) < 40 && Math.abs((pixels[i + 2] as number) - 178) < 40) received++
            }
            const run = runs[0]
            const inside = run ? column(ctx, chart.valToPos(((run[0] as number) + (run[1] as number)) / 2, 'x', true), chart, reddish) : -1
            const outside = column(ctx, chart.valToPos(quiet[target] as number, 'x', true), chart, reddish)
            const kill = oom[0]
            const oomAt = kill ? column(ctx, chart.valToPos(kill[0] as number, 'x', true), chart, orange) : -1
            const oomAway = column(ctx, chart.valToPos(0.45, 'x', true), chart, orange)
            const values = (chart.data[1] ?? []).filter((value) => value !== null).length
            return { target, kind, painted, received, values, shadedInside: inside, shadedOutside: outside, oomAt, oomAway }
          })
          const shown = panels.map(({ target, kind, noData, holder }) => ({ target, kind, noData, text: holder.innerText, height: holder.getBoundingClientRect().height, canvases: holder.querySelectorAll('canvas').length }))
          const note = (document.querySelector('#target-2 [data-note="over-quota"]') as HTMLElement | null)?.innerText ?? null
          return { checks, panels: shown, note }
        }, quiet)
        await tab.screenshot({ path: join(ARTIFACTS, 'report-browser.png'), fullPage: true })

        expect(errors).toEqual([])
        expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([])
        const base = ['cpu', 'memory', 'io', 'throttling']
        expect(checks.map(({ target, kind }) => `${target}:${kind}`)).toEqual([
          ...[0, 1].flatMap((target) => base.map((kind) => `${target}:${kind}`)),
          ...[...base, 'pressure', 'network'].map((kind) => `2:${kind}`),
          ...[...base, 'pressure'].map((kind) => `3:${kind}`),
        ])
        for (const check of checks) expect(check.painted).toBeGreaterThan(1000)
        const shaded = (target: number, kind: string): (typeof checks)[number] | undefined => checks.find((check) => check.target === target && check.kind === kind)
        // web-1: the 150 ms CPU run at 0.2-0.35 s and the memory interval at 0.82-0.87 s
        expect(shaded(0, 'cpu')?.shadedInside).toBeGreaterThanOrEqual(6)
        expect(shaded(0, 'memory')?.shadedInside).toBeGreaterThanOrEqual(6)
        expect(shaded(0, 'throttling')?.shadedInside).toBe(-1)
        // api: CPU and throttling at 0.2-0.4 s
        expect(shaded(1, 'cpu')?.shadedInside).toBeGreaterThanOrEqual(6)
        expect(shaded(1, 'throttling')?.shadedInside).toBeGreaterThanOrEqual(6)
        // checkout: CPU pressure at 0.35-0.55 s shaded on the pressure chart, the OOM kill at 0.65 s marked on the memory chart only
        expect(shaded(2, 'pressure')?.shadedInside).toBeGreaterThanOrEqual(6)
        expect(shaded(2, 'memory')?.oomAt).toBeGreaterThanOrEqual(8)
        for (const check of checks) {
          expect(check.shadedOutside).toBe(0)
          expect(check.oomAway).toBe(0)
          if (!(check.target === 2 && check.kind === 'memory')) expect(check.oomAt).toBe(-1)
        }
        // the network chart is drawn: 20 intervals received, the line on the canvas
        expect(shaded(2, 'network')?.values).toBe(20)
        expect(shaded(2, 'network')?.received).toBeGreaterThan(200)
        expect(shaded(2, 'cpu')?.received).toBeLessThan(50)
        // charts without data are panels saying why, at a chart's height, with no canvas
        const empty = panels.filter((panel) => panel.noData !== null)
        expect(empty.map(({ target, kind }) => `${target}:${kind}`)).toEqual(['0:pressure', '0:network', '1:pressure', '1:network', '3:network'])
        for (const panel of empty) {
          expect(panel.canvases).toBe(0)
          expect(panel.height).toBeGreaterThan(150)
          expect(panel.text).toContain(panel.kind === 'pressure' ? 'Pressure' : 'Network')
        }
        expect(empty[0]?.text).toContain('no data: not in this log (radvisor 1.4 columns)')
        expect(empty[4]?.text).toContain('no data: host network namespace: traffic not attributed to the target')
        expect(note).toContain('CPU reaches 200% of the quota in some intervals. An interval (50 ms) is shorter than the CFS period')
      } finally {
        await browser.close()
      }
    },
    60_000,
  )

  test.skipIf(!hasChromium)(
    'a long run: the page stays small, shades every millibottleneck with its peak drawn, and zooming draws finer data',
    async () => {
      const { chromium } = await import('playwright-core')
      mkdirSync(ARTIFACTS, { recursive: true })
      // 3 h at 50 ms: decimated at every level; CPU saturated 3 intervals every ~50 s, throttled every ~150 s
      const log = {
        name: 'long',
        schema: 'cgroup_v1' as const,
        rows: 200_000,
        lateEvery: 500,
        bursts: [
          { resource: 'cpu' as const, at: 1000, rows: 3, every: 997 },
          { resource: 'throttling' as const, at: 2000, rows: 2, every: 3001 },
        ],
      }
      const analysis = await analyzeLog(syntheticLines(log), 'long.log')
      const chunks: string[] = []
      writeHtml(assembleReport([analysis!], [], 0), (chunk) => chunks.push(chunk))
      const html = chunks.join('')
      expect(html.length).toBeLessThan(10_000_000)
      const page = join(ARTIFACTS, 'report-browser-long.html')
      writeFileSync(page, html)
      const counts = analysis!.summary.millibottlenecks.byResource

      const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS })
      try {
        const tab = await browser.newPage({ viewport: { width: 1280, height: 1200 } })
        const errors: string[] = []
        tab.on('pageerror', (error) => errors.push(error.message))
        await tab.goto(`file://${page}`)
        await tab.waitForFunction(() => (window as unknown as { radvisorReady?: boolean }).radvisorReady === true, null, { timeout: 30_000 })
        const overview = await tab.evaluate(() => {
          type Chart = { valToPos(value: number, scale: string, canvasPixels: boolean): number; bbox: { top: number; height: number }; data: (number | null)[][] }
          const charts = (window as unknown as { radvisorCharts: { kind: string; chart: Chart; runs: number[][]; canvas: HTMLCanvasElement; level: number; levels: number }[] }).radvisorCharts
          return charts.map(({ kind, chart, runs, canvas, level, levels }) => {
            const ctx = canvas.getContext('2d') as CanvasRenderingContext2D
            // every run: marked red at its middle (in the strip along the top: the dense line
            // covers the shading below), and the chart's line reaching its peak there
            let unshaded = 0
            let peaksDrawn = 0
            for (const [start, end] of runs) {
              const x = Math.round(chart.valToPos(((start as number) + (end as number)) / 2, 'x', true))
              const [r, g, b, a] = ctx.getImageData(x, Math.round(chart.bbox.top + devicePixelRatio), 1, 1).data
              if (!((a as number) > 0 && (r as number) > (g as number) + 100 && (r as number) > (b as number) + 100)) unshaded++
              const times = chart.data[0] as number[]
              let peak = Number.NEGATIVE_INFINITY
              for (let i = 0; i < times.length; i++) {
                if ((times[i] as number) >= (start as number) && (times[i] as number) <= (end as number) + 1) peak = Math.max(peak, (chart.data[1]?.[i] as number | null) ?? Number.NEGATIVE_INFINITY)
              }
              if (kind === 'cpu' ? peak >= 95 : kind === 'throttling' ? peak > 0 : true) peaksDrawn++
            }
            return { kind, runs: runs.length, unshaded, peaksDrawn, level, levels, points: chart.data[0]?.length ?? 0 }
          })
        })
        const cpu = overview.find((check) => check.kind === 'cpu')
        const throttling = overview.find((check) => check.kind === 'throttling')
        expect(cpu).toMatchObject({ runs: counts.cpu.count, unshaded: 0, peaksDrawn: counts.cpu.count, level: 0 })
        expect(throttling).toMatchObject({ runs: counts.throttling.count, unshaded: 0, peaksDrawn: counts.throttling.count })
        expect(cpu?.levels).toBeGreaterThan(1)
        expect(cpu?.points).toBeLessThan(log.rows)

        // zoom the CPU chart to 1% of the run around its 100th millibottleneck, through uPlot's API
        const zoom = await tab.evaluate(async () => {
          type Chart = { setScale(key: string, range: { min: number; max: number }): void; data: (number | null)[][]; scales: { x: { min: number; max: number } } }
          const entries = (window as unknown as { radvisorCharts: { kind: string; chart: Chart; runs: number[][]; level: number }[] }).radvisorCharts
          const entry = entries.find((candidate) => candidate.kind === 'cpu') as (typeof entries)[number]
          const times = (): number[] => entry.chart.data[0] as number[]
          const run = entry.runs[100] as number[]
          const span = ((times()[times().length - 1] as number) - (times()[0] as number)) / 100
          const range = { min: (run[0] as number) - span / 2, max: (run[0] as number) + span / 2 }
          const inRange = (): number => times().filter((time) => time >= range.min && time <= range.max).length
          const before = inRange()
          entry.chart.setScale('x', range)
          for (let i = 0; i < 100 && entry.level === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
          const memory = entries.find((candidate) => candidate.kind === 'memory') as (typeof entries)[number]
          return { before, after: inRange(), level: entry.level, scale: entry.chart.scales.x, range, memoryScale: memory.chart.scales.x }
        })
        expect(zoom.level).toBeGreaterThan(0)
        expect(zoom.after).toBeGreaterThan(zoom.before)
        expect(zoom.scale.min).toBeCloseTo(zoom.range.min, 6)
        expect(zoom.scale.max).toBeCloseTo(zoom.range.max, 6)
        expect(zoom.memoryScale.min).toBeCloseTo(zoom.range.min, 6) // the target's charts zoom together
        await tab.screenshot({ path: join(ARTIFACTS, 'report-browser-long.png'), fullPage: true })
        expect(errors).toEqual([])
      } finally {
        await browser.close()
      }
    },
    120_000,
  )
})
