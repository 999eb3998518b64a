import { describe, expect, test } from 'bun:test'
import type { Sample } from '../src/_columns.ts'
import type { LogInfo } from '../src/_header.ts'
import { CsvyParser, type Problem } from '../src/parse.ts'

interface Parsed {
  info: LogInfo | null
  samples: Sample[]
  problems: Problem[]
}

function parse(text: string): Parsed {
  const parsed: Parsed = { info: null, samples: [], problems: [] }
  const parser = new CsvyParser('test.log', {
    header: (info) => {
      parsed.info = info
    },
    sample: (sample) => parsed.samples.push({ ...sample }),
    problem: (problem) => parsed.problems.push(problem),
  })
  const lines = text.split('\n')
  const complete = text.endsWith('\n')
  if (complete) lines.pop()
  lines.forEach((line, index) => parser.push({ text: line, number: index + 1, complete: complete || index < lines.length - 1 }))
  parser.end()
  return parsed
}

const V2_COLUMNS = 'read,cpu.stat/usage_usec,cpu.stat/nr_periods,cpu.stat/nr_throttled,memory.current,memory.max,memory.stat/pgfault,io.stat/rbytes,io.stat/wbytes'

const v2Header = `---
Version: 0.1.0
Provider: kubernetes
Metadata:
  Uid: 0b6f
  Name: api
  Namespace: shop
System:
  CpuCount: 8
  CpuOnlineCount: 4
CollectorType: cgroup_v2
CollectorMetadata:
  Cgroup: kubepods.slice/x.slice
  CgroupDriver: systemd
PolledAt: 1700000000000000000
InitializedAt: 1700000000000000001
---
`

describe('CsvyParser', () => {
  test('reads the header of our (and radvisor 1.4) layout and the v2 counters', () => {
    const { info, samples, problems } = parse(`${v2Header}${V2_COLUMNS}\n1700000000050000000,2000,10,1,1048576,max,7,4096,8192\n`)
    expect(problems).toEqual([])
    expect(info).toMatchObject({
      version: '0.1.0',
      provider: 'kubernetes',
      name: 'shop/api',
      id: '0b6f',
      collectorType: 'cgroup_v2',
      cgroup: 'kubepods.slice/x.slice',
      driver: 'systemd',
      hostCpus: 4,
      initializedAt: '1700000000000000001',
    })
    expect(samples).toHaveLength(1)
    expect(samples[0]).toMatchObject({
      line: 19,
      time: 1_700_000_000_050,
      cpu: 2_000_000,
      periods: 10,
      throttled: 1,
      memory: 1_048_576,
      faults: 7,
      ioRead: 4096,
      ioWrite: 8192,
    })
    expect(samples[0]?.memoryLimit).toBeNaN()
    expect(samples[0]?.ioWait).toBeNaN()
  })

  test('keeps sub-millisecond precision of nanosecond read times', () => {
    const { samples } = parse(`${v2Header}${V2_COLUMNS}\n1700000000050123456,0,0,0,0,max,0,0,0\n`)
    expect(samples[0]?.time).toBeCloseTo(1_700_000_000_050.123456, 5)
  })

  test('reads the radvisor 1.3 layout: Cgroup at the top level, no CollectorType, quoted raw blkio lines', () => {
    const text = `---
Version: 1.3.0
Provider: docker
Metadata:
  Id: d69fefaa9ee25c23f5c9
  Names:
    - /cocky_hugle
System:
  CpuOnlineCount: 2
Cgroup: system.slice/docker-d69f.scope
CgroupDriver: systemd
InitializedAt: 1586651816493061473
---
read,cpu.usage.total,memory.usage.current,memory.limit.hard,memory.hierarchical_limit.memory,blkio.service.bytes,blkio.wait
1586651816493417355,797880216,2314240,9223372036854771712,9223372036854771712,"8:0 Read 4096,8:0 Write 8192,8:0 Sync 0,8:0 Async 12288,8:0 Total 12288,Total 12288",Total 0
`
    const { info, samples, problems } = parse(text)
    expect(problems).toEqual([])
    expect(info).toMatchObject({ name: 'cocky_hugle', id: 'd69fefaa9ee2', collectorType: 'cgroup_v1', cgroup: 'system.slice/docker-d69f.scope', driver: 'systemd' })
    expect(samples[0]).toMatchObject({ cpu: 797880216, memory: 2314240, ioRead: 4096, ioWrite: 8192, ioWait: 0 })
    expect(samples[0]?.memoryLimit).toBeNaN()
  })

  test('takes the lower of the hard and hierarchical v1 memory limits, and v1/v2 CPU quotas when logged', () => {
    const v1 = parse(`---\nCollectorType: cgroup_v1\n---\nread,memory.limit.hard,memory.hierarchical_limit.memory,cpu.cfs_quota_us,cpu.cfs_period_us\n1700000000000000000,209715200,104857600,150000,100000\n`)
    expect(v1.samples[0]).toMatchObject({ memoryLimit: 104857600, cpuQuota: 1.5 })
    const v2 = parse(`${v2Header}${V2_COLUMNS},cpu.max\n1700000000050000000,0,0,0,0,67108864,0,0,0,50000 100000\n`)
    expect(v2.samples[0]).toMatchObject({ memoryLimit: 67108864, cpuQuota: 0.5 })
  })

  test('reads the columns after radvisor 1.4 (pressure, memory.events, network) and CollectorMetadata.Network', () => {
    const columns = `${V2_COLUMNS},cpu.pressure/some_total,cpu.pressure/full_total,memory.events/oom_kill,memory.events/high,network.rx_bytes,network.tx_dropped`
    const own = parse(`${v2Header.replace('  CgroupDriver: systemd', '  CgroupDriver: systemd\n  Network: own')}${columns}\n1700000000050000000,1,1,0,1,max,1,1,1,700,30,2,9,4096,3\n`)
    expect(own.problems).toEqual([])
    expect(own.info?.network).toBe('own')
    expect(own.samples[0]).toMatchObject({ cpuSome: 700, cpuFull: 30, oomKills: 2, memoryHigh: 9, netRxBytes: 4096, netTxDropped: 3 })
    expect(own.samples[0]?.ioSome).toBeNaN() // not logged
    expect(parse(`${v2Header}${columns}\n`).info?.network).toBeNull() // the header does not say
    const host = parse(`${v2Header.replace('  CgroupDriver: systemd', '  CgroupDriver: systemd\n  Network: host')}${columns}\n1700000000050000000,1,1,0,1,max,1,1,1,700,30,2,9,,\n`)
    expect(host.info?.network).toBe('host')
    expect(host.samples[0]?.netRxBytes).toBeNaN()
    const bad = parse(`${v2Header}${columns}\n1700000000050000000,1,1,0,1,max,1,1,1,7e2,30,2,9,4096,3\n`)
    expect(bad.problems.map((problem) => problem.message)).toEqual(["'cpu.pressure/some_total' is not a number: '7e2'"])
  })

  test("reads the CFS period from cpu.max, with or without a quota, and rejects a malformed cell", () => {
    const row = (cpuMax: string) => parse(`${v2Header}${V2_COLUMNS},cpu.max\n1700000000050000000,0,0,0,0,max,0,0,0,${cpuMax}\n`)
    expect(row('50000 100000').samples[0]).toMatchObject({ cpuQuota: 0.5, cpuPeriod: 100 })
    expect(row('max 20000').samples[0]?.cpuPeriod).toBe(20)
    expect(row('max 20000').samples[0]?.cpuQuota).toBeNaN()
    expect(row('maxjunk').problems[0]?.message).toBe("'cpu.max' is not '<quota> <period>': 'maxjunk'")
  })

  test('reports a row with the wrong column count, a non-numeric cell and a truncated last row with their lines', () => {
    const text = `${v2Header}${V2_COLUMNS}\n1700000000050000000,1,1,0,1,max,1,1,1\n1700000000100000000,2,2\n1700000000150000000,abc,3,0,1,max,1,1,1\n1700000000200000000,4,4,0,1,max,1,1,1\n1700000000250000000,5,5,0,1`
    const { samples, problems } = parse(text)
    expect(samples.map((sample) => sample.line)).toEqual([19, 22])
    expect(problems).toEqual([
      { source: 'test.log', line: 20, message: 'wrong column count: expected 9 cells, found 3 cells' },
      { source: 'test.log', line: 21, message: "'cpu.stat/usage_usec' is not a number: 'abc'" },
      { source: 'test.log', line: 23, message: 'truncated last row: expected 9 cells, found 5 cells' },
    ])
  })

  test('reports an empty read cell and a malformed raw blkio cell', () => {
    const text = `---\nVersion: 1.1.7\n---\nread,cpu.usage.total,blkio.service.bytes\n,1,Total 0\n1700000000000000000,1,Read 5\n`
    expect(parse(text).problems.map((problem) => problem.message)).toEqual([
      "'read' is empty",
      "'blkio.service.bytes' is not a blkio file's lines: 'Read 5'",
    ])
  })

  test('skips a file without the --- header, reading rows when it starts with the column row', () => {
    const missing = parse('1700000000000000000,1,2\n')
    expect(missing.info).toBeNull()
    expect(missing.problems).toEqual([{ source: 'test.log', line: 1, message: "missing header: a CSVY log starts with a '---' line; file skipped" }])
    const bare = parse(`${V2_COLUMNS}\n1700000000050000000,1,1,0,1,max,1,1,1\n`)
    expect(bare.info?.collectorType).toBe('cgroup_v2')
    expect(bare.samples).toHaveLength(1)
    expect(bare.problems[0]?.line).toBe(1)
  })

  test('reports bad YAML, an unclosed header, a missing column row and an empty file', () => {
    expect(parse('---\nVersion: [1\n---\nread\n').problems[0]?.message).toStartWith('bad YAML header:')
    expect(parse('---\nVersion: 1\n').problems).toEqual([
      { source: 'test.log', line: 1, message: "the YAML header is not closed by a '---' line; file skipped" },
    ])
    expect(parse('---\nVersion: 1\n---\n1,2,3\n').problems[0]).toMatchObject({ line: 4, message: expect.stringContaining('missing column row') })
    expect(parse('---\nVersion: 1\n---\n').problems[0]?.message).toContain('no CSV column row')
    expect(parse('').problems[0]?.message).toContain('empty file')
  })
})
