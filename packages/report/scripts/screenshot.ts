/**
 * Regenerates docs/report.png, the README's picture of `radvisor report --html`: two
 * synthetic containers on one time axis, with CPU, memory, throttling and CPU-pressure
 * millibottlenecks and an OOM kill, rendered by headless Chromium.
 * Run: bun packages/report/scripts/screenshot.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { analyzeLog, assembleReport, defaultReportOptions, type TargetAnalysis, writeHtml } from '../src/index.ts'
import { type SyntheticLog, syntheticLines } from './_synthetic.ts'

const ROOT = join(import.meta.dir, '../../..')
const START = 1_700_000_000_000_000_000n

const logs: SyntheticLog[] = [
  {
    name: 'web',
    schema: 'cgroup_v2',
    rows: 400,
    hostCpus: 2,
    seed: 7,
    startNs: START,
    lateEvery: 97,
    signals: true,
    oomEvery: 330,
    bursts: [
      { resource: 'cpu', at: 120, rows: 4 },
      { resource: 'cpu', at: 260, rows: 7 },
      { resource: 'throttling', at: 260, rows: 6 },
      { resource: 'cpu-pressure', at: 258, rows: 10 },
    ],
  },
  {
    name: 'db',
    schema: 'cgroup_v1',
    rows: 380,
    hostCpus: 2,
    seed: 11,
    startNs: START + 1_000_000_000n,
    signals: true,
    bursts: [{ resource: 'memory', at: 240, rows: 5 }],
  },
]

const targets: TargetAnalysis[] = []
for (const log of logs) {
  const analysis = await analyzeLog(syntheticLines(log), `stats/${log.name}_1700000000.log`)
  if (analysis) targets.push(analysis)
}
const report = assembleReport(targets, [], 0, { ...defaultReportOptions, align: true })
const chunks: string[] = []
writeHtml(report, (chunk) => chunks.push(chunk))
mkdirSync(join(ROOT, '.artifacts'), { recursive: true })
const page = join(ROOT, '.artifacts/screenshot.html')
writeFileSync(page, chunks.join(''))

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
})
try {
  const tab = await browser.newPage({ viewport: { width: 1240, height: 1300 } })
  await tab.goto(`file://${page}`)
  await tab.waitForFunction(() => (window as unknown as { radvisorReady?: boolean }).radvisorReady === true)
  mkdirSync(join(ROOT, 'docs'), { recursive: true })
  await tab.screenshot({ path: join(ROOT, 'docs/report.png'), clip: { x: 0, y: 0, width: 1240, height: 1300 } })
  console.log(`wrote ${join(ROOT, 'docs/report.png')}`)
} finally {
  await browser.close()
}
