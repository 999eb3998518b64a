import { describe, expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import type { TargetAnalysis } from '../src/analyze.ts'
import { formatJson } from '../src/json.ts'
import type { Problem } from '../src/parse.ts'
import { analyzeLog, assembleReport, defaultReportOptions } from '../src/report.ts'
import { fixtureLines, REPORT_FIXTURES } from './_fixtures.ts'

const GOLDEN = `${REPORT_FIXTURES}/golden/report.json`
const SIGNALS_GOLDEN = `${REPORT_FIXTURES}/golden/signals.json`
const RADVISOR_1_4_LOGS = ['v1-cpu-saturation.log', 'v2-quota.log', 'malformed.log']
const SIGNAL_LOGS = ['v2-signals.log', 'v2-signals-radvisor-columns.log', 'v2-host-network.log']

async function fixtureReport(align: boolean, names = RADVISOR_1_4_LOGS) {
  const problems: Problem[] = []
  const targets: TargetAnalysis[] = []
  for (const name of names) {
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

  test('matches the golden output for the logs with the signals after radvisor 1.4 columns (UPDATE_GOLDEN=1 rewrites it)', async () => {
    const json = formatJson(await fixtureReport(false, SIGNAL_LOGS))
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(SIGNALS_GOLDEN, json)
    expect(json).toBe(readFileSync(SIGNALS_GOLDEN, 'utf8'))
  })

  test('gives each listed OOM kill its offset, and nulls (never zeros) for a network not attributed', async () => {
    const data = JSON.parse(formatJson(await fixtureReport(false, SIGNAL_LOGS)))
    expect(data.targets[0].oom.events).toEqual([{ time: 1_700_000_000_650, kills: 1, offset: 650 }])
    expect(data.targets[2].signals.network).toBe('host-network')
    expect(data.targets[2].network).toBeNull()
    expect(data.targets[2].rates.networkRxBytesPerSec).toBeNull()
  })

  test('gives offsets from the earliest start when aligned, and nulls for absent rates', async () => {
    const data = JSON.parse(formatJson(await fixtureReport(true)))
    expect(data.origin).toBe(1_700_000_000_000)
    expect(data.targets[0].millibottlenecks.longest[0]).toMatchObject({ resource: 'cpu', offset: 200, duration: 150 })
    expect(data.targets[1].rates.ioWait).toBeNull()
  })
})
