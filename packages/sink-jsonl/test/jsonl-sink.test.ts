import { describe, expect, test } from 'bun:test'
import { type CollectorInfo, type LogHeader, RadvisorError, Row, type Target } from '@radvisor/core'
import { testSink } from '@radvisor/testing'
import { JsonLineEncoder } from '../src/_encoder.ts'
import { createJsonlSink } from '../src/jsonl-sink.ts'
import { fakeFs, testContext } from './_context.ts'

const collector: CollectorInfo = {
  type: 'cgroup_v1',
  cgroup: 'docker/abc',
  driver: 'cgroupfs',
  columns: ['read', 'cpu.usage.total', 'cpu.usage.percpu', 'memory.limit.hard', 'memory.max', 'odd "name"'],
  columnTypes: {},
}
const target: Target = {
  provider: 'docker',
  id: 'abc',
  name: '/abc',
  metadata: {},
  polledAt: 0n,
  cgroup: { kind: 'docker', id: 'abc' },
}
const header: LogHeader = { version: '0.1.0', target, collector, initializedAt: 0n }
const ascii = (text: string) => new TextEncoder().encode(text)

function setup(settings = {}) {
  const { fs, fault } = fakeFs()
  const { context, clock, logger } = testContext(fs, settings)
  const sink = createJsonlSink(context, '/out.jsonl')
  return { fs, fault, clock, logger, context, sink, text: () => fs.readFileSync('/out.jsonl', 'utf8') as string }
}

let contract = fakeFs()
testSink('jsonl', (context) => createJsonlSink(context, '/out.jsonl'), {
  context: () => {
    contract = fakeFs()
    return { fs: contract.fs, settings: { bufferBytes: 512 } }
  },
  output: () => contract.fs.readFileSync('/out.jsonl', 'utf8') as string,
  breakOutput: () => void (contract.fault.code = 'EPIPE'),
})

describe('JSON lines', () => {
  test('one object per row, numbers copied digit for digit, other cells strings, empty and missing cells null', () => {
    const { sink, text } = setup()
    const writer = sink.open(target, header)
    const row = new Row(target, collector.columns)
    const time = ascii('1700000000123456789')
    row.putBytes(time, 0, time.length)
    const big = ascii('18446744073709551615')
    row.putBytes(big, 0, big.length)
    row.putAscii('1 2 3')
    const limit = ascii('9223372036854771712')
    row.putBytes(limit, 0, limit.length)
    row.putAscii('max')
    row.putEmpty()
    writer.write(row)
    row.reset()
    row.putTime(1_700_000_000_173)
    row.putUint(0)
    writer.write(row)
    sink.close()
    const lines = text().split('\n')
    expect(lines).toEqual([
      '{"target":"abc","provider":"docker","time":1700000000123456789,"values":{"cpu.usage.total":18446744073709551615,"cpu.usage.percpu":"1 2 3","memory.limit.hard":9223372036854771712,"memory.max":"max","odd \\"name\\"":null}}',
      '{"target":"abc","provider":"docker","time":1700000000173000000,"values":{"cpu.usage.total":0,"cpu.usage.percpu":null,"memory.limit.hard":null,"memory.max":null,"odd \\"name\\"":null}}',
      '',
    ])
    for (const line of lines.slice(0, 2)) expect(JSON.parse(line).target).toBe('abc')
  })

  test('cells that are not plain JSON numbers become escaped strings', () => {
    const { sink, text } = setup()
    const writer = sink.open(target, header)
    const row = new Row(target, collector.columns)
    row.putTime(1_700_000_000_000)
    for (const cell of ['007', 'a"b\\c', '\t', '-12', '1.5']) {
      const bytes = ascii(cell)
      row.putBytes(bytes, 0, bytes.length)
    }
    writer.write(row)
    sink.close()
    expect(JSON.parse(text()).values).toEqual({
      'cpu.usage.total': '007',
      'cpu.usage.percpu': 'a"b\\c',
      'memory.limit.hard': '\t',
      'memory.max': -12,
      'odd "name"': 1.5,
    })
  })

  test('network.interfaces becomes an object per interface, numbers exact; a cell of another shape stays a string', () => {
    const { sink, text } = setup()
    const columns = ['read', 'network.rx_bytes', 'network.interfaces']
    const writer = sink.open(target, { ...header, collector: { ...collector, columns } })
    const row = new Row(target, columns)
    const cells = [
      'eth0 18446744073709551615 3517 0 2 190211 2133 0 0;br%2C0 1 2 3 4 5 6 7 8',
      'vethabcdef01234 0 0 0 0 0 0 0 0',
      'eth0 1 2 3 4 5 6 7',
      'eth0 1 2 3 4 5 6 7 8;',
      'eth0 01 2 3 4 5 6 7 8',
      'a"b 1 2 3 4 5 6 7 8',
      '',
    ]
    for (const cell of cells) {
      row.reset()
      row.putTime(1_700_000_000_000)
      row.putUint(7)
      const bytes = ascii(cell)
      row.putBytes(bytes, 0, bytes.length)
      writer.write(row)
    }
    // A thousand of the shortest entries: the line's reserved size must hold the object form.
    row.reset()
    row.putTime(1_700_000_000_000)
    row.putUint(7)
    const many = ascii(Array.from({ length: 1000 }, () => 'e 0 0 0 0 0 0 0 0').join(';'))
    row.putBytes(many, 0, many.length)
    const encoder = new JsonLineEncoder(target, columns)
    const exact = new Uint8Array(encoder.maxBytes(row))
    expect(encoder.encode(row, exact, 0)).toBeLessThanOrEqual(exact.length)
    writer.write(row)
    sink.close()
    const lines = text().trimEnd().split('\n')
    const counters = (values: number[]) =>
      Object.fromEntries(['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped'].map((name, i) => [name, values[i]]))
    expect(lines[0]).toContain('"network.interfaces":{"eth0":{"rx_bytes":18446744073709551615,"rx_packets":3517,')
    expect(JSON.parse(lines[0]!).values['network.interfaces']).toEqual({
      eth0: counters([18446744073709551615, 3517, 0, 2, 190211, 2133, 0, 0]),
      'br%2C0': counters([1, 2, 3, 4, 5, 6, 7, 8]),
    })
    expect(JSON.parse(lines[1]!).values['network.interfaces']).toEqual({ vethabcdef01234: counters([0, 0, 0, 0, 0, 0, 0, 0]) })
    expect(lines.slice(2, 7).map((line) => JSON.parse(line).values['network.interfaces'])).toEqual([...cells.slice(2, 6), null])
    expect(Object.keys(JSON.parse(lines[7]!).values['network.interfaces'])).toEqual(['e'])
  })

  test('lines are buffered: written at each flush, whenever 64 KiB are buffered, and at close', () => {
    const { sink, text } = setup()
    const writer = sink.open(target, header)
    const row = new Row(target, collector.columns)
    const sample = (i: number) => {
      row.reset()
      row.putTime(1_700_000_000_000 + i * 50)
      row.putUint(i)
      return row
    }
    writer.write(sample(0))
    writer.write(sample(1))
    expect(text()).toBe('')
    sink.flush()
    expect(text().split('\n')).toHaveLength(3)
    for (let i = 2; i < 1000; i++) writer.write(sample(i)) // ~200 bytes each: past 64 KiB
    expect(text().split('\n').length).toBeGreaterThan(300)
    writer.close()
    sink.close()
    expect(text().trimEnd().split('\n').map((line) => JSON.parse(line).values['cpu.usage.total'])).toEqual([...Array(1000).keys()])
  })

  test('a failing output keeps up to --buffer bytes and retries; what overflowed is counted as lost', () => {
    const { sink, text, fault, logger, context } = setup({ bufferBytes: 1024 })
    const writer = sink.open(target, header)
    const row = new Row(target, collector.columns)
    fault.code = 'EPIPE'
    for (let i = 0; i < 1000; i++) {
      row.reset()
      row.putTime(1_700_000_000_000 + i * 50)
      row.putUint(i)
      writer.write(row)
    }
    sink.flush()
    expect(logger.lines.filter((line) => line.includes('cannot write /out.jsonl: EPIPE'))).toHaveLength(1)
    fault.code = null
    writer.close()
    sink.close()
    const written = text().trimEnd().split('\n').length
    expect(written).toBeGreaterThan(0)
    expect(context.losses.list()).toEqual([{ sink: 'jsonl', subject: '/out.jsonl', rows: 1000 - written, reason: expect.stringContaining('EPIPE') }])
  })

  test('an unopenable --jsonl-path is a usage error naming the path', () => {
    const { fs } = fakeFs()
    const { context } = testContext(fs)
    expect(() => createJsonlSink(context, '/missing/dir/out.jsonl')).toThrow(RadvisorError)
    expect(() => createJsonlSink(context, '/missing/dir/out.jsonl')).toThrow(/\/missing\/dir\/out\.jsonl \(--jsonl-path\)/)
  })

  test('an existing file is appended to', () => {
    const { fs } = fakeFs()
    fs.writeFileSync('/out.jsonl', '{"earlier":true}\n')
    const { context } = testContext(fs)
    const sink = createJsonlSink(context, '/out.jsonl')
    const row = new Row(target, collector.columns)
    row.putTime(1_700_000_000_000)
    sink.open(target, header).write(row)
    sink.close()
    expect((fs.readFileSync('/out.jsonl', 'utf8') as string).split('\n')[0]).toBe('{"earlier":true}')
  })
})
