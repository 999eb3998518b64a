/**
 * Data integrity through the real `radvisor` bin: a crash loses at most a few seconds, a full
 * disk (a real tmpfs that runs out of space) loses counted rows, never tears one, and ends
 * the run with exit code 3; hostile target ids never leave `-d`.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { exited, radvisor } from './_support.ts'

const STATIC = './test/fixtures/providers/static.ts'
const HOSTILE = './test/fixtures/providers/hostile.ts'
const tmp = mkdtempSync(join(tmpdir(), 'radvisor-integrity-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

/** The rows of the one log in `directory` and whether its last line is whole. */
function logRows(directory: string) {
  const [name, ...more] = readdirSync(directory)
  expect(more).toEqual([])
  const text = readFileSync(join(directory, name!), 'utf8')
  const body = text.slice(text.lastIndexOf('---\n') + 4)
  const [, ...rows] = body.split('\n').filter(Boolean)
  return { rows: rows.map((row) => row.split(',')), endsWhole: text.endsWith('\n') }
}

test('kill -9 with the default settings loses at most the last few seconds of rows', async () => {
  const stats = join(tmp, 'crash')
  const run = radvisor(['run', STATIC, '-d', stats])
  await run.waitFor('Beginning collection every', 15_000)
  await Bun.sleep(5_500)
  const killedAt = Date.now()
  run.child.kill('SIGKILL')
  await exited(run.child)
  const { rows, endsWhole } = logRows(stats)
  expect(endsWhole).toBe(true)
  const lastMs = Number(BigInt(rows.at(-1)![0]!) / 1_000_000n)
  // --flush-every defaults to 2 s: the newest row on disk is at most that old (plus scheduling slack).
  expect(killedAt - lastMs).toBeLessThan(2_000 + 1_000)
  expect(rows.length).toBeGreaterThan(50)
}, 20_000)

test('a target whose id would leave -d or carries control characters is skipped with one escaped warning', async () => {
  const stats = join(tmp, 'hostile', 'stats')
  const run = radvisor(['run', HOSTILE, '-d', stats, '--duration', '1s', '-p', '200ms'])
  const code = await exited(run.child)
  expect(code).toBe(0)
  expect(readdirSync(stats).map((name) => name.replace(/_\d+\.log$/, ''))).toEqual(['ok-1'])
  expect(readdirSync(join(tmp, 'hostile'))).toEqual(['stats'])
  expect(existsSync(join(tmp, 'escaped'))).toBe(false)
  const warnings = run.stderr().split('\n').filter((line) => line.includes('not a safe file name'))
  expect(warnings).toHaveLength(1)
  expect(warnings[0]).toContain('skipped 5 targets of provider hostile')
  expect(warnings[0]!.length).toBeLessThan(600)
  // biome-ignore lint: the point is that no raw control character reaches the terminal
  expect(run.stderr()).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/)
})

const isRoot = process.getuid?.() === 0
const canMount = isRoot && spawnSync('mount', ['--version']).status === 0
if (!canMount) console.warn('integrity.e2e: the full-disk test needs root to mount a tmpfs; skipping it')

describe.skipIf(!canMount)('a disk that fills up during the run (a real tmpfs)', () => {
  test('rows are kept and retried, what could not be written is counted, no log ends mid-row, and the exit code is 3', async () => {
    const mount = join(tmp, 'small-disk')
    mkdirSync(mount)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'radvisor-test', mount])
    try {
      // Leave about 12 KiB free: the header and a few hundred rows fit, then ENOSPC.
      writeFileSync(join(mount, 'filler'), Buffer.alloc(256 * 1024 - 12 * 1024))
      const stats = join(mount, 'stats')
      const run = radvisor(['run', STATIC, '-d', stats, '-i', '2ms', '--flush-every', '100ms', '-b', '64KiB', '--duration', '1500ms'])
      const code = await exited(run.child)
      const stderr = run.stderr()
      expect(code).toBe(3)
      expect(stderr.split('\n').filter((line) => line.includes('cannot write'))).toHaveLength(1)
      expect(stderr).toMatch(/sink csvy lost [\d,]+ rows of static\/one: ENOSPC/)
      expect(stderr).toMatch(/\[radvisor\] \[cli\] [\d,]+ collected rows? could not be delivered \(exit code 3\)/)
      const { rows, endsWhole } = logRows(stats)
      expect(endsWhole).toBe(true)
      expect(rows.length).toBeGreaterThan(10)
      for (const row of rows) expect(row).toHaveLength(5)
      const lost = Number(/lost ([\d,]+) rows/.exec(stderr)![1]!.replaceAll(',', ''))
      const finished = Number(/Finished +(\d+) rows/.exec(stderr)![1]!)
      expect(rows.length + lost).toBe(finished)
    } finally {
      execFileSync('umount', [mount])
    }
  }, 15_000)
})
