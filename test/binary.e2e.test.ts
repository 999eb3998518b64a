/**
 * The standalone binary (`npm run build:binary`): built with `bun build --compile`, copied
 * alone into an empty folder and run with an empty environment, it prints its version,
 * collects the real root cgroup into a CSVY log and turns it into a text and an HTML report.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBinary, hostTarget, TARGETS } from '../scripts/build-binary.ts'
import { readLog } from './_support.ts'

const skip = !(hostTarget() in TARGETS)
  ? `no compile target for ${hostTarget()}`
  : process.platform !== 'linux'
    ? 'radvisor collects cgroups on Linux only'
    : null
if (skip) console.warn(`[binary.e2e] skipping: ${skip}`)

describe.skipIf(skip !== null)('the standalone binary', () => {
  const folder = mkdtempSync(join(tmpdir(), 'radvisor-binary-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }), 30_000)
  const binary = join(folder, 'radvisor')

  /** Runs the copied binary in its folder with nothing in the environment. */
  function run(...args: string[]) {
    const result = Bun.spawnSync([binary, ...args], { cwd: folder, env: {} })
    return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
  }

  test('builds, and runs alone in an empty folder', () => {
    copyFileSync(buildBinary(), binary)
    expect(readdirSync(folder)).toEqual(['radvisor'])
    const { code, stdout } = run('--version')
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(import.meta.dir, '../packages/cli/package.json'), 'utf8')).version)
  }, 60_000)

  test('collects the root cgroup and reports on it, as text and as HTML with uPlot inlined', () => {
    const collected = run('run', 'cgroup', '--match', '/', '--duration', '1s', '-d', 'stats', '--color', 'never')
    expect(collected.stderr).not.toContain('error')
    expect(collected.code).toBe(0)
    const logs = readdirSync(join(folder, 'stats'))
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(/^root_\d+\.log$/)
    expect(readLog(join(folder, 'stats', logs[0]!)).rows.length).toBeGreaterThan(5)

    const text = run('report', 'stats')
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('samples')
    const html = run('report', 'stats', '--html', 'report.html')
    expect(html.code).toBe(0)
    const page = readFileSync(join(folder, 'report.html'), 'utf8')
    expect(page).toContain('uPlot')
    expect(page).not.toMatch(/<script[^>]+src=/)
  }, 30_000)
})
