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

let contract = fakeFs()
testSink(
  'csvy',
  () => {
    contract = fakeFs()
    return createCsvySink(testContext(contract.fs, { bufferBytes: 256 }).context)
  },
  { output: () => logsText(contract.fs), breakOutput: () => void (contract.fault.code = 'ENOSPC') },
)

describe('log files', () => {
  test('one file per target, <id>_<unix seconds>.log, with the header then one line per row', () => {
    const { fs, sink } = setup()
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    for (let i = 0; i < 3; i++) sink.write(sample(i))
    sink.closeTarget(abc)
    sink.close()
    expect(fs.readdirSync('/stats')).toEqual(['abc_1700000000.log'])
    const log = readCsvy(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string)
    expect(log.header.Provider).toBe('docker')
    expect(log.columns).toEqual(['read', 'pids.current', 'cpu.usage.total', 'cpu.usage.percpu', 'memory.limit.hard'])
    expect(log.rows.map((row) => row.join(','))).toEqual([
      '1700000000000000000,0,0,0 1,',
      '1700000000050000000,1,1000000,1 2,',
      '1700000000100000000,2,2000000,2 3,',
    ])
  })

  test('an existing log is never overwritten: the new one gets a suffix', () => {
    const { fs, sink } = setup({}, { '/stats/abc_1700000000.log': 'old', '/stats/abc_1700000000_1.log': 'older' })
    const abc = target('abc')
    sink.open(abc, header(abc))
    sink.write(sampler(abc)(0))
    sink.close()
    expect(fs.readFileSync('/stats/abc_1700000000.log', 'utf8')).toBe('old')
    expect(fs.readFileSync('/stats/abc_1700000000_1.log', 'utf8')).toBe('older')
    expect(bodyLines(fs.readFileSync('/stats/abc_1700000000_2.log', 'utf8') as string)).toEqual(['1700000000000000000,0,0,0 1,'])
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
  test('nothing but the header is on disk until the buffer fills; then one write; everything after close', () => {
    const { fs, sink, logger } = setup({ bufferBytes: 100 })
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    const path = '/stats/abc_1700000000.log'
    const onDisk = () => bodyLines(fs.readFileSync(path, 'utf8') as string)
    const written: string[] = []
    // Rows are 29-37 bytes with their newline: three fit in 100 bytes, the fourth does not.
    for (let i = 0; i < 3; i++) written.push(sample(i).toString())
    for (let i = 0; i < 3; i++) sink.write(sample(i))
    expect(onDisk()).toEqual([])
    sink.write(sample(3))
    expect(onDisk()).toEqual(written)
    sink.close()
    expect(onDisk()).toEqual([...written, sample(3).toString()])
    expect(logger.lines.some((line) => /Flushed .*\d+ bytes in 2 writes to 1 log file in \/stats/.test(line))).toBe(true)
  })

  test('closeTarget writes the rest of its buffer', () => {
    const { fs, sink } = setup()
    const abc = target('abc')
    sink.open(abc, header(abc))
    sink.write(sampler(abc)(0))
    sink.closeTarget(abc)
    expect(bodyLines(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string)).toHaveLength(1)
  })

  test('flush writes every buffer', () => {
    const { fs, sink } = setup()
    const [a, b] = [target('a'), target('b')]
    sink.open(a, header(a))
    sink.open(b, header(b))
    sink.write(sampler(a)(0))
    sink.write(sampler(b)(0))
    sink.flush()
    expect(bodyLines(fs.readFileSync('/stats/a_1700000000.log', 'utf8') as string)).toHaveLength(1)
    expect(bodyLines(fs.readFileSync('/stats/b_1700000000.log', 'utf8') as string)).toHaveLength(1)
  })

  test('--flush-every writes a buffer once that long has passed since its last write, on the next row', () => {
    const { fs, sink, clock } = setup({ flushEveryMs: 200 })
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    const onDisk = () => bodyLines(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string).length
    sink.write(sample(0))
    clock.advance(150)
    sink.write(sample(1))
    expect(onDisk()).toBe(0)
    clock.advance(50)
    sink.write(sample(2))
    expect(onDisk()).toBe(3)
    clock.advance(100)
    sink.write(sample(3))
    expect(onDisk()).toBe(3)
    clock.advance(100)
    sink.write(sample(4))
    expect(onDisk()).toBe(5)
  })

  test('a row longer than the whole buffer goes straight to disk', () => {
    const { fs, sink } = setup({ bufferBytes: 16 })
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    sink.write(sample(0))
    sink.write(sample(1))
    expect(bodyLines(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string)).toEqual([
      '1700000000000000000,0,0,0 1,',
      '1700000000050000000,1,1000000,1 2,',
    ])
    sink.close()
  })
})

describe('flush log', () => {
  test('records every buffer write (ns time, target id, bytes, success) as CSV at close', () => {
    const { fs, sink, clock, fault } = setup({ bufferBytes: 100, flushLog: '/flush.csv' })
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    for (let i = 0; i < 4; i++) sink.write(sample(i))
    clock.advance(1_000)
    fault.code = 'EIO'
    for (let i = 4; i < 7; i++) sink.write(sample(i))
    fault.code = null
    sink.close()
    expect(fs.existsSync('/flush.csv')).toBe(true)
    const lines = (fs.readFileSync('/flush.csv', 'utf8') as string).trimEnd().split('\n')
    expect(lines[0]).toBe('timestamp,target_id,written,success')
    const events = lines.slice(1).map((line) => line.split(','))
    expect(events.map(([, id, , success]) => `${id} ${success}`)).toEqual([
      'abc true',
      'abc false',
      'abc false',
      'abc true',
    ])
    expect(events[0]![0]).toBe('1700000000000000000')
    expect(events[1]![0]).toBe('1700000001000000000')
    const body = bodyLines(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string)
    const bodyBytes = body.reduce((sum, line) => sum + line.length + 1, 0)
    expect(events.reduce((sum, [, , written]) => sum + Number(written), 0)).toBe(bodyBytes)
    expect(events.filter(([, , written, success]) => success === 'false' && written !== '0')).toEqual([])
  })

  test('without --flush-log no record is written', () => {
    const { fs, sink } = setup({ bufferBytes: 100 })
    sink.close()
    expect(fs.readdirSync('/').filter((name) => String(name).endsWith('.csv'))).toEqual([])
  })
})

describe('disk full and I/O errors', () => {
  test('ENOSPC: reported once with the path, rows stay buffered and are retried, overflow is counted at close', () => {
    const { fs, sink, fault, logger } = setup({ bufferBytes: 100 })
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    const rows = Array.from({ length: 9 }, (_, i) => sample(i).toString())
    for (let i = 0; i < 3; i++) sink.write(sample(i))
    fault.code = 'ENOSPC'
    // The buffer is full: each of these tries a write, which fails, and the row does not fit.
    for (let i = 3; i < 6; i++) sink.write(sample(i))
    const failures = logger.lines.filter((line) => line.includes('cannot write'))
    expect(failures).toHaveLength(1)
    expect(failures[0]).toContain('/stats/abc_1700000000.log')
    expect(failures[0]).toContain('ENOSPC')
    fault.code = null
    for (let i = 6; i < 9; i++) sink.write(sample(i))
    expect(logger.lines.some((line) => line.includes('Resumed') && line.includes('/stats/abc_1700000000.log'))).toBe(true)
    sink.close()
    expect(bodyLines(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string)).toEqual([
      ...rows.slice(0, 3),
      ...rows.slice(6),
    ])
    expect(logger.lines.filter((line) => line.includes('dropped'))).toEqual([
      expect.stringContaining('dropped 3 rows of abc that could not be written to /stats/abc_1700000000.log'),
    ])
  })

  test('a stopped target whose last write failed is retried at flush', () => {
    const { fs, sink, fault, logger } = setup()
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    sink.write(sample(0))
    sink.write(sample(1))
    fault.code = 'ENOSPC'
    sink.closeTarget(abc)
    fault.code = null
    sink.flush()
    expect(bodyLines(fs.readFileSync('/stats/abc_1700000000.log', 'utf8') as string)).toHaveLength(2)
    sink.close()
    expect(logger.lines.filter((line) => line.includes('dropped'))).toEqual([])
  })

  test('rows still unwritten when the disk stays full at close are counted, not silently lost', () => {
    const { sink, fault, logger } = setup()
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    for (let i = 0; i < 4; i++) sink.write(sample(i))
    fault.code = 'ENOSPC'
    sink.close()
    expect(logger.lines.filter((line) => line.includes('dropped'))).toEqual([
      expect.stringContaining('dropped 4 rows of abc'),
    ])
  })

  test('a failing header write fails open with the path, as an I/O error', () => {
    const { sink, fault } = setup()
    fault.code = 'ENOSPC'
    const abc = target('abc')
    expect(() => sink.open(abc, header(abc))).toThrow(/cannot write the header of \/stats\/abc_1700000000\.log: ENOSPC/)
  })
})

describe('reading logs back', () => {
  test('a produced log reads back the way analysis scripts read it, with the same column count on every row', () => {
    const { fs, sink } = setup({ bufferBytes: 128 })
    const abc = target('abc')
    sink.open(abc, header(abc))
    const sample = sampler(abc)
    for (let i = 0; i < 20; i++) sink.write(sample(i))
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
