import { describe, expect, test } from 'bun:test'
import { type ChartAssets, uplotAssets, writeHtml } from '../src/html.ts'
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

  test('streams a large target in bounded pieces', async () => {
    const rows = 40_000
    const analysis = await analyzeLog(syntheticLines({ name: 'big', schema: 'cgroup_v2', rows }), 'big.log')
    let longest = 0
    let points = 0
    writeHtml(assembleReport([analysis!], [], 0), (chunk) => {
      longest = Math.max(longest, chunk.length)
      points += chunk.split(',').length
    }, stubAssets)
    expect(points).toBeGreaterThan(6 * (rows - 1))
    expect(longest).toBeLessThan(200_000)
  })
})
