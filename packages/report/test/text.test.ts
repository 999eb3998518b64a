import { describe, expect, test } from 'bun:test'
import { analyzeLog, assembleReport, defaultReportOptions } from '../src/report.ts'
import { formatText } from '../src/text.ts'
import { fixtureLines } from './_fixtures.ts'

async function text(align: boolean): Promise<string> {
  const v1 = await analyzeLog(fixtureLines('v1-cpu-saturation.log'), 'v1-cpu-saturation.log')
  const v2 = await analyzeLog(fixtureLines('v2-quota.log'), 'v2-quota.log')
  return formatText(assembleReport([v1!, v2!], [], 0, { ...defaultReportOptions, align }))
}

describe('formatText', () => {
  test('prints per target the sampling, limits, a rate table and the longest millibottlenecks', async () => {
    const output = await text(false)
    expect(output).toContain('web-1 (docker 3f2a1b4c5d6e cgroup_v1)  v1-cpu-saturation.log')
    expect(output).toContain('970 ms, 19 samples, 3 gaps (missing or reset counters)')
    expect(output).toContain('sampling: every 50 ms (p99 120 ms, max 120 ms); 1 late interval (> 1.2x) = 12% of the run')
    expect(output).toContain('limits: CPU 2.00 cores (host CPUs), memory 100.0 MiB')
    expect(output).toMatch(/CPU \(% of limit\) +5\.0% +99% +99%/)
    expect(output).toContain('millibottlenecks: 2, 200 ms in all (cpu 1 / 150 ms, memory 1 / 50 ms)')
    expect(output).toMatch(/\+0\.200 s +150 ms +cpu +99%/)
    expect(output).toContain('limits: CPU 0.50 cores (quota), memory 64.0 MiB')
    expect(output).toMatch(/\+0\.200 s +200 ms +throttling +100% of periods/)
    expect(output).not.toContain('I/O wait') // neither log has blkio.wait values
  })

  test('says when percentiles come from the sketch, and by how much they may be off', async () => {
    const v1 = await analyzeLog(fixtureLines('v1-cpu-saturation.log'), 'v1-cpu-saturation.log')
    expect(await text(false)).not.toContain('sketch')
    const long = { ...v1!, summary: { ...v1!.summary, percentileError: 0.005 } }
    expect(formatText(assembleReport([long], [], 0))).toContain('p50, p90 and p99 within 0.5% (more than 65536 intervals: read from a sketch; min, max and totals exact)')
  })

  test('states the common origin when aligned', async () => {
    expect(await text(true)).toStartWith('Aligned on one time axis from 2023-11-14T22:13:20.000Z')
  })
})
