import { describe, expect, test } from 'bun:test'
import { type FileSystem, memoryLogger } from '@radvisor/core'
import { createFakeCgroupFs, type FakeCgroupFs } from '@radvisor/testing'
import {
  CgroupV1Collector,
  CgroupV2Collector,
  createCollectorFactory,
  detectHierarchy,
  NETWORK_COLUMNS,
  NetworkNamespaces,
  V1_COLUMNS,
  V1_EXTENDED_COLUMNS,
  V2_COLUMNS,
  V2_EXTENDED_COLUMNS,
} from '../src/index.ts'
import { cell, fakeClock, target, tick } from './_support.ts'

// The extended columns on the fake cgroupfs: pressure (PSI) totals, memory events, and the
// network counters of the target's network namespace from a fake /proc.

const V2 = 'system.slice/docker-abc.scope'
const V1 = 'docker/abc'
const HOST = 'net:[4026531840]'
const OWN = 'net:[4026532999]'
const HEADINGS =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n'

/** A `net/dev` line as Linux 6.x prints it: receive bytes packets errs drop …, transmit bytes packets errs drop …. */
function device(name: string, rx: readonly (number | bigint)[], tx: readonly (number | bigint)[]): string {
  const widths = [7, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10]
  const values = [...rx, 0, 0, 0, 0, ...tx, 0, 0, 0, 0]
  return `${name.padStart(6)}: ${values.map((value, i) => String(value).padStart(widths[i]!)).join(' ')}\n`
}
const LOOPBACK = device('lo', [9999, 99, 0, 0], [9999, 99, 0, 0])

function v2Host(files: Record<string, string>, procs = '') {
  const tree: Record<string, string> = { 'cgroup.controllers': 'cpu io memory pids\n', [`${V2}/cgroup.procs`]: procs, [`${V2}/cpu.stat`]: 'usage_usec 1\n' }
  for (const [name, content] of Object.entries(files)) tree[name.includes('/') ? name : `${V2}/${name}`] = content
  const fake = createFakeCgroupFs(tree)
  fake.addProcess(1, { netns: HOST })
  return fake
}

function v2Collector(fake: FakeCgroupFs, wrap: (fs: FileSystem) => FileSystem = (fs) => fs) {
  const problems: string[] = []
  const fs = wrap(fake.fs)
  const clock = fakeClock()
  const network = new NetworkNamespaces(fs, fake.procRoot, (message) => problems.push(message))
  const collector = new CgroupV2Collector({
    fs,
    clock,
    hierarchy: detectHierarchy({ root: fake.root, fs: fake.fs }),
    cgroup: V2,
    driver: 'systemd',
    onProblem: (message) => problems.push(message),
    network,
  })
  return { collector, problems, clock }
}

/** The cells of `columns` in one tick. */
function cells(collector: CgroupV2Collector | CgroupV1Collector, columns: readonly string[]): (string | undefined)[] {
  const row = tick(collector)
  return columns.map((column) => cell(collector, row, column))
}

/** Counts the calls of an fs method, and the paths they were given. */
function recording(fs: FileSystem, method: 'openSync' | 'readFileSync' | 'readlinkSync'): { fs: FileSystem; paths: string[] } {
  const paths: string[] = []
  const original = fs[method] as (...args: unknown[]) => unknown
  return { fs: { ...fs, [method]: (path: unknown, ...rest: unknown[]) => (paths.push(String(path)), original(path, ...rest)) } as FileSystem, paths }
}

const PRESSURE = ['cpu', 'memory', 'io'].flatMap((resource) => [`${resource}.pressure/some_total`, `${resource}.pressure/full_total`])

describe('pressure stall totals', () => {
  test('v2: the total= of some and full of each file, in µs, digit for digit', () => {
    const { collector, problems } = v2Collector(
      v2Host({
        'cpu.pressure': 'some avg10=61.20 avg60=12.40 avg300=3.10 total=18446744073709551615\nfull avg10=14.80 avg60=3.00 avg300=0.74 total=51234\n',
        'memory.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=2210\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1875\n',
        'io.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
      }),
    )
    expect(cells(collector, PRESSURE)).toEqual(['18446744073709551615', '51234', '2210', '1875', '0', '0'])
    expect(problems).toEqual([])
  })

  test('v2: a kernel without the full line (cpu before 5.13) or without PSI gives empty cells, not zeros, and no report', () => {
    const { collector, problems } = v2Collector(v2Host({ 'cpu.pressure': 'some avg10=0.10 avg60=0.02 avg300=0.00 total=35521\n' }))
    expect(cells(collector, PRESSURE)).toEqual(['35521', '', '', '', '', ''])
    expect(problems).toEqual([])
  })

  test('v2: garbage, a value past 2^64 - 1, and a line of another shape are empty cells, each file reported once', () => {
    const fake = v2Host({
      'cpu.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=18446744073709551616\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n',
      'memory.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n',
      'io.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=12 extra\nfull total=3\n',
    })
    const { collector, problems } = v2Collector(fake)
    for (let i = 0; i < 3; i++) expect(cells(collector, PRESSURE)).toEqual(['', '7', '', '', '', ''])
    expect(problems.map((line) => line.replace(/^cgroup \S+: \/sys\/fs\/cgroup\/\S+\//, ''))).toEqual([
      'cpu.pressure holds "18446744073709551616", which does not fit in 64 bits; its cell is left empty',
      'memory.pressure has a line "some avg10=0.00 avg60=0.00 avg30…" (38 bytes), not `some|full avg10=<ratio> avg60=<ratio> avg300=<ratio> total=<µs>`; its cell is left empty',
      'io.pressure has a line "some avg10=0.00 avg60=0.00 avg30…" (53 bytes), not `some|full avg10=<ratio> avg60=<ratio> avg300=<ratio> total=<µs>`; its cell is left empty',
    ])
    // A file that comes right again is read again.
    fake.write(`${V2}/memory.pressure`, 'some avg10=0.00 avg60=0.00 avg300=0.00 total=5\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=4\n')
    expect(cells(collector, PRESSURE).slice(2, 4)).toEqual(['5', '4'])
  })

  test('v1 on a hybrid host: from the same path in the v2 hierarchy; without it, empty', () => {
    const tree: Record<string, string> = {
      'cpu,cpuacct/docker/abc/cpuacct.usage': '1\n',
      'unified/cgroup.controllers': '',
      'unified/docker/abc/cpu.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=41830211\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
      'unified/docker/abc/io.pressure': 'some avg10=0.00 avg60=0.00 avg300=0.00 total=380417\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=377250\n',
      'cpu,cpuacct/docker/other/cpuacct.usage': '1\n',
    }
    const fake = createFakeCgroupFs(tree)
    const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: '' })
    expect(hierarchy.version).toBe('hybrid')
    const open = (cgroup: string) => new CgroupV1Collector({ fs: fake.fs, clock: fakeClock(), hierarchy, cgroup, driver: null })
    expect(cells(open(V1), PRESSURE)).toEqual(['41830211', '0', '', '', '380417', '377250'])
    expect(cells(open('docker/other'), PRESSURE)).toEqual(['', '', '', '', '', ''])
  })
})

describe('memory events', () => {
  const EVENTS = ['low', 'high', 'max', 'oom', 'oom_kill'].map((key) => `memory.events/${key}`)

  test('v2 memory.events: each counter by key, oom is not oom_kill, keys the columns do not have are ignored', () => {
    const { collector } = v2Collector(v2Host({ 'memory.events': 'low 0\nhigh 14\nmax 3\noom 1\noom_kill 2\noom_group_kill 0\n' }))
    expect(cells(collector, EVENTS)).toEqual(['0', '14', '3', '1', '2'])
  })

  test('v2: a kernel without memory.events, or without a key (oom_kill before 4.13), gives empty cells', () => {
    expect(cells(v2Collector(v2Host({ 'cpu.stat': 'usage_usec 1\n' })).collector, EVENTS)).toEqual(['', '', '', '', ''])
    expect(cells(v2Collector(v2Host({ 'memory.events': 'oom 1\nmax 3\nlow 0\nhigh 4\n' })).collector, EVENTS)).toEqual(['0', '4', '3', '1', ''])
  })

  test('v1 memory.oom_control: oom_kill and under_oom (oom_kill_disable is not oom_kill); missing oom_kill is empty', () => {
    const open = (content: string) => {
      const fake = createFakeCgroupFs({ 'memory/docker/abc/memory.oom_control': content, 'cpu,cpuacct/docker/abc/cpuacct.usage': '1\n' })
      return new CgroupV1Collector({ fs: fake.fs, clock: fakeClock(), hierarchy: detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: '' }), cgroup: V1, driver: null })
    }
    const columns = ['memory.oom_control/oom_kill', 'memory.oom_control/under_oom']
    expect(cells(open('oom_kill_disable 1\nunder_oom 1\noom_kill 5\n'), columns)).toEqual(['5', '1'])
    expect(cells(open('oom_kill_disable 0\nunder_oom 0\n'), columns)).toEqual(['', '0'])
    expect(cells(open('oom_kill_disable 0\nunder_oom yes\noom_kill 0\n'), columns)).toEqual(['0', ''])
  })
})

describe('network counters', () => {
  const SUMS = NETWORK_COLUMNS.slice(0, 8)

  test('sums every interface but lo, exactly, and lists each one; the header says the namespace is its own', () => {
    const fake = v2Host({}, '4242\n')
    const big = 18446744073709551615n - 5n
    fake.addProcess(4242, {
      netns: OWN,
      netDev: HEADINGS + LOOPBACK + device('eth0', [big, 3517, 1, 2], [190211, 2133, 0, 0]) + device('net1', [5, 32, 0, 1], [2048, 16, 3, 4]),
    })
    const { collector, problems } = v2Collector(fake)
    expect(collector.info.network).toBe('own')
    expect(cells(collector, NETWORK_COLUMNS)).toEqual([
      '18446744073709551615',
      '3549',
      '1',
      '3',
      '192259',
      '2149',
      '3',
      '4',
      `eth0 ${big} 3517 1 2 190211 2133 0 0;net1 5 32 0 1 2048 16 3 4`,
    ])
    expect(problems).toEqual([])
  })

  test('a namespace with only lo: zero sums, no interfaces', () => {
    const fake = v2Host({}, '7\n')
    fake.addProcess(7, { netns: OWN, netDev: HEADINGS + LOOPBACK })
    expect(cells(v2Collector(fake).collector, NETWORK_COLUMNS)).toEqual(['0', '0', '0', '0', '0', '0', '0', '0', ''])
  })

  test('long and odd interface names: 15 bytes is the most, other bytes are percent-encoded, older kernels\u2019 `name:digits` parse', () => {
    const fake = v2Host({}, '7\n')
    const lines = `${device('vethabcdef01234', [1, 1, 0, 0], [2, 2, 0, 0])}  br,0:${device('x', [3, 3, 0, 0], [4, 4, 0, 0]).slice(9)}e\u00e9:100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n`
    fake.addProcess(7, { netns: OWN, netDev: HEADINGS + LOOPBACK + lines })
    const { collector, problems } = v2Collector(fake)
    expect(cells(collector, NETWORK_COLUMNS)).toEqual([
      '104',
      '5',
      '0',
      '0',
      '206',
      '8',
      '0',
      '0',
      'vethabcdef01234 1 1 0 0 2 2 0 0;br%2C0 3 3 0 0 4 4 0 0;e%C3%A9 100 1 0 0 200 2 0 0',
    ])
    expect(problems).toEqual([])
  })

  test('a name past 15 bytes, a missing counter, garbage or a cut heading: every network cell empty, the file reported once', () => {
    const cases = [
      [device('sixteen-bytes-xx', [1, 1, 0, 0], [1, 1, 0, 0]), 'has a line "sixteen-bytes-xx:'],
      ['  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n', 'has a line "  eth0: 1 2 3 4 5'],
      ['  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n', 'has a line "  eth0: 1 2 3 4 5'],
      ['  eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 -16\n', 'holds "-16", which is not a number'],
      ['  eth0: 1 2 3 4 5 6 7 8 99999999999999999999 10 11 12 13 14 15 16\n', 'holds "99999999999999999999", which does not fit in 64 bits'],
    ] as const
    for (const [line, problem] of cases) {
      const fake = v2Host({}, '7\n')
      fake.addProcess(7, { netns: OWN, netDev: HEADINGS + LOOPBACK + line })
      const { collector, problems } = v2Collector(fake)
      for (let i = 0; i < 3; i++) expect(cells(collector, NETWORK_COLUMNS)).toEqual(Array(9).fill(''))
      expect(problems).toHaveLength(1)
      expect(problems[0]).toStartWith(`cgroup ${V2}: /proc/7/net/dev ${problem}`)
      expect(problems[0]).toEndWith('; the network cells are left empty')
    }
    const fake = v2Host({}, '7\n')
    fake.addProcess(7, { netns: OWN, netDev: `${LOOPBACK}${LOOPBACK}${device('eth0', [1, 1, 0, 0], [1, 1, 0, 0])}` })
    const { collector, problems } = v2Collector(fake)
    expect(cells(collector, NETWORK_COLUMNS)).toEqual(Array(9).fill(''))
    expect(problems[0]).toContain('where a heading belongs')
  })

  test('more than 64 interfaces: the sums count them all, network.interfaces is empty and reported once', () => {
    const fake = v2Host({}, '7\n')
    const devices = Array.from({ length: 70 }, (_, i) => device(`veth${i}`, [1000 + i, 1, 0, 0], [1, 1, 0, 0])).join('')
    fake.addProcess(7, { netns: OWN, netDev: HEADINGS + LOOPBACK + devices })
    const { collector, problems } = v2Collector(fake)
    for (let i = 0; i < 2; i++) {
      const values = cells(collector, NETWORK_COLUMNS)
      expect(values[0]).toBe(String(70 * 1000 + (69 * 70) / 2))
      expect(values[1]).toBe('70')
      expect(values[8]).toBe('')
    }
    expect(problems).toEqual([expect.stringContaining('/proc/7/net/dev lists 70 interfaces besides lo, more than the 64 network.interfaces holds')])
  })

  test('a target in the host’s namespace is not attributed: empty cells, Network: host, its net/dev never opened', () => {
    const fake = v2Host({}, '99\n')
    fake.addProcess(99, { netns: HOST, netDev: HEADINGS + LOOPBACK + device('eth0', [123456789, 1000, 0, 0], [1, 1, 0, 0]) })
    const opens = recording(fake.fs, 'openSync')
    const { collector } = v2Collector(fake, () => opens.fs)
    expect(collector.info.network).toBe('host')
    expect(cells(collector, NETWORK_COLUMNS)).toEqual(Array(9).fill(''))
    expect(opens.paths.filter((path) => path.endsWith('net/dev'))).toEqual([])
  })

  test('the host’s namespace is PID 1’s, or kthreadd’s (PID 2) where PID 1 hides it; never radvisor’s own', () => {
    const fake = v2Host({}, '99\n')
    fake.addProcess(99, { netns: 'net:[4026531833]', netDev: HEADINGS + LOOPBACK })
    fake.addProcess(2, { netns: 'net:[4026531833]' })
    fake.exitProcess(1)
    const denied: FileSystem = {
      ...fake.fs,
      readlinkSync: ((path: string, ...rest: unknown[]) => {
        if (path === '/proc/1/ns/net') throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })
        if (path.startsWith('/proc/self/')) throw new Error('radvisor’s own namespace must not be read')
        return (fake.fs.readlinkSync as (...args: unknown[]) => string)(path, ...rest)
      }) as FileSystem['readlinkSync'],
    }
    expect(v2Collector(fake, () => denied).collector.info.network).toBe('host')
  })

  test('the process exits: within a second its files are closed and another one is picked, reading cgroup.procs only then, at most once a second', () => {
    const fake = v2Host({}, '10\n11\n')
    fake.addProcess(10, { netns: OWN, netDev: HEADINGS + LOOPBACK + device('eth0', [100, 1, 0, 0], [0, 0, 0, 0]) })
    fake.addProcess(11, { netns: OWN, netDev: HEADINGS + LOOPBACK + device('eth0', [150, 2, 0, 0], [0, 0, 0, 0]) })
    const procs = recording(fake.fs, 'readFileSync')
    const { collector, clock } = v2Collector(fake, () => procs.fs)
    const listed = () => procs.paths.filter((path) => path.endsWith('cgroup.procs')).length
    expect(listed()).toBe(1)
    for (let i = 0; i < 5; i++) {
      expect(cells(collector, SUMS)[0]).toBe('100')
      clock.advance(250)
    }
    expect(listed()).toBe(1)
    // It exits: the check of the next second notices, and picks the other process.
    fake.exitProcess(10)
    fake.write(`${V2}/cgroup.procs`, '11\n')
    clock.advance(700) // 1950: the check at 1250 was the last one
    expect(cells(collector, SUMS)[0]).toBe('100')
    clock.advance(50)
    expect(cells(collector, SUMS)[0]).toBe('150')
    expect(listed()).toBe(2)
    // That one exits at once: its namespace is read on until the next check, a second after the pick.
    fake.exitProcess(11)
    fake.addProcess(12, { netns: OWN, netDev: HEADINGS + LOOPBACK + device('eth0', [170, 3, 0, 0], [0, 0, 0, 0]) })
    fake.write(`${V2}/cgroup.procs`, '12\n')
    clock.advance(500)
    expect(cells(collector, SUMS)[0]).toBe('150')
    expect(listed()).toBe(2)
    clock.advance(500)
    expect(cells(collector, SUMS)[0]).toBe('170')
    expect(listed()).toBe(3)
  })

  test('while the target has no process at all, cgroup.procs is read again after 1 s, 2 s, 4 s, then every 8 s; a process found resets that', () => {
    const fake = v2Host({})
    const procs = recording(fake.fs, 'readFileSync')
    const { collector, clock } = v2Collector(fake, () => procs.fs)
    expect(collector.info.network).toBeNull()
    const listed = () => procs.paths.filter((path) => path.endsWith('cgroup.procs')).length
    // Ticks every 50 ms for 23 s: searches at 0, 1, 3, 7, 15 and 23 s.
    const searches: number[] = []
    for (let at = 0; at <= 23_000; at += 50) {
      const before = listed()
      expect(cells(collector, SUMS)).toEqual(Array(8).fill(''))
      if (listed() > before) searches.push(at)
      clock.advance(50)
    }
    expect(searches).toEqual([1_000, 3_000, 7_000, 15_000, 23_000])
    expect(listed()).toBe(6)
    // A process appears: found at the next search (31 s), after which its exit is noticed within a second.
    fake.addProcess(12, { netns: OWN, netDev: HEADINGS + LOOPBACK + device('eth0', [7, 1, 0, 0], [0, 0, 0, 0]) })
    fake.write(`${V2}/cgroup.procs`, '12\n')
    clock.advance(31_000 - 23_050)
    expect(cells(collector, SUMS)[0]).toBe('7')
    expect(listed()).toBe(7)
    fake.exitProcess(12)
    fake.addProcess(13, { netns: OWN, netDev: HEADINGS + LOOPBACK + device('eth0', [9, 1, 0, 0], [0, 0, 0, 0]) })
    fake.write(`${V2}/cgroup.procs`, '13\n')
    clock.advance(1_000)
    expect(cells(collector, SUMS)[0]).toBe('9')
  })

  test('a pod’s cgroup holds no process itself: one of its containers’ is read', () => {
    const fake = v2Host({ [`${V2}/sandbox/cgroup.procs`]: '', [`${V2}/app/cgroup.procs`]: '31\n' })
    fake.addProcess(31, { netns: OWN, netDev: HEADINGS + LOOPBACK + device('eth0', [31, 1, 0, 0], [0, 0, 0, 0]) })
    const { collector } = v2Collector(fake)
    expect(collector.info.network).toBe('own')
    expect(cells(collector, SUMS)[0]).toBe('31')
  })

  test('closing the collector closes the process’s files (an open net/dev keeps its namespace alive)', () => {
    const fake = v2Host({}, '10\n')
    fake.addProcess(10, { netns: OWN, netDev: HEADINGS + LOOPBACK })
    const open = new Set<number>()
    const fs: FileSystem = {
      ...fake.fs,
      openSync: ((...args: unknown[]) => {
        const fd = (fake.fs.openSync as (...a: unknown[]) => number)(...args)
        if (String(args[0]).startsWith('/proc/')) open.add(fd)
        return fd
      }) as FileSystem['openSync'],
      closeSync: (fd: number) => {
        open.delete(fd)
        fake.fs.closeSync(fd)
      },
    }
    const { collector } = v2Collector(fake, () => fs)
    tick(collector)
    expect(open.size).toBe(2)
    collector.close()
    expect(open.size).toBe(0)
  })

  test('processes outside radvisor’s PID namespace (pids listed as 0), and an unreadable host namespace: one warning per run', () => {
    const fake = createFakeCgroupFs({ 'cgroup.controllers': '', 'docker/a/cgroup.procs': '0\n0\n', 'docker/b/cgroup.procs': '0\n' })
    fake.addProcess(1, { netns: HOST })
    const logger = memoryLogger('normal')
    const listed = recording(fake.fs, 'readFileSync')
    const factory = createCollectorFactory({ root: fake.root, fs: listed.fs, logger, clock: fakeClock(), procRoot: fake.procRoot })
    for (const path of ['docker/a', 'docker/b']) expect(factory.open(target({ kind: 'path', path }))!.info.network).toBeNull()
    expect(logger.lines).toEqual([expect.stringContaining('network counters are not collected: cgroup.procs lists processes that are not visible in /proc')])
    // Found once, it holds for the run: no collector lists its processes again.
    expect(listed.paths.filter((path) => path.endsWith('cgroup.procs'))).toEqual([`${fake.root}/docker/a/cgroup.procs`])

    const hidden = createFakeCgroupFs({ 'cgroup.controllers': '', 'docker/a/cgroup.procs': '5\n', 'docker/b/cgroup.procs': '6\n' })
    const denied: FileSystem = {
      ...hidden.fs,
      readlinkSync: (() => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })
      }) as FileSystem['readlinkSync'],
    }
    const warned = memoryLogger('normal')
    const factory2 = createCollectorFactory({ root: hidden.root, fs: denied, logger: warned, clock: fakeClock(), procRoot: hidden.procRoot })
    for (const path of ['docker/a', 'docker/b']) factory2.open(target({ kind: 'path', path }))
    expect(warned.lines).toEqual([
      expect.stringContaining(
        "network counters are not collected: the host's network namespace cannot be told (reading /proc/1/ns/net failed with EACCES, reading /proc/2/ns/net failed with EACCES); radvisor needs root",
      ),
    ])
  })
})

describe('--columns radvisor', () => {
  test('v1 and v2: exactly radvisor 1.4’s columns, and not one file more opened, linked or listed', () => {
    const v2Tree = v2Host({ 'cpu.pressure': 'some total=1\n', 'memory.events': 'oom 1\n', 'cpu.stat': 'usage_usec 1\n' }, '10\n')
    v2Tree.addProcess(10, { netns: OWN, netDev: HEADINGS + LOOPBACK })
    const v1Tree = createFakeCgroupFs({
      'cpu,cpuacct/docker/abc/cpuacct.usage': '1\n',
      'cpu,cpuacct/docker/abc/cgroup.procs': '10\n',
      'memory/docker/abc/memory.oom_control': 'under_oom 0\n',
      'unified/cgroup.controllers': '',
      'unified/docker/abc/cpu.pressure': 'some total=1\n',
    })
    v1Tree.addProcess(10, { netns: OWN, netDev: HEADINGS + LOOPBACK })
    for (const [fake, columns, extended] of [
      [v2Tree, V2_COLUMNS, V2_EXTENDED_COLUMNS],
      [v1Tree, V1_COLUMNS, V1_EXTENDED_COLUMNS],
    ] as const) {
      const opened = (set: 'radvisor' | 'extended') => {
        const touched: string[] = []
        const fs: FileSystem = { ...fake.fs }
        for (const method of ['openSync', 'readlinkSync', 'readFileSync'] as const) {
          const original = fake.fs[method] as (...args: unknown[]) => unknown
          ;(fs as Record<string, unknown>)[method] = (path: unknown, ...rest: unknown[]) => (touched.push(String(path)), original(path, ...rest))
        }
        const factory = createCollectorFactory({ root: fake.root, fs, logger: memoryLogger(), clock: fakeClock(), mountinfo: '', columns: set, procRoot: fake.procRoot })
        touched.length = 0
        const collector = factory.open(target({ kind: 'path', path: fake === v2Tree ? V2 : V1 }))!
        expect(collector.info.columns).toEqual(set === 'radvisor' ? columns : extended)
        expect(tick(collector)).toHaveLength(collector.info.columns.length)
        return { collector, touched: touched.filter((path) => !path.endsWith('cpu.max') && !path.endsWith('cpu.cfs_quota_us') && !path.endsWith('cpu.cfs_period_us')) }
      }
      const radvisor = opened('radvisor')
      const all = opened('extended')
      expect(radvisor.collector.info.network).toBeUndefined()
      expect(radvisor.touched.some((path) => /pressure|memory\.events|oom_control|cgroup\.procs|^\/proc\//.test(path))).toBe(false)
      expect(all.touched.filter((path) => !radvisor.touched.includes(path)).length).toBeGreaterThan(3)
    }
  })
})
