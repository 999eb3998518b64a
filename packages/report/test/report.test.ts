import { describe, expect, test } from 'bun:test'
import * as nodeFs from 'node:fs'
import type { FileSystem } from '@radvisor/core'
import { Volume } from 'memfs'
import { defaultReportOptions, findLogs, MAX_PROBLEMS_PER_FILE, reportFiles } from '../src/report.ts'
import { REPORT_FIXTURES, SHARED_1_1_7_LOG } from './_fixtures.ts'
import { radvisorErrorOf } from '@radvisor/testing'

const fixture = (name: string): string => nodeFs.readFileSync(`${REPORT_FIXTURES}/${name}`, 'utf8')

function memoryFs(files: Record<string, string>): FileSystem {
  return Volume.fromJSON(files) as unknown as FileSystem
}

describe('findLogs', () => {
  const fs = memoryFs({ '/stats/b.log': '', '/stats/a.log': '', '/stats/notes.txt': '', '/one.csvy': '', '/empty/x.txt': '' })

  test("lists a directory's *.log files by name and keeps files as given", () => {
    expect(findLogs(fs, ['/stats/', '/one.csvy'])).toEqual(['/stats/a.log', '/stats/b.log', '/one.csvy'])
  })

  test('rejects a missing path, a directory without logs and no input with a usage error (exit 2)', () => {
    for (const inputs of [['/missing'], ['/empty'], []]) {
      const error = radvisorErrorOf(() => findLogs(fs, inputs))
      expect(error.code).toBe('E_OPTION')
      expect(error.exitCode).toBe(2)
    }
    expect(radvisorErrorOf(() => findLogs(fs, ['/missing'])).message).toContain("cannot read '/missing'")
    expect(radvisorErrorOf(() => findLogs(fs, ['/empty'])).message).toContain("no CSVY logs (*.log) in '/empty'")
  })
})

describe('reportFiles', () => {
  test('reports each log of a directory, problems with file and line, and skips a file without a header', async () => {
    const fs = memoryFs({
      '/stats/a.log': fixture('v1-cpu-saturation.log'),
      '/stats/b.log': fixture('malformed.log'),
      '/stats/c.log': fixture('no-header.log'),
    })
    const report = await reportFiles(fs, ['/stats'])
    expect(report.targets.map((target) => target.summary.name)).toEqual(['web-1', 'system.slice/batch.service'])
    expect(report.problems.map((problem) => `${problem.source}:${problem.line}`)).toEqual(['/stats/b.log:42', '/stats/b.log:43', '/stats/b.log:45', '/stats/c.log:1'])
    expect(report.problemCount).toBe(4)
    expect(report.origin).toBeNull()
  })

  test('aligns targets on the earliest first sample', async () => {
    const later = fixture('v2-quota.log').replaceAll('1700000000', '1700000001') // one second later
    const fs = memoryFs({ '/stats/a.log': fixture('v1-cpu-saturation.log'), '/stats/b.log': later })
    const report = await reportFiles(fs, ['/stats'], { ...defaultReportOptions, align: true })
    expect(report.origin).toBe(1_700_000_000_000)
    expect(report.targets[1]?.summary.start).toBe(1_700_000_001_000)
  })

  test(`keeps at most ${MAX_PROBLEMS_PER_FILE} problems per file but counts them all`, async () => {
    const broken = `${fixture('v1-cpu-saturation.log')}${'1,2,3\n'.repeat(50)}`
    const report = await reportFiles(memoryFs({ '/x.log': broken }), ['/x.log'])
    expect(report.problems).toHaveLength(MAX_PROBLEMS_PER_FILE)
    expect(report.problemCount).toBe(50)
  })

  test('fails with a usage error when no file is a CSVY log', async () => {
    const fs = memoryFs({ '/stats/c.log': fixture('no-header.log') })
    await expect(reportFiles(fs, ['/stats'])).rejects.toThrow("none of the 1 file(s) given is a readable CSVY log (/stats/c.log:1: missing header")
  })

  test('accepts the real radvisor 1.1.7 log from the shared fixtures', async () => {
    const report = await reportFiles(nodeFs, [SHARED_1_1_7_LOG])
    expect(report.problems).toEqual([])
    const summary = report.targets[0]?.summary
    expect(summary).toMatchObject({
      name: 'cocky_hugle',
      id: 'd69fefaa9ee2',
      version: '1.1.7',
      collectorType: 'cgroup_v1',
      cgroup: 'system.slice/docker-d69fefaa9ee25c23f5c9ed5b4431b221d147575982352cedff0925a275e1827e.scope',
      cpuLimit: { cores: 4, from: 'host' },
      memoryLimit: null,
      samples: 159,
      gaps: 0,
    })
    // cpu.usage.total went from 797880216 to 801297976 ns
    expect(summary?.totals.cpuSeconds).toBeCloseTo((801297976 - 797880216) / 1e9, 12)
    expect(summary?.totals.ioReadBytes).toBe(0)
    expect(summary?.sampling?.nominalInterval).toBeCloseTo(50, 0)
    expect(summary?.sampling?.lateIntervals).toBe(0)
  })
})
