import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dir, '..')
const FIXTURES = join(ROOT, 'fixtures/report')

function radvisor(...args: string[]): { exitCode: number; stdout: string; stderr: string } {
  const result = Bun.spawnSync([process.execPath, join(ROOT, 'packages/cli/src/bin.ts'), ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } })
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}

describe('radvisor report', () => {
  test('prints the summary of a directory of logs and lists the malformed lines on stderr', () => {
    const { exitCode, stdout, stderr } = radvisor('report', FIXTURES)
    expect(exitCode).toBe(0)
    expect(stdout).toContain('web-1 (docker 3f2a1b4c5d6e cgroup_v1)')
    expect(stdout).toMatch(/\+0\.200 s +150 ms +cpu +99%/)
    expect(stdout).toContain('shop/api-7d9f (kubernetes')
    expect(stderr).toContain('malformed.log:42: wrong column count')
    expect(stderr).toContain('malformed.log:45: truncated last row')
    expect(stderr).toContain("no-header.log:1: missing header")
  })

  test('--format json with --cpu-threshold and --align, on files and the real radvisor 1.1.7 log', () => {
    const { exitCode, stdout } = radvisor(
      'report',
      join(FIXTURES, 'v1-cpu-saturation.log'),
      join(import.meta.dir, '../fixtures/radvisor/radvisor-1.1.7-docker.log'),
      '--format',
      'json',
      '--cpu-threshold',
      '98',
      '--align',
    )
    expect(exitCode).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.options).toEqual({ cpuThreshold: 98, memoryThreshold: 95, pressureThreshold: 50, align: true })
    expect(report.origin).toBe(1_586_651_816_493.417)
    expect(report.targets.map((target: { name: string }) => target.name)).toEqual(['web-1', 'cocky_hugle'])
    // at 98% the run begins at the 99% interval of the 150 ms run and goes on through the 96% one (within CPU_HYSTERESIS)
    expect(report.targets[0].millibottlenecks.byResource.cpu).toEqual({ count: 1, totalDuration: 100 })
  })

  test('--html writes a self-contained page', () => {
    const directory = mkdtempSync(join(tmpdir(), 'radvisor-report-'))
    try {
      const path = join(directory, 'report.html')
      const { exitCode, stderr } = radvisor('report', FIXTURES, '--html', path)
      expect(exitCode).toBe(0)
      expect(stderr).toContain(`Wrote ${path} (6 target(s))`)
      const page = readFileSync(path, 'utf8')
      expect(page).toContain('window.RADVISOR_TARGETS.push(')
      expect(page).toContain('shop/api-7d9f')
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })

  test('--pressure-threshold sets the stalled share above which an interval is a pressure millibottleneck', () => {
    const log = join(FIXTURES, 'v2-signals.log')
    const run = (...args: string[]) => JSON.parse(radvisor('report', log, '--format', 'json', ...args).stdout).targets[0].millibottlenecks.byResource
    // some task stalled on CPU 80%, 70%, 90% and 60% of four 50 ms intervals
    expect(run()['cpu-pressure']).toEqual({ count: 1, totalDuration: 200 })
    expect(run('--pressure-threshold', '85')['cpu-pressure']).toEqual({ count: 1, totalDuration: 50 })
    expect(run('--pressure-threshold=30')['memory-pressure']).toEqual({ count: 1, totalDuration: 50 })
    const { stdout } = radvisor('report', log)
    expect(stdout).toMatch(/\+0\.350 s +200 ms +cpu-pressure +90% stalled/)
    expect(stdout).toContain('OOM kills: 1 in 1 interval, at +0.650 s (1)')
  })

  test('bad input exits 2 with one clear line', () => {
    for (const [args, message] of [
      [['report', '/nonexistent/stats'], "[radvisor] [report] cannot read '/nonexistent/stats'"],
      [['report', join(FIXTURES, 'no-header.log')], '[radvisor] [report] none of the 1 file(s) given is a readable CSVY log'],
      [['report', FIXTURES, '--cpu-threshold', '-5'], '[radvisor] [report] --cpu-threshold must be a positive percentage'],
      [['report', FIXTURES, '--cpu-threshold', '0x10'], "[radvisor] [report] --cpu-threshold must be a positive percentage such as 95, got '0x10'"],
      [['report', FIXTURES, '--pressure-threshold', '100'], "[radvisor] [report] --pressure-threshold must be a percentage from 0 to below 100 such as 50, got '100'"],
      [['report', FIXTURES, '--pressure-threshold', '5e1'], "--pressure-threshold must be a percentage from 0 to below 100 such as 50, got '5e1'"],
      [['report', FIXTURES, '--pressure-threshold', ' 50'], "--pressure-threshold must be a percentage from 0 to below 100 such as 50, got ' 50'"],
      [['report', FIXTURES, '--pressure-threshold', ''], "--pressure-threshold must be a percentage from 0 to below 100 such as 50, got ''"],
      [['report', FIXTURES, '--html', '/nonexistent/dir/r.html'], '[radvisor] [report] cannot write --html /nonexistent/dir/r.html'],
      [['report', FIXTURES, '--colour'], "unknown option '--colour' for radvisor report"],
    ] as const) {
      const { exitCode, stderr } = radvisor(...args)
      expect(exitCode).toBe(2)
      const lines = stderr.trim().split('\n').filter((line) => !line.includes('Warning'))
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(message)
    }
  })
})
