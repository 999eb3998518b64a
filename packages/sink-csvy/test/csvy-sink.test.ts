import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FileSystem, RadvisorError, type RunSettings } from '@radvisor/core'
import { testSink } from '@radvisor/testing'
import { createCsvySink } from '../src/csvy-sink.ts'
import { fakeFs, testContext } from './_context.ts'
import { bodyLines, readCsvy } from './_read-csvy.ts'
import { header, sampler, target } from './_rows.ts'

/** All logs in `/stats`, in name order, concatenated. */
function logsText(fs: FileSystem, directory = '/stats'): string {
  return (fs.readdirSync(directory) as string[])
    .sort()
    .map((name) => fs.readFileSync(join(directory, name), 'utf8'))
    .join('')
}

function setup(settings: Partial<RunSettings> = {}, files: Record<string, string> = {}) {
  const { fs, volume, fault } = fakeFs(files)
  const { context, clock, logger } = testContext(fs, settings)
  return { fs, volume, fault, context, clock, logger, sink: createCsvySink(context) }
}

const LOG = '/stats/abc_1700000000.log'

let contract = fakeFs()
testSink('csvy', (context) => createCsvySink(context), {
  context: () => {
    contract = fakeFs()
    return { fs: contract.fs, settings: { directory: '/stats', bufferBytes: 256 } }
  },
  output: () => logsText(contract.fs),
  breakOutput: () => void (contract.fault.code = 'ENOSPC'),
})

describe('log files', () => {
  test('one file per target, <id>_<unix seconds>.log, with the header then one line per row', () => {
    const { fs, sink } = setup()
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    for (let i = 0; i < 3; i++) writer.write(sample(i))
    writer.close()
    sink.close()
    expect(fs.readdirSync('/stats')).toEqual(['abc_1700000000.log'])
    const log = readCsvy(fs.readFileSync(LOG, 'utf8') as string)
    expect(log.header.Provider).toBe('docker')
    expect(log.columns).toEqual(['read', 'pids.current', 'cpu.usage.total', 'cpu.usage.percpu', 'memory.limit.hard'])
    expect(log.rows.map((row) => row.join(','))).toEqual([
      '1700000000000000000,0,0,0 1,',
      '1700000000050000000,1,1000000,1 2,',
      '1700000000100000000,2,2000000,2 3,',
    ])
  })

  test('headers of every size reach the disk whole, an outsized one and small ones after it', () => {
    const { fs, sink } = setup()
    const names = ['big', 'small', 'accented']
    const note = (name: string) => (name === 'big' ? 'x'.repeat(100_000) : `note of ${name}: café, 測定`)
    for (const name of names) {
      const one = target(name)
      const base = header(one)
      sink.open(one, { ...base, target: { ...base.target, metadata: { Note: note(name) } } }).close()
    }
    sink.close()
    for (const name of names) {
      const log = readCsvy(fs.readFileSync(`/stats/${name}_1700000000.log`, 'utf8') as string)
      expect(log.header.Metadata).toEqual({ Note: note(name) })
    }
  })

  test('the header is on disk as soon as the target opens', () => {
    const { fs, sink } = setup()
    const abc = target('abc')
    sink.open(abc, header(abc))
    expect(readCsvy(fs.readFileSync(LOG, 'utf8') as string).rows).toEqual([])
  })

  test('an existing log is never overwritten: the new one gets a suffix', () => {
    const { fs, sink } = setup({}, { [LOG]: 'old', '/stats/abc_1700000000_1.log': 'older' })
    const abc = target('abc')
    sink.open(abc, header(abc)).write(sampler(abc)(0))
    sink.close()
    expect(fs.readFileSync(LOG, 'utf8')).toBe('old')
    expect(fs.readFileSync('/stats/abc_1700000000_1.log', 'utf8')).toBe('older')
    expect(bodyLines(fs.readFileSync('/stats/abc_1700000000_2.log', 'utf8') as string)).toEqual(['1700000000000000000,0,0,0 1,'])
  })

  test('an id that would leave the directory is refused, whatever the provider checked', () => {
    const { fs, sink } = setup()
    for (const id of ['../escaped', 'a/b', '/absolute', 'a\x00b']) {
      const hostile = target(id)
      expect(() => sink.open(hostile, header(hostile))).toThrow(RadvisorError)
    }
    expect(fs.readdirSync('/stats')).toEqual([])
    expect(fs.existsSync('/escaped_1700000000.log')).toBe(false)
  })

  test('the directory is created when missing', () => {
    const { fs } = setup({ directory: '/var/log/radvisor/stats' })
    expect(fs.statSync('/var/log/radvisor/stats').isDirectory()).toBe(true)
  })

  test('a directory that cannot be made or written is a usage error at create, naming the path', () => {
    for (const directory of ['/blocked/stats', '/readonly']) {
      const { fs, volume } = fakeFs({ '/blocked': 'a file', '/readonly/.keep': '' })
      volume.chmodSync('/readonly', 0o555)
      const { context } = testContext(fs, { directory })
      const error = (() => {
        try {
          createCsvySink(context)
        } catch (thrown) {
          return thrown
        }
      })()
      expect(error).toBeInstanceOf(RadvisorError)
      expect(error).toMatchObject({ plugin: 'sink-csvy', code: 'E_OPTION', exitCode: 2 })
      expect((error as Error).message).toContain(directory)
      expect(fs.readdirSync('/readonly')).toEqual(['.keep'])
    }
  })

  test('a flush log in a missing folder is a usage error at create', () => {
    const { fs } = fakeFs()
    const { context } = testContext(fs, { flushLog: '/nowhere/flush.csv' })
    expect(() => createCsvySink(context)).toThrow(/\/nowhere\/flush\.csv \(-f\/--flush-log\)/)
  })

  test('on the real filesystem, a directory below a regular file is refused with exit code 2', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'radvisor-csvy-'))
    try {
      writeFileSync(join(tmp, 'file'), '')
      const { context } = testContext(nodeFs, { directory: join(tmp, 'file', 'stats') })
      expect(() => createCsvySink(context)).toThrow(RadvisorError)
    } finally {
      rmSync(tmp, { recursive: true })
    }
  })
})

describe('buffering', () => {
  const onDisk = (fs: FileSystem, path = LOG) => bodyLines(fs.readFileSync(path, 'utf8') as string)

  test('rows stay buffered until the runner flushes, then reach the disk in one write', () => {
    const { fs, sink, logger } = setup()
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    const written: string[] = []
    for (let i = 0; i < 3; i++) {
      written.push(sample(i).toString())
      writer.write(sample(i))
    }
    expect(onDisk(fs)).toEqual([])
    sink.flush()
    expect(onDisk(fs)).toEqual(written)
    writer.close()
    sink.close()
    expect(logger.lines.some((line) => /Flushed .*\d+ bytes in 2 writes to 1 log file in \/stats/.test(line))).toBe(true)
  })

  test('a full buffer (-b) is written out at once, before any flush', () => {
    const { fs, sink } = setup({ bufferBytes: 100 })
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    // Rows are 29-37 bytes with their newline: three fit in 100 bytes, the fourth does not.
    for (let i = 0; i < 3; i++) writer.write(sample(i))
    expect(onDisk(fs)).toEqual([])
    writer.write(sample(3))
    expect(onDisk(fs)).toHaveLength(3)
  })

  test("a writer's close writes the rest of its buffer", () => {
    const { fs, sink } = setup()
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    writer.write(sampler(abc)(0))
    writer.close()
    expect(onDisk(fs)).toHaveLength(1)
  })

  test('flush writes every buffer', () => {
    const { fs, sink } = setup()
    const [a, b] = [target('a'), target('b')]
    sink.open(a, header(a)).write(sampler(a)(0))
    sink.open(b, header(b)).write(sampler(b)(0))
    sink.flush()
    expect(onDisk(fs, '/stats/a_1700000000.log')).toHaveLength(1)
    expect(onDisk(fs, '/stats/b_1700000000.log')).toHaveLength(1)
  })

  test('a row longer than the whole buffer is kept whole', () => {
    const { fs, sink } = setup({ bufferBytes: 16 })
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    writer.write(sample(0))
    writer.write(sample(1))
    sink.close()
    expect(onDisk(fs)).toEqual(['1700000000000000000,0,0,0 1,', '1700000000050000000,1,1000000,1 2,'])
  })
})

describe('flush log', () => {
  test('records every buffer write (ns time, target id, bytes, success) as CSV at close', () => {
    const { fs, sink, clock, fault } = setup({ flushLog: '/flush.csv' })
    const abc = target('abc')
    const writer = sink.open(abc, header(abc)) // the header: one write
    const sample = sampler(abc)
    for (let i = 0; i < 4; i++) writer.write(sample(i))
    sink.flush()
    clock.advance(1_000)
    fault.code = 'EIO'
    for (let i = 4; i < 7; i++) writer.write(sample(i))
    sink.flush()
    fault.code = null
    sink.close()
    const lines = (fs.readFileSync('/flush.csv', 'utf8') as string).trimEnd().split('\n')
    expect(lines[0]).toBe('timestamp,target_id,written,success')
    const events = lines.slice(1).map((line) => line.split(','))
    expect(events.map(([, id, , success]) => `${id} ${success}`)).toEqual(['abc true', 'abc true', 'abc false', 'abc true'])
    expect(events[0]![0]).toBe('1700000000000000000')
    expect(events[2]![0]).toBe('1700000001000000000')
    const bytes = (fs.readFileSync(LOG, 'utf8') as string).length
    expect(events.reduce((sum, [, , written]) => sum + Number(written), 0)).toBe(bytes)
    expect(events.filter(([, , written, success]) => success === 'false' && written !== '0')).toEqual([])
  })

  test('without --flush-log no record is written', () => {
    const { fs, sink } = setup({ bufferBytes: 100 })
    sink.close()
    expect(fs.readdirSync('/').filter((name) => String(name).endsWith('.csv'))).toEqual([])
  })
})

describe('disk full and I/O errors', () => {
  test('ENOSPC: reported once for all logs, rows kept up to -b and retried; what overflowed is counted as lost for its target', () => {
    const { fs, sink, fault, logger, context } = setup({ bufferBytes: 100 })
    const [abc, def] = [target('abc'), target('def')]
    const writers = [sink.open(abc, header(abc)), sink.open(def, header(def))]
    const samples = [sampler(abc), sampler(def)]
    const rows = Array.from({ length: 9 }, (_, i) => samples[0]!(i).toString())
    fault.code = 'ENOSPC'
    for (let i = 0; i < 6; i++) writers.forEach((writer, t) => writer.write(samples[t]!(i)))
    sink.flush()
    const failures = logger.lines.filter((line) => line.includes('cannot write'))
    expect(failures).toHaveLength(1)
    expect(failures[0]).toContain('/stats/abc_1700000000.log: ENOSPC')
    fault.code = null
    sink.flush()
    expect(logger.lines.filter((line) => line.includes('Resumed'))).toEqual([expect.stringContaining('writing logs in /stats (sink csvy)')])
    for (let i = 6; i < 9; i++) writers.forEach((writer, t) => writer.write(samples[t]!(i)))
    for (const writer of writers) writer.close()
    sink.close()
    expect(bodyLines(fs.readFileSync(LOG, 'utf8') as string)).toEqual([...rows.slice(0, 3), ...rows.slice(6)])
    expect(context.losses.list()).toEqual([
      { sink: 'csvy', subject: '/abc', rows: 3, reason: expect.stringContaining('ENOSPC') },
      { sink: 'csvy', subject: '/def', rows: 3, reason: expect.stringContaining('ENOSPC') },
    ])
  })

  test('a short write before ENOSPC: the rest is retried from the cut, and no log ever ends mid-row', () => {
    const { fs, sink, fault, context } = setup()
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    const headerBytes = (fs.readFileSync(LOG, 'utf8') as string).length
    for (let i = 0; i < 3; i++) writer.write(sample(i))
    fault.room = 40 // the first row and part of the second
    sink.flush()
    expect((fs.readFileSync(LOG, 'utf8') as string).length).toBe(headerBytes + 40)
    fault.room = Number.POSITIVE_INFINITY
    sink.flush()
    expect(bodyLines(fs.readFileSync(LOG, 'utf8') as string)).toHaveLength(3)
    // Now the disk fills for good in the middle of a row.
    for (let i = 3; i < 6; i++) writer.write(sample(i))
    fault.room = 45
    writer.close()
    sink.close()
    const text = fs.readFileSync(LOG, 'utf8') as string
    expect(text.endsWith('\n')).toBe(true)
    expect(bodyLines(text)).toEqual([0, 1, 2, 3].map((i) => sample(i).toString()))
    expect(context.losses.total).toBe(2)
  })

  test('a full disk when a target starts: the open is retried at each flush, its rows are kept meanwhile', () => {
    const { fs, sink, fault, context } = setup()
    const abc = target('abc')
    fault.openCode = 'ENOSPC'
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    for (let i = 0; i < 3; i++) writer.write(sample(i))
    sink.flush()
    expect(fs.readdirSync('/stats')).toEqual([])
    fault.openCode = null
    sink.flush()
    const log = readCsvy(fs.readFileSync(LOG, 'utf8') as string)
    expect(log.rows).toHaveLength(3)
    expect(log.header.Provider).toBe('docker')
    writer.close()
    sink.close()
    expect(context.losses.total).toBe(0)
  })

  test('a target whose log could never be created: its rows are counted as lost at close', () => {
    const { sink, fault, context } = setup()
    const abc = target('abc')
    fault.openCode = 'EACCES'
    const writer = sink.open(abc, header(abc))
    for (let i = 0; i < 4; i++) writer.write(sampler(abc)(i))
    writer.close()
    sink.close()
    // The header is not a row: four rows lost.
    expect(context.losses.list()).toEqual([{ sink: 'csvy', subject: '/abc', rows: 4, reason: expect.stringContaining('EACCES') }])
  })

  test('a stopped target whose last write failed is retried at flush', () => {
    const { fs, sink, fault, context } = setup()
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    writer.write(sample(0))
    writer.write(sample(1))
    fault.code = 'ENOSPC'
    writer.close()
    fault.code = null
    sink.flush()
    expect(bodyLines(fs.readFileSync(LOG, 'utf8') as string)).toHaveLength(2)
    sink.close()
    expect(context.losses.total).toBe(0)
  })

  test('rows still unwritten when the disk stays full at close are counted, not silently lost', () => {
    const { sink, fault, context } = setup()
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    for (let i = 0; i < 4; i++) writer.write(sampler(abc)(i))
    fault.code = 'ENOSPC'
    writer.close()
    sink.close()
    expect(context.losses.list()).toEqual([{ sink: 'csvy', subject: '/abc', rows: 4, reason: expect.stringContaining('ENOSPC') }])
  })
})

describe('reading logs back', () => {
  test('a produced log reads back the way analysis scripts read it, with the same column count on every row', () => {
    const { fs, sink } = setup({ bufferBytes: 128 })
    const abc = target('abc')
    const writer = sink.open(abc, header(abc))
    const sample = sampler(abc)
    for (let i = 0; i < 20; i++) writer.write(sample(i))
    sink.close()
    const log = readCsvy(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string)
    expect(Object.keys(log.header)).toEqual([
      'Version',
      'Provider',
      'Metadata',
      'PerfTable',
      'System',
      'CollectorType',
      'CollectorMetadata',
      'PolledAt',
      'InitializedAt',
    ])
    expect(log.header.InitializedAt).toBe(1_700_000_000_001_000_000n)
    expect(log.rows).toHaveLength(20)
    for (const row of log.rows) expect(row).toHaveLength(log.columns.length)
  })

  const sharedLog = join(import.meta.dir, '../../../fixtures/radvisor/radvisor-1.1.7-docker.log')
  test('the same reader accepts a log written by radvisor itself', () => {
    const log = readCsvy(readFileSync(sharedLog, 'utf8'))
    expect(log.header.Version).toBe('1.1.7')
    expect(log.rows.length).toBeGreaterThan(100)
    for (const row of log.rows) expect(row).toHaveLength(log.columns.length)
  })
})

describe('retention', () => {
  test('runs when the sink starts and again at the first flush of every hour, never deleting a log it writes', () => {
    const { fs, volume } = fakeFs({ '/stats/old_1.log': 'x' })
    const { context, clock } = testContext(fs)
    const day = 86_400_000
    const ago = (ms: number) => (clock.now() - ms) / 1000
    volume.utimesSync('/stats/old_1.log', ago(8 * day), ago(8 * day))
    const sink = createCsvySink(context, undefined, { maxAgeMs: 7 * day, maxBytes: null })
    expect(fs.existsSync('/stats/old_1.log')).toBe(false)
    const abc = target('abc')
    sink.open(abc, header(abc)).write(sampler(abc)(0))
    fs.writeFileSync('/stats/later_2.log', 'y')
    volume.utimesSync('/stats/later_2.log', ago(8 * day), ago(8 * day))
    volume.utimesSync(LOG, ago(8 * day), ago(8 * day))
    clock.advance(59 * 60_000)
    sink.flush()
    expect(fs.existsSync('/stats/later_2.log')).toBe(true)
    clock.advance(60_000)
    volume.utimesSync(LOG, ago(8 * day), ago(8 * day))
    sink.flush()
    expect(fs.existsSync('/stats/later_2.log')).toBe(false)
    expect(fs.existsSync(LOG)).toBe(true)
    sink.close()
  })
})

