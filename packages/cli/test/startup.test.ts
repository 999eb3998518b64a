// Everything is checked before anything is created: bad paths and broken sinks end the
// run at startup with one line and leave nothing on disk.
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { counter, fixtures, radvisor } from './_cli.ts'

const work = mkdtempSync(join(tmpdir(), 'radvisor-startup-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
/** A folder even root may not write: the kernel refuses new entries in /proc/sys/kernel. */
const unwritable = '/proc/sys/kernel'
const fileSink = join(fixtures, 'file-sink.ts')
const brokenSink = join(fixtures, 'broken-sink.ts')

describe('bad paths', () => {
  // Each case runs in an empty folder `root` that holds one plain file, `root/file`.
  const cases: [string, (root: string) => string[], RegExp][] = [
    ['-f in a missing folder', (root) => ['-d', join(root, 'logs'), '-f', '/proc/nope/flush.csv'], /invalid value '\/proc\/nope\/flush.csv' for -f\/--flush-log: folder '\/proc\/nope' does not exist/],
    ['-f that is a directory', (root) => ['-d', join(root, 'logs'), '-f', root], /for -f\/--flush-log: it is a directory/],
    ['-f in a folder that is not writable', (root) => ['-d', join(root, 'logs'), '-f', `${unwritable}/flush.csv`], /for -f\/--flush-log: folder '\/proc\/sys\/kernel' is not writable/],
    ['-d that is a file', (root) => ['-d', join(root, 'file')], /for -d\/--directory: it is not a directory/],
    ['-d under a file', (root) => ['-d', join(root, 'file', 'logs')], /for -d\/--directory: '.*\/file' is not a directory/],
    ['-d under a folder that is not writable', () => ['-d', `${unwritable}/radvisor-logs`], /for -d\/--directory: '\/proc\/sys\/kernel' is not writable/],
    ['--jsonl-path in a missing folder', (root) => ['-d', join(root, 'logs'), '--sink', 'csvy', '--sink', 'jsonl', '--jsonl-path', join(root, 'missing', 'out.jsonl')], /for --jsonl-path: folder '.*\/missing' does not exist/],
    ['--jsonl-path that is a directory', (root) => ['--sink', 'jsonl', '--jsonl-path', root], /invalid value '.*' for --jsonl-path: it is a directory/],
    ['a file option of a custom sink', (root) => ['-d', join(root, 'logs'), '--sink', 'csvy', '--sink', fileSink, '--sink-option', 'file.path=/proc/nope/rows.txt'], /for --sink-option file.path: folder '\/proc\/nope' does not exist/],
  ]
  test.each(cases)('%s: exit 2, one line naming the option, nothing created', (_name, args, message) => {
    const root = mkdtempSync(join(work, 'case-'))
    writeFileSync(join(root, 'file'), '')
    const { code, stderr } = radvisor(['run', counter, ...args(root)])
    expect(stderr).toMatch(message)
    expect(stderr).toMatch(/^\[radvisor\] \[cli\] invalid value '.*' for [^:]+: [^\n]*\n$/)
    expect(code).toBe(2)
    expect(readdirSync(root)).toEqual(['file'])
    expect(existsSync(`${unwritable}/radvisor-logs`)).toBe(false)
  })
})

describe('broken sinks', () => {
  const broken = (returns: string) => ['--sink', brokenSink, '--sink-option', `broken.returns=${returns}`]

  test.each([
    ['no name, flush() or close()', 'partial', 'a sink without name, flush(), close() (a sink has a name, open(), flush() and close())'],
    ['nothing', 'nothing', 'undefined, not a sink object'],
  ])('a create() that returns %s is refused at startup naming the module, exit 2', (_name, returns, missing) => {
    const { code, stderr } = radvisor(['run', counter, '-q', ...broken(returns)])
    expect(stderr).toBe(`[radvisor] [cli] sink '${brokenSink}' is not valid: its create() returned ${missing}\n`)
    expect(code).toBe(2)
  })

  test('a create() that throws is reported naming the sink, in one line, exit 1; sinks created before are closed', () => {
    const out = join(work, 'before-broken.txt')
    const { code, stderr } = radvisor(['run', counter, '-q', '--sink', fileSink, '--sink-option', `file.path=${out}`, ...broken('throw')])
    expect(stderr).toBe(`[radvisor] [cli] sink '${brokenSink}' failed to start: its create() threw: cannot reach the collector at 192.0.2.1\n`)
    expect(code).toBe(1)
    expect(readFileSync(out, 'utf8')).toBe('\nnot flushed\n')
  })
})
