import { describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs'
import { join } from 'node:path'
import { reportFiles, writeHtml } from '@radvisor/report'

const ROOT = join(import.meta.dir, '..')
const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(ROOT, '.artifacts')
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium) console.warn(`report browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`)

interface ChartCheck {
  target: number
  kind: string
  painted: number
  shadedInside: number
  shadedOutside: number
}

describe('HTML report in headless Chromium', () => {
  test.skipIf(!hasChromium)(
    'draws four charts per target and shades the millibottlenecks where they are',
    async () => {
      const { chromium } = await import('playwright-core')
      mkdirSync(ARTIFACTS, { recursive: true })
      const report = await reportFiles(nodeFs, [join(ROOT, 'fixtures/report/v1-cpu-saturation.log'), join(ROOT, 'fixtures/report/v2-quota.log')])
      const chunks: string[] = []
      writeHtml(report, (chunk) => chunks.push(chunk))
      const page = join(ARTIFACTS, 'report-browser.html')
      writeFileSync(page, chunks.join(''))

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
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
        const checks: ChartCheck[] = await tab.evaluate(() => {
          type Chart = { valToPos(value: number, scale: string, canvasPixels: boolean): number; bbox: { top: number; height: number } }
          const charts = (window as unknown as { radvisorCharts: { target: number; kind: string; chart: Chart; runs: number[][]; canvas: HTMLCanvasElement }[] }).radvisorCharts
          const reddish = (ctx: CanvasRenderingContext2D, x: number, chart: Chart): number => {
            let count = 0
            for (let i = 1; i <= 10; i++) {
              const [r, g, b, a] = ctx.getImageData(Math.round(x), Math.round(chart.bbox.top + (chart.bbox.height * i) / 11), 1, 1).data
              if ((a as number) > 0 && (r as number) > (g as number) + 50 && (r as number) > (b as number) + 50) count++
            }
            return count
          }
          return charts.map(({ target, kind, chart, runs, canvas }) => {
            const ctx = canvas.getContext('2d') as CanvasRenderingContext2D
            const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data
            let painted = 0
            for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] as number) > 0) painted++
            const run = runs[0]
            const inside = run ? reddish(ctx, chart.valToPos(((run[0] as number) + (run[1] as number)) / 2, 'x', true), chart) : -1
            // 0.65 s: no millibottleneck of any resource in either fixture
            const outside = reddish(ctx, chart.valToPos(0.65, 'x', true), chart)
            return { target, kind, painted, shadedInside: inside, shadedOutside: outside }
          })
        })
        await tab.screenshot({ path: join(ARTIFACTS, 'report-browser.png'), fullPage: true })

        expect(errors).toEqual([])
        expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([])
        expect(checks.map(({ target, kind }) => `${target}:${kind}`)).toEqual(
          [0, 1].flatMap((target) => ['cpu', 'memory', 'io', 'throttling'].map((kind) => `${target}:${kind}`)),
        )
        for (const check of checks) expect(check.painted).toBeGreaterThan(1000)
        const shaded = (target: number, kind: string): ChartCheck | undefined => checks.find((check) => check.target === target && check.kind === kind)
        // web-1: the 150 ms CPU run at 0.2-0.35 s and the memory interval at 0.82-0.87 s
        expect(shaded(0, 'cpu')?.shadedInside).toBeGreaterThanOrEqual(6)
        expect(shaded(0, 'memory')?.shadedInside).toBeGreaterThanOrEqual(6)
        expect(shaded(0, 'throttling')?.shadedInside).toBe(-1)
        // api: CPU and throttling at 0.2-0.4 s
        expect(shaded(1, 'cpu')?.shadedInside).toBeGreaterThanOrEqual(6)
        expect(shaded(1, 'throttling')?.shadedInside).toBeGreaterThanOrEqual(6)
        for (const check of checks) expect(check.shadedOutside).toBe(0)
      } finally {
        await browser.close()
      }
    },
    60_000,
  )
})
