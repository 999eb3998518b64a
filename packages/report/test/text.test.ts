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

describe('formatText with the signals after radvisor 1.4 columns', () => {
  const report = async (name: string, source = name) => formatText(assembleReport([(await analyzeLog(fixtureLines(name), source))!], [], 0))

  test('lists the pressure millibottleneck, stalled shares, the OOM kill, memory events, network totals and the working set', async () => {
    const output = await report('v2-signals.log')
    expect(output).toMatch(/\+0\.350 s +200 ms +cpu-pressure +90% stalled/)
    expect(output).toContain('millibottlenecks: 4, 350 ms in all (cpu 1 / 50 ms, throttling 1 / 50 ms, memory 1 / 50 ms, cpu-pressure 1 / 200 ms)')
    expect(output).toMatch(/CPU stalled \(some\) +2\.0% +90% +90%/)
    expect(output).toContain('OOM kills: 1 in 1 interval, at +0.650 s (1)')
    expect(output).toContain('memory events: high 2, max 5, oom 1, low 0')
    expect(output).toContain('network: received 1000.0 KiB (800 packets, 0 errors, 2 dropped), sent 200.0 KiB (400 packets, 0 errors, 0 dropped)')
    expect(output).toMatch(/network received +1000\.0 KiB\/s/)
    expect(output).toMatch(/working set +50\.0 MiB +61\.0 MiB +61\.0 MiB/)
    expect(output).toContain('peak memory 63.0 MiB, peak working set 61.0 MiB')
  })

  test('a log with radvisor 1.4 columns only gets no lines about them', async () => {
    const output = await report('v2-signals-radvisor-columns.log', 'checkout.log')
    for (const absent of ['stalled', 'pressure', 'OOM', 'network', 'memory events']) expect(output).not.toContain(absent)
    // every other line reads as for the extended log (table columns aside), less its pressure millibottleneck
    const words = (text: string) => text.split('\n').map((line) => line.trim().replace(/ +/g, ' '))
    const extended = words(await report('v2-signals.log', 'checkout.log'))
    const lines = words(output).filter((line) => !line.startsWith('millibottlenecks:'))
    expect(lines.filter((line) => !extended.includes(line))).toEqual([])
  })

  test('says why the network has no data in a host-network log, and lists no OOM kill', async () => {
    const output = await report('v2-host-network.log')
    expect(output).toContain('network: no data, host network namespace: traffic not attributed to the target')
    expect(output).toContain('OOM kills: none')
    expect(output).not.toMatch(/network received/)
  })
})
