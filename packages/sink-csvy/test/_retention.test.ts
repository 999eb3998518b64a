import { describe, expect, test } from 'bun:test'
import { type FileSystem, ManualClock, memoryLogger, RadvisorError, resolveOptions } from '@radvisor/core'
import { testPluginContext } from '@radvisor/testing'
import { createFsFromVolume, Volume } from 'memfs'
import { applyRetention, LOG_NAME, retainLogs, SETTLED_MS } from '../src/_retention.ts'
import { csvySink } from '../src/index.ts'
import { fakeFs } from './_context.ts'
import { readCsvy } from './_read-csvy.ts'
import { header, sampler, target } from './_rows.ts'

const DAY = 86_400_000
const NOW = Date.UTC(2026, 0, 31)

/** A memfs with files written `ageMs` before NOW, each `bytes` long: `{ name: [ageMs, bytes] }`. */
function directory(files: Record<string, [ageMs: number, bytes: number]>, folder = '/stats') {
  const volume = new Volume()
  const fs = createFsFromVolume(volume)
  fs.mkdirSync(folder, { recursive: true })
  for (const [name, [ageMs, bytes]] of Object.entries(files)) {
    const path = `${folder}/${name}`
    fs.writeFileSync(path, 'x'.repeat(bytes))
    const seconds = (NOW - ageMs) / 1000
    fs.utimesSync(path, seconds, seconds)
  }
  return { fs: fs as unknown as FileSystem, memfs: fs, list: () => (fs.readdirSync(folder) as string[]).sort() }
}

const none = new Set<string>()
const at = { nowMs: NOW, open: none }

describe('applyRetention', () => {
  test('by age: deletes the logs last written longer ago than maxAge, oldest first', () => {
    const d = directory({ 'a_1.log': [9 * DAY, 10], 'b_2.log': [8 * DAY, 10], 'c_3.log': [6 * DAY, 10], 'd_4.log': [DAY, 10] })
    const result = applyRetention(d.fs, '/stats', { maxAgeMs: 7 * DAY, maxBytes: null }, at)
    expect(result).toEqual({ deleted: ['a_1.log', 'b_2.log'], deletedBytes: 20, keptBytes: 20, overBudget: false, failed: [] })
    expect(d.list()).toEqual(['c_3.log', 'd_4.log'])
  })

  test('by size: deletes the oldest logs until the total fits, and keeps a total exactly at the limit', () => {
    const d = directory({ 'a_1.log': [4 * DAY, 300], 'b_2.log': [3 * DAY, 300], 'c_3.log': [2 * DAY, 300], 'd_4.log': [DAY, 300] })
    const result = applyRetention(d.fs, '/stats', { maxAgeMs: null, maxBytes: 600 }, at)
    expect(result.deleted).toEqual(['a_1.log', 'b_2.log'])
    expect(result.keptBytes).toBe(600)
    expect(d.list()).toEqual(['c_3.log', 'd_4.log'])
    expect(applyRetention(d.fs, '/stats', { maxAgeMs: null, maxBytes: 600 }, at).deleted).toEqual([])
  })

  test('by age, then by size over what is left', () => {
    const d = directory({ 'old_1.log': [30 * DAY, 50], 'a_2.log': [3 * DAY, 500], 'b_3.log': [2 * DAY, 500], 'c_4.log': [DAY, 500] })
    const result = applyRetention(d.fs, '/stats', { maxAgeMs: 7 * DAY, maxBytes: 1000 }, at)
    expect(result.deleted).toEqual(['old_1.log', 'a_2.log'])
    expect(d.list()).toEqual(['b_3.log', 'c_4.log'])
  })

  test('touches only files named as radvisor names logs', () => {
    const old = 30 * DAY
    const d = directory({
      'abc_1700000000.log': [old, 1],
      'abc_1700000000_2.log': [old, 1],
      'system.slice+ssh.service_1700000000.log': [old, 1],
      'flush.csv': [old, 1],
      'notes.log': [old, 1],
      'abc_1700000000.log.tmp': [old, 1],
      'abc_17x.log': [old, 1],
      '_1700000000.LOG': [old, 1],
    })
    applyRetention(d.fs, '/stats', { maxAgeMs: DAY, maxBytes: 0 }, at)
    expect(d.list()).toEqual(['_1700000000.LOG', 'abc_1700000000.log.tmp', 'abc_17x.log', 'flush.csv', 'notes.log'])
    expect(LOG_NAME.test('a/b_1.log')).toBe(false)
  })

  test('never leaves the directory: symlinks and folders named like logs, and what is below or beside, stay', () => {
    const d = directory({ 'real_1.log': [30 * DAY, 5] })
    d.memfs.mkdirSync('/outside', { recursive: true })
    d.memfs.writeFileSync('/outside/target_1.log', 'precious')
    d.memfs.symlinkSync('/outside/target_1.log', '/stats/link_1.log')
    d.memfs.mkdirSync('/stats/folder_1.log/inner_1.log', { recursive: true })
    d.memfs.mkdirSync('/stats/sub', { recursive: true })
    d.memfs.writeFileSync('/stats/sub/nested_1.log', 'x')
    const result = applyRetention(d.fs, '/stats', { maxAgeMs: DAY, maxBytes: 0 }, at)
    expect(result.deleted).toEqual(['real_1.log'])
    expect(d.list()).toEqual(['folder_1.log', 'link_1.log', 'sub'])
    expect(d.memfs.readFileSync('/outside/target_1.log', 'utf8')).toBe('precious')
    expect(d.memfs.existsSync('/stats/sub/nested_1.log')).toBe(true)
    expect(d.memfs.existsSync('/stats/folder_1.log/inner_1.log')).toBe(true)
  })

  test('never deletes a log still being written: open in this sink, or written in the last minute', () => {
    const d = directory({ 'open_1.log': [30 * DAY, 1000], 'recent_2.log': [SETTLED_MS - 1000, 1000], 'done_3.log': [2 * DAY, 10] })
    const result = applyRetention(d.fs, '/stats', { maxAgeMs: DAY, maxBytes: 100 }, { nowMs: NOW, open: new Set(['/stats/open_1.log']) })
    expect(result.deleted).toEqual(['done_3.log'])
    expect(result).toMatchObject({ keptBytes: 2000, overBudget: true })
    expect(d.list()).toEqual(['open_1.log', 'recent_2.log'])
  })

  test('without a bound it does not even list the directory', () => {
    const fs = {
      readdirSync: () => {
        throw new Error('listed')
      },
    } as unknown as FileSystem
    expect(applyRetention(fs, '/stats', { maxAgeMs: null, maxBytes: null }, at).deleted).toEqual([])
  })

  test('a log that cannot be deleted is reported and counted as kept; the others still go', () => {
    const d = directory({ 'a_1.log': [9 * DAY, 10], 'b_2.log': [8 * DAY, 10] })
    const fs: FileSystem = {
      ...d.fs,
      readdirSync: d.fs.readdirSync,
      lstatSync: d.fs.lstatSync,
      unlinkSync: ((path: string) => {
        if (path.endsWith('a_1.log')) throw Object.assign(new Error('EACCES: permission denied, unlink'), { code: 'EACCES' })
        d.fs.unlinkSync(path)
      }) as FileSystem['unlinkSync'],
    }
    const result = applyRetention(fs, '/stats', { maxAgeMs: DAY, maxBytes: null }, at)
    expect(result.deleted).toEqual(['b_2.log'])
    expect(result.keptBytes).toBe(10)
    expect(result.failed).toEqual([{ name: 'a_1.log', reason: expect.stringContaining('EACCES') }])
  })
})

describe('retainLogs', () => {
  test('says what it deleted, once per pass, and warns once while the open logs alone exceed the size', () => {
    const d = directory({ 'a_1.log': [9 * DAY, 2 * 1048576], 'open_2.log': [DAY, 3 * 1048576] })
    const logger = memoryLogger()
    const context = { fs: d.fs, logger, nowMs: NOW, directory: '/stats' }
    const open = new Set(['/stats/open_2.log'])
    retainLogs(context, { maxAgeMs: 7 * DAY, maxBytes: 1048576 }, open)
    retainLogs(context, { maxAgeMs: 7 * DAY, maxBytes: 1048576 }, open)
    expect(logger.lines.filter((line) => line.includes('Deleted'))).toEqual([expect.stringContaining('1 old log (2.0 MiB) from /stats; 3.0 MiB kept')])
    expect(logger.lines.filter((line) => line.includes('more than --csvy-retention-size'))).toHaveLength(1)
    // The open log's target stopped and its log went: recovered. Over again later: warned again.
    retainLogs(context, { maxAgeMs: 7 * DAY, maxBytes: 1048576 }, none)
    d.memfs.writeFileSync('/stats/next_3.log', 'x'.repeat(2 * 1048576))
    retainLogs(context, { maxAgeMs: 7 * DAY, maxBytes: 1048576 }, new Set(['/stats/next_3.log']))
    expect(logger.lines.filter((line) => line.includes('more than --csvy-retention-size'))).toHaveLength(2)
  })

  test('a directory that cannot be listed is one warning, not a failure', () => {
    const logger = memoryLogger()
    const d = directory({})
    const result = retainLogs({ fs: d.fs, logger, nowMs: NOW, directory: '/missing' }, { maxAgeMs: DAY, maxBytes: null }, none)
    expect(result.deleted).toEqual([])
    expect(logger.lines).toEqual([expect.stringContaining('csvy retention: cannot list /missing')])
  })
})

describe('the csvy sink options', () => {
  test('--csvy-retention-age and --csvy-retention-size take 7d and 10GiB, and bad values are usage errors', () => {
    expect(resolveOptions('csvy', csvySink.options, { 'retention-age': '7d', 'retention-size': '10GiB' })).toEqual({
      'retention-age': 7 * DAY,
      'retention-size': 10 * 1024 ** 3,
      hostname: undefined,
    })
    for (const raw of [{ 'retention-age': '7' }, { 'retention-age': '0d' }, { 'retention-size': 'lots' }]) {
      expect(() => resolveOptions('csvy', csvySink.options, raw)).toThrow(RadvisorError)
    }
  })

  test('creating the sink applies retention to -d once, before any log of this run exists', async () => {
    const { fs, volume } = fakeFs()
    const clock = new ManualClock(0, NOW)
    fs.mkdirSync('/stats', { recursive: true })
    fs.writeFileSync('/stats/gone_1.log', 'old')
    fs.writeFileSync('/stats/kept_2.log', 'new')
    volume.utimesSync('/stats/gone_1.log', (NOW - 8 * DAY) / 1000, (NOW - 8 * DAY) / 1000)
    volume.utimesSync('/stats/kept_2.log', (NOW - DAY) / 1000, (NOW - DAY) / 1000)
    const logger = memoryLogger()
    const options = resolveOptions('csvy', csvySink.options, { 'retention-age': '7d' })
    const sink = await csvySink.create(options, testPluginContext({ fs, clock, logger }))
    expect((fs.readdirSync('/stats') as string[]).sort()).toEqual(['kept_2.log'])
    expect(logger.lines).toEqual([expect.stringContaining('1 old log (3 B) from /stats; 3 B kept')])
    await sink.close()
  })

  test('--csvy-hostname sets System.Hostname in the header; a value that is no host name fails before anything is created', async () => {
    const { fs } = fakeFs()
    const sink = await csvySink.create(resolveOptions('csvy', csvySink.options, { hostname: 'worker-7.example' }), testPluginContext({ fs }))
    const abc = target('abc')
    const writer = await sink.open(abc, header(abc))
    writer.write(sampler(abc)(0))
    await writer.close()
    await sink.close()
    const [name] = fs.readdirSync('/stats') as string[]
    const system = readCsvy(fs.readFileSync(`/stats/${name}`, 'utf8') as string).header.System as Record<string, unknown>
    expect(system.Hostname).toBe('worker-7.example')
    expect(system.OsRelease).toBe('6.1.0-test-amd64')

    const fresh = fakeFs()
    for (const bad of ['', 'has space', 'bell\u0007', '-leading', 'a'.repeat(254)]) {
      const error = await Promise.resolve()
        .then(() => csvySink.create(resolveOptions('csvy', csvySink.options, { hostname: bad }), testPluginContext({ fs: fresh.fs })))
        .catch((thrown: unknown) => thrown)
      expect(error).toBeInstanceOf(RadvisorError)
      expect((error as RadvisorError).exitCode).toBe(2)
      expect((error as RadvisorError).message).toContain('for --csvy-hostname: expected a host name')
      expect((error as RadvisorError).message).not.toMatch(/\p{Cc}/u)
    }
    expect(fresh.fs.existsSync('/stats')).toBe(false)
  })
})
