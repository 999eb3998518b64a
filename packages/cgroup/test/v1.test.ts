import { describe, expect, test } from 'bun:test'
import { batchReader, type FileSystem, RadvisorError } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { CgroupV1Collector, detectHierarchy, V1_COLUMNS } from '../src/index.ts'
import { cell, fakeClock, tick } from './_support.ts'

const CGROUP = 'docker/abc'

/** A v1 host with the joined cpu,cpuacct folder and the files given (relative to the cgroup). */
function host(files: Record<string, string>, controllers = ['cpu,cpuacct', 'memory', 'pids', 'blkio']) {
  const tree: Record<string, string> = {}
  for (const controller of controllers) tree[`${controller}/${CGROUP}/`] = ''
  for (const [path, content] of Object.entries(files)) tree[path] = content
  return createFakeCgroupFs(tree)
}

function open(fs: FileSystem, root: string) {
  return new CgroupV1Collector({ fs, clock: fakeClock(), hierarchy: detectHierarchy({ root, fs, mountinfo: '' }), cgroup: CGROUP, driver: 'cgroupfs' })
}

/** Counts calls of one fs method. */
function counting(fs: FileSystem, method: 'openSync' | 'readSync'): { fs: FileSystem; calls: () => number } {
  let calls = 0
  const original = fs[method] as (...args: unknown[]) => unknown
  const wrapped = { ...fs, [method]: (...args: unknown[]) => (calls++, original(...args)) } as FileSystem
  return { fs: wrapped, calls: () => calls }
}

describe('CgroupV1Collector', () => {
  test('has radvisor’s 75 v1 columns, read first, blkio last', () => {
    expect(V1_COLUMNS).toHaveLength(75)
    expect(V1_COLUMNS.slice(0, 7)).toEqual(['read', 'pids.current', 'pids.max', 'cpu.usage.total', 'cpu.usage.system', 'cpu.usage.user', 'cpu.usage.percpu'])
    expect(V1_COLUMNS.slice(-4)).toEqual(['blkio.bfq.service.ios.read', 'blkio.bfq.service.ios.write', 'blkio.bfq.service.ios.sync', 'blkio.bfq.service.ios.async'])
  })

  test('copies the kernel’s digits exactly, including 64-bit limits and "max"', () => {
    const fake = host({
      'memory/docker/abc/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/docker/abc/memory.stat': 'hierarchical_memory_limit 9223372036854771712\nhierarchical_memsw_limit 9223372036854771712\n',
      'pids/docker/abc/pids.max': 'max\n',
      'cpu,cpuacct/docker/abc/cpuacct.usage_percpu': '48592159 347092333 350148010 52047714 \n',
    })
    const collector = open(fake.fs, fake.root)
    const cells = tick(collector)
    expect(cell(collector, cells, 'memory.limit.hard')).toBe('9223372036854771712')
    expect(cell(collector, cells, 'memory.hierarchical_limit.memory')).toBe('9223372036854771712')
    expect(cell(collector, cells, 'pids.max')).toBe('max')
    expect(cell(collector, cells, 'cpu.usage.percpu')).toBe('48592159 347092333 350148010 52047714')
    expect(collector.info.columnTypes).toEqual({ read: { Type: 'epoch19' }, 'cpu.usage.percpu': { Type: 'int', Count: 4 } })
  })

  test('garbage, empty and truncated files give empty cells, never a throw', () => {
    const fake = host({
      'cpu,cpuacct/docker/abc/cpuacct.usage': 'not a number\n',
      'cpu,cpuacct/docker/abc/cpuacct.usage_sys': '',
      'cpu,cpuacct/docker/abc/cpuacct.usage_user': '12x4\n',
      'cpu,cpuacct/docker/abc/cpuacct.usage_percpu': '12 ab 7\n',
      'cpu,cpuacct/docker/abc/cpuacct.stat': 'user 17\nsystem',
      'memory/docker/abc/memory.stat': 'total_cache 4096\ntotal_rss 81',
      'memory/docker/abc/memory.failcnt': '-1\n',
      'blkio/docker/abc/blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write\n',
      'blkio/docker/abc/blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2x\nTotal 3\n',
      'pids/docker/abc/pids.max': 'maximum\n',
    })
    const collector = open(fake.fs, fake.root)
    const cells = tick(collector)
    for (const column of ['cpu.usage.total', 'cpu.usage.system', 'cpu.usage.user', 'cpu.usage.percpu', 'cpu.stat.system', 'memory.failcnt', 'pids.max']) {
      expect(cell(collector, cells, column)).toBe('')
    }
    expect(cell(collector, cells, 'cpu.stat.user')).toBe('17')
    expect(cell(collector, cells, 'memory.cache')).toBe('4096')
    // A cut-off last line still yields the digits that arrived; there is no way to know more.
    expect(cell(collector, cells, 'memory.rss.all')).toBe('81')
    expect(cell(collector, cells, 'memory.rss.huge')).toBe('')
    for (const op of ['read', 'write', 'sync', 'async']) {
      expect(cell(collector, cells, `blkio.throttle.service.bytes.${op}`)).toBe('')
      expect(cell(collector, cells, `blkio.throttle.service.ios.${op}`)).toBe('')
    }
    expect(collector.error).toBeNull()
  })

  test('picks memory.stat fields by key, whatever the order, and follows a changed layout', () => {
    const fake = host({ 'memory/docker/abc/memory.stat': 'total_rss 200\ncache 5\ntotal_cache 100\nrss 7\ntotal_swap 3\n' })
    const collector = open(fake.fs, fake.root)
    const first = tick(collector)
    expect([cell(collector, first, 'memory.cache'), cell(collector, first, 'memory.rss.all'), cell(collector, first, 'memory.swap')]).toEqual(['100', '200', '3'])
    fake.write(`memory/${CGROUP}/memory.stat`, 'new_key 1\ntotal_swap 30\ntotal_cache 1000\nsome_total_rss 9\ntotal_rss 2000\ntotal_rss_huge 4\n')
    const second = tick(collector)
    expect(
      ['memory.cache', 'memory.rss.all', 'memory.rss.huge', 'memory.swap', 'memory.mapped'].map((column) => cell(collector, second, column)),
    ).toEqual(['1000', '2000', '4', '30', ''])
  })

  test('sums blkio operations over devices, ignoring Total and Discard lines', () => {
    const ops = (device: string, read: number, write: number) =>
      `${device} Read ${read}\n${device} Write ${write}\n${device} Sync ${read}\n${device} Async ${write}\n${device} Discard 99\n${device} Total ${read + write}\n`
    const fake = host({
      'blkio/docker/abc/blkio.io_service_bytes_recursive': `${ops('8:0', 4096, 8192)}${ops('8:16', 1, 2)}${ops('253:0', 5_000_000_000, 7_000_000_000)}Total 12000012291\n`,
      'blkio/docker/abc/blkio.io_service_bytes': 'Total 0\n',
      'blkio/docker/abc/blkio.time_recursive': '8:0 120\n8:16 30\n',
      'blkio/docker/abc/blkio.sectors': '8:0 8\n8:16 16\n',
      'blkio/docker/abc/blkio.bfq.io_serviced': 'Total 0\n',
    })
    const collector = open(fake.fs, fake.root)
    const cells = tick(collector)
    expect(['read', 'write', 'sync', 'async'].map((op) => cell(collector, cells, `blkio.service.bytes.${op}`))).toEqual([
      '5000004097',
      '7000008194',
      '5000004097',
      '7000008194',
    ])
    expect(cell(collector, cells, 'blkio.time')).toBe('150')
    expect(cell(collector, cells, 'blkio.sectors')).toBe('24')
    expect(cell(collector, cells, 'blkio.bfq.service.ios.read')).toBe('0')
    // Files this host does not have (legacy CFQ ones) stay empty.
    expect(cell(collector, cells, 'blkio.wait.read')).toBe('')
  })

  test('a missing controller leaves its cells empty and the others filled', () => {
    const fake = host(
      { 'cpu,cpuacct/docker/abc/cpuacct.usage': '123\n', 'memory/docker/abc/memory.usage_in_bytes': '4096\n' },
      ['cpu,cpuacct', 'memory'],
    )
    const collector = open(fake.fs, fake.root)
    const cells = tick(collector)
    expect([cell(collector, cells, 'pids.current'), cell(collector, cells, 'blkio.service.bytes.read')]).toEqual(['', ''])
    expect([cell(collector, cells, 'cpu.usage.total'), cell(collector, cells, 'memory.usage.current')]).toEqual(['123', '4096'])
  })

  test('opens each file once and reads each present file once per tick', () => {
    const fake = host({
      'cpu,cpuacct/docker/abc/cpuacct.usage': '1\n',
      'cpu,cpuacct/docker/abc/cpu.stat': 'nr_periods 1\n',
      'pids/docker/abc/pids.current': '1\n',
    })
    const opens = counting(fake.fs, 'openSync')
    const reads = counting(opens.fs, 'readSync')
    const collector = open(reads.fs, fake.root)
    const opensAtStart = opens.calls()
    const readsAtStart = reads.calls()
    tick(collector)
    tick(collector)
    expect(opens.calls()).toBe(opensAtStart)
    expect(reads.calls() - readsAtStart).toBe(2 * 3)
  })

  test('opens only the files that are there: a failed open throws, and each error is garbage', () => {
    const fake = host({
      'cpu,cpuacct/docker/abc/cpuacct.usage': '1\n',
      'blkio/docker/abc/blkio.bfq.io_serviced': 'Total 0\n',
      'pids/docker/abc/pids.current': '1\n',
    })
    const opens = counting(fake.fs, 'openSync')
    open(opens.fs, fake.root)
    expect(opens.calls()).toBe(3)
  })

  test('with a batch read, each tick reads every file in one call and none by itself', () => {
    const fake = host({
      'cpu,cpuacct/docker/abc/cpuacct.usage': '1\n',
      'cpu,cpuacct/docker/abc/cpu.stat': 'nr_periods 1\n',
      'pids/docker/abc/pids.current': '1\n',
    })
    let batches = 0
    const loop = batchReader(fake.fs)
    const batched: FileSystem = { ...fake.fs, readBatch: (requests, count, buffer) => (batches++, loop(requests, count, buffer)) }
    const reads = counting(batched, 'readSync')
    const collector = open(reads.fs, fake.root)
    const readsAtStart = reads.calls()
    const batchesAtStart = batches
    expect(tick(collector)).not.toBeNull()
    expect(cell(collector, tick(collector), 'cpu.throttling.periods')).toBe('1')
    expect(batches - batchesAtStart).toBe(2)
    // The batch's own loop reads through the fake's readSync, not through the counted one.
    expect(reads.calls()).toBe(readsAtStart)
  })

  test('a file that outgrows its slot is read whole, and keeps a larger slot from the next tick on', () => {
    const fake = host({ 'memory/docker/abc/memory.stat': 'total_cache 1\n', 'pids/docker/abc/pids.current': '7\n' })
    const collector = open(fake.fs, fake.root)
    const padding = Array.from({ length: 400 }, (_, i) => `unrelated_key_${i} ${i}\n`).join('')
    for (let i = 0; i < 3; i++) {
      fake.write(`memory/${CGROUP}/memory.stat`, `${padding}total_cache ${i}23456789\n`)
      const cells = tick(collector)
      expect([cell(collector, cells, 'memory.cache'), cell(collector, cells, 'pids.current')]).toEqual([`${i}23456789`, '7'])
    }
    fake.write(`memory/${CGROUP}/memory.stat`, 'total_cache 5\n')
    expect(cell(collector, tick(collector), 'memory.cache')).toBe('5')
  })

  test('a file missing at open stays absent; a file that grows past its buffer is read whole', () => {
    const fake = host({ 'memory/docker/abc/memory.stat': 'total_cache 1\n' })
    const collector = open(fake.fs, fake.root)
    fake.write(`cpu,cpuacct/${CGROUP}/cpuacct.usage`, '999\n')
    const padding = Array.from({ length: 400 }, (_, i) => `unrelated_key_${i} ${i}\n`).join('')
    fake.write(`memory/${CGROUP}/memory.stat`, `${padding}total_cache 123456789\n`)
    const cells = tick(collector)
    expect(cell(collector, cells, 'cpu.usage.total')).toBe('')
    expect(cell(collector, cells, 'memory.cache')).toBe('123456789')
  })

  test('a cgroup removed between ticks stops collection with one error naming it, without throwing', () => {
    const fake = host({ 'cpu,cpuacct/docker/abc/cpuacct.usage': '5\n', 'pids/docker/abc/pids.current': '1\n' })
    const collector = open(fake.fs, fake.root)
    expect(tick(collector)).not.toBeNull()
    fake.remove(CGROUP)
    expect(tick(collector)).toBeNull()
    const error = collector.error
    expect(error).toBeInstanceOf(RadvisorError)
    expect(error!.message).toContain(CGROUP)
    expect(error!.message).toContain('ENODEV')
    expect(tick(collector)).toBeNull()
    expect(collector.error).toBe(error)
    collector.close()
  })

  test('a cgroup with no readable file at all fails at open', () => {
    const fake = host({ 'memory/other/memory.stat': '' })
    fake.remove(CGROUP)
    const collector = open(fake.fs, fake.root)
    expect(collector.error).toBeInstanceOf(RadvisorError)
    expect(tick(collector)).toBeNull()
  })
})

describe('a v1 cgroup removed under some controllers only', () => {
  test('keeps collecting the others, leaves the removed cells empty, reports once, and is gone only when all are', () => {
    const fake = host({
      'cpu,cpuacct/docker/abc/cpuacct.usage': '5\n',
      'memory/docker/abc/memory.usage_in_bytes': '4096\n',
      'memory/docker/abc/memory.stat': 'total_cache 1\n',
      'pids/docker/abc/pids.current': '1\n',
      'blkio/docker/abc/blkio.time_recursive': '8:0 3\n',
    })
    const problems: string[] = []
    const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: '' })
    const collector = new CgroupV1Collector({ fs: fake.fs, clock: fakeClock(), hierarchy, cgroup: CGROUP, driver: 'cgroupfs', onProblem: (line) => problems.push(line) })
    const columns = ['cpu.usage.total', 'memory.usage.current', 'memory.cache', 'pids.current', 'blkio.time']
    expect(columns.map((column) => cell(collector, tick(collector), column))).toEqual(['5', '4096', '1', '1', '3'])

    fake.remove(CGROUP, ['memory'])
    for (let i = 0; i < 2; i++) {
      expect(columns.map((column) => cell(collector, tick(collector), column))).toEqual(['5', '', '', '1', '3'])
    }
    expect(collector.error).toBeNull()
    expect(problems).toEqual([
      `cgroup ${CGROUP}: /sys/fs/cgroup/memory/${CGROUP} was removed (reading /sys/fs/cgroup/memory/${CGROUP}/memory.usage_in_bytes failed with ENODEV); its cells are left empty, the rest is still collected`,
    ])

    fake.remove(CGROUP, ['pids', 'blkio'])
    expect(columns.map((column) => cell(collector, tick(collector), column))).toEqual(['5', '', '', '', ''])
    expect(problems).toHaveLength(3)
    fake.remove(CGROUP, ['cpu,cpuacct'])
    expect(tick(collector)).toBeNull()
    expect(collector.error!.message).toContain(`cgroup ${CGROUP} is gone`)
    expect(problems).toHaveLength(3)
  })
})

describe('cpu.usage.* from cpuacct.usage_percpu and cpuacct.usage_all', () => {
  const CPUACCT = `cpu,cpuacct/${CGROUP}`
  /** The other three files hold values the sums must not take. */
  const decoys = {
    [`${CPUACCT}/cpuacct.usage`]: '999\n',
    [`${CPUACCT}/cpuacct.usage_user`]: '998\n',
    [`${CPUACCT}/cpuacct.usage_sys`]: '997\n',
  }
  const cpuCells = (collector: CgroupV1Collector, cells: string[] | null) =>
    ['cpu.usage.total', 'cpu.usage.system', 'cpu.usage.user', 'cpu.usage.percpu'].map((column) => cell(collector, cells, column))

  function withProblems(files: Record<string, string>) {
    const fake = host(files)
    const problems: string[] = []
    const opened: string[] = []
    const fs: FileSystem = { ...fake.fs, openSync: ((path: string, ...rest: unknown[]) => (opened.push(path), (fake.fs.openSync as (...a: unknown[]) => number)(path, ...rest))) as FileSystem['openSync'] }
    const hierarchy = detectHierarchy({ root: fake.root, fs, mountinfo: '' })
    const collector = new CgroupV1Collector({ fs, clock: fakeClock(), hierarchy, cgroup: CGROUP, driver: null, onProblem: (line) => problems.push(line) })
    return { fake, collector, problems, opened }
  }

  test('the total is the per-CPU sum, user and system the column sums, exactly past 2^53; the three files are not opened', () => {
    const { collector, problems, opened } = withProblems({
      ...decoys,
      [`${CPUACCT}/cpuacct.usage_percpu`]: '9007199254740993 7 \n',
      [`${CPUACCT}/cpuacct.usage_all`]: 'cpu user system\n0 9007199254740993 2\n1 3 4\n',
    })
    expect(cpuCells(collector, tick(collector))).toEqual(['9007199254741000', '6', '9007199254740996', '9007199254740993 7'])
    expect(opened.filter((path) => /cpuacct\.usage(_user|_sys)?$/.test(path))).toEqual([])
    expect(problems).toEqual([])
  })

  test('columns are found by the header, in any order', () => {
    const { collector } = withProblems({
      [`${CPUACCT}/cpuacct.usage_percpu`]: '1 2 \n',
      [`${CPUACCT}/cpuacct.usage_all`]: 'cpu system guest user\n0 10 0 20\n1 30 0 40\n',
    })
    expect(cpuCells(collector, tick(collector))).toEqual(['3', '40', '60', '1 2'])
  })

  test('without usage_percpu and usage_all (an old kernel), the kernel’s own three files are read', () => {
    const { collector, opened } = withProblems(decoys)
    expect(cpuCells(collector, tick(collector))).toEqual(['999', '997', '998', ''])
    expect(opened.filter((path) => /cpuacct\.usage(_user|_sys)?$/.test(path))).toHaveLength(3)
  })

  test.each([
    ['a missing column', 'cpu user\n0 1\n1 2\n', 'has no `system` column'],
    ['a short line', 'cpu user system\n0 1 2\n1 3\n', 'of 2 columns, not 3'],
    ['a long line', 'cpu user system\n0 1 2 9\n1 3 4\n', 'of 4 columns, not 3'],
    ['a value that is not a number', 'cpu user system\n0 1 2\n1 3 -4\n', 'not one 64-bit number per column'],
    ['a value past 2^64 - 1', 'cpu user system\n0 1 18446744073709551616\n1 3 4\n', 'not one 64-bit number per column'],
    ['more CPUs than usage_percpu lists', 'cpu user system\n0 1 2\n1 3 4\n2 5 6\n', 'more than 2 lines'],
    ['CRLF line ends', 'cpu user system\r\n0 1 2\r\n1 3 4\r\n', 'has no `system` column'],
  ])('usage_all with %s leaves user and system empty, reported once', (_, content, problem) => {
    const { fake, collector, problems } = withProblems({ [`${CPUACCT}/cpuacct.usage_percpu`]: '1 2 \n', [`${CPUACCT}/cpuacct.usage_all`]: content })
    expect(cpuCells(collector, tick(collector))).toEqual(['3', '', '', '1 2'])
    expect(cpuCells(collector, tick(collector))).toEqual(['3', '', '', '1 2'])
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(`${CGROUP}/cpuacct.usage_all`)
    expect(problems[0]).toContain(problem)
    fake.write(`${CPUACCT}/cpuacct.usage_all`, 'cpu user system\n0 1 2\n1 3 4\n')
    expect(cpuCells(collector, tick(collector))).toEqual(['3', '6', '4', '1 2'])
  })

  test('a per-CPU sum past 2^64 - 1 leaves the total empty (reported once) and keeps the list', () => {
    const { collector, problems } = withProblems({ [`${CPUACCT}/cpuacct.usage_percpu`]: '18446744073709551615 1 \n' })
    expect(cpuCells(collector, tick(collector))).toEqual(['', '', '', '18446744073709551615 1'])
    expect(problems).toEqual([expect.stringContaining('sum over CPUs passes 2^64 - 1; cpu.usage.total is left empty')])
  })

  test('a usage_percpu that is not a list leaves the total and the list empty', () => {
    const { collector } = withProblems({ [`${CPUACCT}/cpuacct.usage_percpu`]: '12 ab 7\n', [`${CPUACCT}/cpuacct.usage_all`]: 'cpu user system\n0 1 2\n1 3 4\n2 5 6\n' })
    // Three values counted at open (the list's tokens), so usage_all's three lines are within bounds.
    expect(cpuCells(collector, tick(collector))).toEqual(['', '12', '9', ''])
  })
})
