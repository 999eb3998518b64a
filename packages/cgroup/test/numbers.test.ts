import { describe, expect, test } from 'bun:test'
import type { FileSystem } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { CgroupV1Collector, CgroupV2Collector, detectHierarchy } from '../src/index.ts'
import { cell, fakeClock, tick } from './_support.ts'

// Numbers are exact or empty: every counter is an unsigned 64-bit integer taken from the
// kernel's bytes, sums are exact in 64 bits, and what does not fit is an empty cell,
// reported once per file.

const V1 = 'docker/abc'
const V2 = 'system.slice/docker-abc.scope'
const U64_MAX = '18446744073709551615'
const HUGE = `1${'0'.repeat(400)}`

function v1(files: Record<string, string>, wrap: (fs: FileSystem) => FileSystem = (fs) => fs) {
  const tree: Record<string, string> = {}
  for (const controller of ['cpu,cpuacct', 'memory', 'pids', 'blkio']) tree[`${controller}/${V1}/`] = ''
  for (const [path, content] of Object.entries(files)) tree[path] = content
  const fake = createFakeCgroupFs(tree)
  const problems: string[] = []
  const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: '' })
  const collector = new CgroupV1Collector({
    fs: wrap(fake.fs),
    clock: fakeClock(),
    hierarchy,
    cgroup: V1,
    driver: 'cgroupfs',
    onProblem: (message) => problems.push(message),
  })
  return { fake, collector, problems }
}

function v2(files: Record<string, string>) {
  const tree: Record<string, string> = { 'cgroup.controllers': 'cpu io memory pids\n', [`${V2}/`]: '' }
  for (const [name, content] of Object.entries(files)) tree[`${V2}/${name}`] = content
  const fake = createFakeCgroupFs(tree)
  const problems: string[] = []
  const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs })
  const collector = new CgroupV2Collector({
    fs: fake.fs,
    clock: fakeClock(),
    hierarchy,
    cgroup: V2,
    driver: 'systemd',
    onProblem: (message) => problems.push(message),
  })
  return { fake, collector, problems }
}

const OPS = ['read', 'write', 'sync', 'async']

describe('exact 64-bit sums', () => {
  test('v1 device sums are exact past 2^53', () => {
    const { collector, problems } = v1({
      'blkio/docker/abc/blkio.time_recursive': '8:0 9007199254740993\n8:16 1\n',
      'blkio/docker/abc/blkio.sectors_recursive': `8:0 ${U64_MAX}\n8:16 0\n`,
    })
    const cells = tick(collector)
    expect(cell(collector, cells, 'blkio.time')).toBe('9007199254740994')
    expect(cell(collector, cells, 'blkio.sectors')).toBe(U64_MAX)
    expect(problems).toEqual([])
  })

  test('v1 operation sums are exact past 2^53, per operation', () => {
    const lines = (device: string, read: string, write: string) =>
      `${device} Read ${read}\n${device} Write ${write}\n${device} Sync ${read}\n${device} Async ${write}\n${device} Total 0\n`
    const { collector } = v1({
      'blkio/docker/abc/blkio.io_service_time_recursive': `${lines('8:0', '9007199254740993', '12345678901234567890')}${lines('8:16', '1', '6101065172474983725')}Total 0\n`,
    })
    const cells = tick(collector)
    expect(OPS.map((op) => cell(collector, cells, `blkio.service.time.${op}`))).toEqual([
      '9007199254740994',
      U64_MAX,
      '9007199254740994',
      U64_MAX,
    ])
  })

  test('v2 io.stat sums are exact past 2^53', () => {
    const { collector } = v2({ 'io.stat': '8:0 rbytes=9007199254740993 wbytes=1 rios=0\n8:16 rbytes=1 wbytes=18446744073709551614\n' })
    const cells = tick(collector)
    expect(cell(collector, cells, 'io.stat/rbytes')).toBe('9007199254740994')
    expect(cell(collector, cells, 'io.stat/wbytes')).toBe(U64_MAX)
  })

  test('a sum past 2^64 - 1 is an empty cell, reported once; the other sums stay', () => {
    const { collector, problems } = v1({
      'blkio/docker/abc/blkio.time_recursive': `8:0 ${U64_MAX}\n8:16 1\n`,
      'blkio/docker/abc/blkio.io_serviced_recursive': `8:0 Read ${U64_MAX}\n8:0 Write 2\n8:16 Read 1\n8:16 Write 3\n`,
    })
    for (let i = 0; i < 3; i++) {
      const cells = tick(collector)
      expect(cell(collector, cells, 'blkio.time')).toBe('')
      expect(OPS.map((op) => cell(collector, cells, `blkio.service.ios.${op}`))).toEqual(['', '5', '0', '0'])
    }
    expect(problems).toHaveLength(2)
    expect(problems[0]).toContain(`cgroup ${V1}`)
    expect(problems[0]).toContain('/blkio/docker/abc/blkio.time_recursive')
    expect(problems[0]).toContain('2^64')
    expect(problems[0]).toContain('left empty')
    expect(problems[1]).toContain('blkio.io_serviced_recursive')
  })
})

describe('values that do not fit in 64 bits', () => {
  test('a 400-digit counter in v1 blkio.time_recursive is an empty cell, reported once (it used to hang)', () => {
    const { collector, problems } = v1({ 'blkio/docker/abc/blkio.time_recursive': `8:0 ${HUGE}\n`, 'pids/docker/abc/pids.current': '3\n' })
    for (let i = 0; i < 3; i++) {
      const cells = tick(collector)
      expect(cell(collector, cells, 'blkio.time')).toBe('')
      expect(cell(collector, cells, 'pids.current')).toBe('3')
    }
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(`cgroup ${V1}`)
    expect(problems[0]).toContain('blkio.time_recursive')
    // The value is shown shortened, with its length.
    expect(problems[0]).toContain('"1000000000')
    expect(problems[0]).toContain('401 bytes')
    expect(problems[0]!.length).toBeLessThan(300)
  })

  test('a 400-digit counter in v2 io.stat is an empty cell, reported once (it used to hang)', () => {
    const { collector, problems } = v2({ 'io.stat': `8:0 rbytes=${HUGE} wbytes=7\n`, 'pids.current': '3\n' })
    for (let i = 0; i < 3; i++) {
      const cells = tick(collector)
      expect(cell(collector, cells, 'io.stat/rbytes')).toBe('')
      expect(cell(collector, cells, 'io.stat/wbytes')).toBe('7')
    }
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain('io.stat')
  })

  test('single values: 2^64 - 1 is kept, 2^64 and 21 digits are empty cells, each file reported once', () => {
    const { collector, problems } = v1({
      'cpu,cpuacct/docker/abc/cpuacct.usage': `${U64_MAX}\n`,
      'cpu,cpuacct/docker/abc/cpuacct.usage_sys': '18446744073709551616\n',
      'cpu,cpuacct/docker/abc/cpuacct.usage_user': '000000000000000000001\n',
      'memory/docker/abc/memory.stat': `total_cache 99999999999999999999\ntotal_rss ${U64_MAX}\n`,
    })
    const cells = tick(collector)
    expect(cell(collector, cells, 'cpu.usage.total')).toBe(U64_MAX)
    expect(cell(collector, cells, 'cpu.usage.system')).toBe('')
    expect(cell(collector, cells, 'cpu.usage.user')).toBe('')
    expect(cell(collector, cells, 'memory.cache')).toBe('')
    expect(cell(collector, cells, 'memory.rss.all')).toBe(U64_MAX)
    tick(collector)
    expect(problems).toHaveLength(3)
    expect(problems.join('\n')).toContain('cpuacct.usage_sys')
    expect(problems.join('\n')).toContain('cpuacct.usage_user')
    expect(problems.join('\n')).toContain('memory.stat')
  })

  test('v2 falls back to an empty cell, not the default, for a value too large', () => {
    const { collector } = v2({ 'memory.max': `${HUGE}\n`, 'cpu.stat': `usage_usec ${HUGE}\nuser_usec 5\n` })
    const cells = tick(collector)
    expect(cell(collector, cells, 'memory.max')).toBe('')
    expect(cell(collector, cells, 'cpu.stat/usage_usec')).toBe('')
    expect(cell(collector, cells, 'cpu.stat/user_usec')).toBe('5')
  })

  test('a megabyte run of digits is not copied into the row', () => {
    const { collector, problems } = v1({ 'cpu,cpuacct/docker/abc/cpuacct.usage': `${'7'.repeat(1_000_000)}\n` })
    const cells = tick(collector)!
    expect(cell(collector, cells, 'cpu.usage.total')).toBe('')
    expect(cells.join(',').length).toBeLessThan(2000)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain('1000000 bytes')
  })

  test('the shown value is escaped: no control characters reach the log', () => {
    const { collector, problems } = v1({ 'cpu,cpuacct/docker/abc/cpuacct.usage': '12\x1b[31m\x00\xff\r\n' })
    expect(cell(collector, tick(collector), 'cpu.usage.total')).toBe('')
    expect(problems).toHaveLength(1)
    expect(problems[0]).not.toMatch(/[\x00-\x1f\x7f]/)
    expect(problems[0]).toContain('\\x1b[31m\\x00')
    expect(problems[0]).toContain('not a number')
  })

  test('max is a value only where the kernel writes it', () => {
    const { collector, problems } = v1({
      'pids/docker/abc/pids.max': 'max\n',
      'pids/docker/abc/pids.current': 'max\n',
      'blkio/docker/abc/blkio.time_recursive': '8:0 max\n',
    })
    const cells = tick(collector)
    expect(cell(collector, cells, 'pids.max')).toBe('max')
    expect(cell(collector, cells, 'pids.current')).toBe('')
    expect(cell(collector, cells, 'blkio.time')).toBe('')
    expect(problems).toHaveLength(2)
  })
})

describe('cpu.usage.percpu', () => {
  test('holds at most the CPUs counted at open, each a u64', () => {
    const { fake, collector, problems } = v1({ 'cpu,cpuacct/docker/abc/cpuacct.usage_percpu': '1 2 3 4 \n' })
    expect(collector.info.columnTypes['cpu.usage.percpu']).toEqual({ Type: 'int', Count: 4 })
    expect(cell(collector, tick(collector), 'cpu.usage.percpu')).toBe('1 2 3 4')
    fake.write(`cpu,cpuacct/${V1}/cpuacct.usage_percpu`, '1 2 3 4 5 \n')
    expect(cell(collector, tick(collector), 'cpu.usage.percpu')).toBe('')
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain('more than 4 values')
    fake.write(`cpu,cpuacct/${V1}/cpuacct.usage_percpu`, `1 ${U64_MAX} 3\n`)
    expect(cell(collector, tick(collector), 'cpu.usage.percpu')).toBe(`1 ${U64_MAX} 3`)
    fake.write(`cpu,cpuacct/${V1}/cpuacct.usage_percpu`, `1 ${HUGE} 3\n`)
    expect(cell(collector, tick(collector), 'cpu.usage.percpu')).toBe('')
    // Reported once per file: the earlier report stands for this one.
    expect(problems).toHaveLength(1)
  })
})

describe('stat file buffers stay bounded', () => {
  test('a file that suddenly returns megabytes is unreadable, reported once, and its buffer does not follow', () => {
    let largestRead = 0
    const { fake, collector, problems } = v1({ 'memory/docker/abc/memory.stat': 'total_cache 1\n', 'pids/docker/abc/pids.current': '2\n' }, (fs) => ({
      ...fs,
      readSync: ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
        largestRead = Math.max(largestRead, length)
        return (fs.readSync as (...args: unknown[]) => number)(fd, buffer, offset, length, position)
      }) as FileSystem['readSync'],
    }))
    expect(cell(collector, tick(collector), 'memory.cache')).toBe('1')
    fake.write(`memory/${V1}/memory.stat`, `total_cache 2\n${'x'.repeat(8 << 20)}\n`)
    for (let i = 0; i < 2; i++) {
      const cells = tick(collector)
      expect(cell(collector, cells, 'memory.cache')).toBe('')
      expect(cell(collector, cells, 'pids.current')).toBe('2')
    }
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain('memory.stat')
    expect(problems[0]).toContain('more than 1 MiB')
    expect(largestRead).toBe((1 << 20) + 1)
    fake.write(`memory/${V1}/memory.stat`, 'total_cache 3\n')
    expect(cell(collector, tick(collector), 'memory.cache')).toBe('3')
  })
})
