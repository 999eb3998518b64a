import { describe, expect, test } from 'bun:test'
import { RadvisorError } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { CgroupV2Collector, detectHierarchy, V2_COLUMNS, V2_EXTENDED_COLUMNS } from '../src/index.ts'
import { cell, fakeClock, tick } from './_support.ts'

const CGROUP = 'system.slice/docker-abc.scope'

function open(files: Record<string, string>, onProblem?: (message: string) => void) {
  const tree: Record<string, string> = { 'cgroup.controllers': 'cpu io memory pids\n', [`${CGROUP}/`]: '' }
  for (const [name, content] of Object.entries(files)) tree[`${CGROUP}/${name}`] = content
  const fake = createFakeCgroupFs(tree)
  const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs })
  return { fake, collector: new CgroupV2Collector({ fs: fake.fs, clock: fakeClock(), hierarchy, cgroup: CGROUP, driver: 'systemd', onProblem }) }
}

describe('CgroupV2Collector', () => {
  test('has radvisor’s 36 v2 columns', () => {
    expect(V2_COLUMNS).toHaveLength(36)
    expect(V2_COLUMNS.slice(0, 4)).toEqual(['read', 'pids.current', 'pids.max', 'cpu.stat/usage_usec'])
    expect(V2_COLUMNS.slice(-6)).toEqual(['io.stat/rbytes', 'io.stat/wbytes', 'io.stat/rios', 'io.stat/wios', 'io.stat/dbytes', 'io.stat/dios'])
  })

  test('missing files and keys give the kernel’s defaults: 0, and max for limits; the extended cells are empty', () => {
    const { collector } = open({ 'cpu.stat': 'usage_usec 1000\nuser_usec 600\nsystem_usec 400\n' })
    const cells = tick(collector)!
    expect(cells.slice(1, V2_COLUMNS.length)).toEqual(['0', 'max', '1000', '400', '600', '0', '0', '0', '0', 'max', 'max', ...Array(24).fill('0')])
    // Pressure, memory.events and network: files the kernel lacks are empty cells, not defaults.
    expect(cells.slice(V2_COLUMNS.length)).toEqual(Array(V2_EXTENDED_COLUMNS.length - V2_COLUMNS.length).fill(''))
    expect(collector.info).toMatchObject({ type: 'cgroup_v2', cgroup: CGROUP, driver: 'systemd', columnTypes: { read: { Type: 'epoch19' } } })
  })

  test('garbage is an empty cell, not the default (that would be a wrong number), reported once per file', () => {
    const problems: string[] = []
    const { collector } = open(
      { 'memory.max': 'unlimited\n', 'memory.current': '12ab\n', 'memory.stat': 'anon x\nfile 4096\n', 'pids.current': '3\n' },
      (message) => problems.push(message),
    )
    const cells = tick(collector)
    expect([cell(collector, cells, 'memory.max'), cell(collector, cells, 'memory.current')]).toEqual(['', ''])
    expect([cell(collector, cells, 'memory.stat/anon'), cell(collector, cells, 'memory.stat/file'), cell(collector, cells, 'pids.current')]).toEqual([
      '',
      '4096',
      '3',
    ])
    tick(collector)
    expect(problems.map((line) => line.replace(/ holds .*/, ''))).toEqual(
      ['memory.current', 'memory.max', 'memory.stat'].map((file) => `cgroup ${CGROUP}: /sys/fs/cgroup/${CGROUP}/${file}`),
    )
    expect(problems[0]).toBe(`cgroup ${CGROUP}: /sys/fs/cgroup/${CGROUP}/memory.current holds "12ab", which is not a number; its cell is left empty`)
  })

  test('a file that fails to read while others still do is an empty cell, not the kernel default it never showed', () => {
    const tree: Record<string, string> = { 'cgroup.controllers': 'cpu io memory pids\n', [`${CGROUP}/`]: '' }
    const files = { 'pids.current': '3\n', 'memory.max': '67108864\n', 'memory.stat': 'anon 4096\n', 'io.stat': '8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n' }
    for (const [name, content] of Object.entries(files)) tree[`${CGROUP}/${name}`] = content
    const fake = createFakeCgroupFs(tree)
    const failing = new Set<number>()
    const fs = {
      ...fake.fs,
      openSync: ((path: string, flags: string) => {
        const fd = fake.fs.openSync(path, flags)
        if (/memory\.max$|io\.stat$|memory\.stat$/.test(path)) failing.add(fd)
        return fd
      }) as typeof fake.fs.openSync,
      readSync: ((fd: number, ...rest: unknown[]) => {
        if (failing.has(fd) && broken) throw Object.assign(new Error('EIO'), { code: 'EIO' })
        return (fake.fs.readSync as (...args: unknown[]) => number)(fd, ...rest)
      }) as typeof fake.fs.readSync,
    }
    let broken = false
    const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs })
    const collector = new CgroupV2Collector({ fs, clock: fakeClock(), hierarchy, cgroup: CGROUP, driver: 'systemd' })
    const before = tick(collector)!
    expect([cell(collector, before, 'memory.max'), cell(collector, before, 'memory.stat/anon'), cell(collector, before, 'io.stat/rbytes')]).toEqual(['67108864', '4096', '1'])
    broken = true
    const after = tick(collector)!
    expect(cell(collector, after, 'pids.current')).toBe('3')
    expect([cell(collector, after, 'memory.max'), cell(collector, after, 'memory.stat/anon'), cell(collector, after, 'io.stat/rbytes')]).toEqual(['', '', ''])
  })

  test('sums io.stat per key over devices and ignores keys it does not report', () => {
    const { collector } = open({
      'io.stat':
        '8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n' +
        '8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021 cost.vrate=100.00 cost.usage=12\n',
    })
    const cells = tick(collector)
    expect(['rbytes', 'wbytes', 'rios', 'wios', 'dbytes', 'dios'].map((key) => cell(collector, cells, `io.stat/${key}`))).toEqual([
      '91889664',
      '613781504',
      '9142',
      '1605',
      '50331648',
      '3021',
    ])
  })

  test('picks memory.stat keys whatever their order (file_mapped is not file)', () => {
    const { fake, collector } = open({ 'memory.stat': 'file_mapped 8192\nfile 4096\nanon 12288\n' })
    const first = tick(collector)
    expect(['anon', 'file', 'file_mapped'].map((key) => cell(collector, first, `memory.stat/${key}`))).toEqual(['12288', '4096', '8192'])
    fake.write(`${CGROUP}/memory.stat`, 'anon 1\nextra 5\nfile 2\nfile_mapped 3\npgmajfault 4\n')
    const second = tick(collector)
    expect(['anon', 'file', 'file_mapped', 'pgmajfault'].map((key) => cell(collector, second, `memory.stat/${key}`))).toEqual(['1', '2', '3', '4'])
  })

  test('a tick whose every file reads empty gives no row and no error', () => {
    const { fake, collector } = open({ 'cpu.stat': 'usage_usec 1\n', 'memory.current': '4096\n' })
    expect(tick(collector)).not.toBeNull()
    fake.write(`${CGROUP}/cpu.stat`, '')
    fake.write(`${CGROUP}/memory.current`, '')
    expect(tick(collector)).toBeNull()
    expect(collector.error).toBeNull()
  })

  test('a removed cgroup stops collection with an error naming it', () => {
    const { fake, collector } = open({ 'cpu.stat': 'usage_usec 1\n' })
    expect(tick(collector)).not.toBeNull()
    fake.remove(CGROUP)
    expect(tick(collector)).toBeNull()
    expect(collector.error).toBeInstanceOf(RadvisorError)
    expect(collector.error!.message).toContain(CGROUP)
  })
})
