import { describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import type { TargetAnalysis } from '../src/analyze.ts'
import { formatJson } from '../src/json.ts'
import type { Problem } from '../src/parse.ts'
import { analyzeLog, assembleReport, defaultReportOptions } from '../src/report.ts'
import { fixtureLines, REPORT_FIXTURES } from './_fixtures.ts'

const GOLDEN = `${REPORT_FIXTURES}/golden/report.json`

async function fixtureReport(align: boolean) {
  const problems: Problem[] = []
  const targets: TargetAnalysis[] = []
  for (const name of ['v1-cpu-saturation.log', 'v2-quota.log', 'malformed.log']) {
    const analysis = await analyzeLog(fixtureLines(name), name, defaultReportOptions, (problem) => problems.push(problem))
    if (analysis) targets.push(analysis)
  }
  return assembleReport(targets, problems, problems.length, { ...defaultReportOptions, align })
}

describe('formatJson', () => {
  test('matches the golden output for the hand-made fixtures (UPDATE_GOLDEN=1 rewrites it)', async () => {
    const json = formatJson(await fixtureReport(false))
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, json)
    expect(json).toBe(readFileSync(GOLDEN, 'utf8'))
  })

  test('gives offsets from the earliest start when aligned, and nulls for absent rates', async () => {
    const data = JSON.parse(formatJson(await fixtureReport(true)))
    expect(data.origin).toBe(1_700_000_000_000)
    expect(data.targets[0].millibottlenecks.longest[0]).toMatchObject({ resource: 'cpu', offset: 200, duration: 150 })
    expect(data.targets[1].rates.ioWait).toBeNull()
  })
})
