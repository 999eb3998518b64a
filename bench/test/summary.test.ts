import { describe, expect, test } from 'bun:test'
import type { CliRun } from '../_runs.ts'
import { type PairResult, type ScaleResult, summarize, verdicts } from '../_summary.ts'
import { formatTable, formatVerdicts } from '../_table.ts'

const MiB = 1024 * 1024

function cliRun(ticks: number, cpuUs: number, extra: Partial<CliRun> = {}): CliRun {
  return { cpuUs, ticks, maxRss: 50 * MiB, missed: 0, lateness: { p50: 0.2, p99: 1, max: 3 }, ...extra }
}

/** A pair where the floor costs `floorUs` per target-tick and radvisor `factor` times that. */
function pair(targets: number, ticks: number, floorUs: number, factor: number, startupUs = 80_000): PairResult {
  const floor = { ticks, cpuUs: floorUs * ticks * targets }
  const radvisor = floorUs * factor * targets
  return {
    floorForCollector: floor,
    radvisorFloorForCollector: { ticks, cpuUs: floor.cpuUs * 1.1 },
    collector: { ticks, cpuUs: radvisor * ticks, userUs: 0, pageFaults: 0, collected: ticks * targets, files: [], maxRss: 40 * MiB },
    floorForCli: floor,
    cli: cliRun(ticks, startupUs + radvisor * ticks),
    cliBaseline: cliRun(ticks / 5, startupUs + (radvisor * ticks) / 5),
    floorWindow: { cpuNs: 1e9, wallNs: 10e9, share: 0.1 },
    radvisorFloorWindow: { cpuNs: 1.1e9, wallNs: 10e9, share: 0.11 },
    cliWindow: { cpuNs: 1.15e9, wallNs: 10e9, share: 0.115, ...cliRun(200, 1, { lateness: { p50: 0.1, p99: 0.9, max: 4 } }) },
  }
}

function scale(targets: number, factors: number[], floorUs = 20): ScaleResult {
  const ticks = 500
  return { targets, ticks, baselineTicks: 100, filesPerTarget: 16, radvisorFilesPerTarget: 18, pairs: factors.map((f) => pair(targets, ticks, floorUs, f)) }
}

describe('summarize', () => {
  test('per target-tick costs, ratios to the floor per pair, and the CLI net of its startup', () => {
    const summary = summarize(scale(100, [1.1, 1.3, 1.2]))
    expect(summary.floorUs.median).toBeCloseTo(20)
    expect(summary.collectorUs.median).toBeCloseTo(24)
    expect(summary.collectorRatio).toMatchObject({ median: expect.closeTo(1.2), min: expect.closeTo(1.1), max: expect.closeTo(1.3) })
    // Startup (80 ms) cancels out against the baseline run: only the per-tick cost is left.
    expect(summary.cliUs.median).toBeCloseTo(24)
    expect(summary.cliRatio.median).toBeCloseTo(1.2)
    expect(summary.cliBaselineMs).toBeCloseTo(80 + (24 * 100 * 100) / 1000)
    expect(summary.shareRatio.median).toBeCloseTo(1.15)
    // Against the floor over radvisor 1.4's files (10% dearer here).
    expect(summary.radvisorFloorUs.median).toBeCloseTo(22)
    expect(summary.collectorRadvisorRatio.median).toBeCloseTo(24 / 22)
    expect(summary.shareRadvisorRatio.median).toBeCloseTo(0.115 / 0.11)
    expect(summary.lateness).toEqual({ p50: 0.1, p99: 0.9, max: 4 })
    expect(summary.windowTicks).toBe(600)
    expect(summary.rssMiB).toEqual({ collector: 40, cliBackToBack: 50, cli50ms: 50 })
  })

  test('without the floor (no gcc) the ratios are NaN and the radvisor numbers remain', () => {
    const result = scale(10, [1.2])
    const noFloor = { ...result, pairs: result.pairs.map((p) => ({ ...p, floorForCollector: null, floorForCli: null, floorWindow: null })) }
    const summary = summarize(noFloor)
    expect(summary.collectorUs.median).toBeCloseTo(24)
    expect(summary.collectorRatio.median).toBeNaN()
    expect(summary.shareRatio.median).toBeNaN()
    expect(formatTable([summary])).toContain('–')
  })
})

describe('verdicts', () => {
  test('meets the targets when radvisor is close to the floor and scales like it', () => {
    const checks = verdicts([100, 500, 1000].map((n) => summarize(scale(n, [1.1, 1.1]))))
    expect(checks.map((check) => check.met)).toEqual([true, true, true, true, true, true, true, true])
  })

  test('flags a ratio over the target and a cost that grows faster than the floor', () => {
    const checks = verdicts([summarize(scale(100, [1.4])), summarize(scale(1000, [2]))])
    expect(checks[0]).toMatchObject({ met: false, measured: '1.4×' })
    expect(checks.find((check) => check.target.startsWith('collector µs'))).toMatchObject({ met: false, measured: '1.43×' })
    expect(checks.find((check) => check.target.startsWith('peak RSS'))).toMatchObject({ met: null, measured: 'not measured' })
    expect(formatVerdicts(checks)).toMatch(/^✗ collector alone/)
  })

  test('the memory verdict says when the runs did not use the default columns', () => {
    const summaries = [summarize(scale(500, [1.1]))]
    const memory = (columns?: 'extended' | 'radvisor') => verdicts(summaries, columns).find((check) => check.target.startsWith('peak RSS'))!.target
    expect(memory()).toBe('peak RSS, N=500 every 50 ms, default settings: ≤ 80 MiB')
    expect(memory('radvisor')).toBe('peak RSS, N=500 every 50 ms, default settings but --columns radvisor: ≤ 80 MiB')
  })
})

test('the table has a header and one aligned line per target count', () => {
  const lines = formatTable([summarize(scale(10, [1.2])), summarize(scale(1000, [1.3]))]).split('\n')
  expect(lines).toHaveLength(3)
  expect(lines[0]).toContain('collector ×floor')
  expect(lines[1]).toContain('1.20 [1.20–1.20]')
  expect(lines[2]).toContain('1.30 [1.30–1.30]')
  expect(new Set(lines.map((line) => line.length)).size).toBe(1)
})
