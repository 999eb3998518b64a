import { describe, expect, test } from 'bun:test'
import { type FileSystem, memoryLogger, RadvisorError } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { CgroupV1Collector, CgroupV2Collector, createCollectorFactory } from '../src/index.ts'
import { cell, fakeClock, target, tick } from './_support.ts'

const UID = '0b6f1f0e-8d7c-4b8e-9f3a-6c2d1e5a7b90'
const ESCAPED = UID.replaceAll('-', '_')

function factoryFor(source: Parameters<typeof createFakeCgroupFs>[0], fs?: (fs: FileSystem) => FileSystem) {
  const fake = createFakeCgroupFs(source)
  const logger = memoryLogger()
  const factory = createCollectorFactory({ root: fake.root, fs: fs ? fs(fake.fs) : fake.fs, logger, clock: fakeClock() })
  return { fake, logger, factory }
}

describe('createCollectorFactory', () => {
  test('reports the driver once and then tries it first', () => {
    const probed: string[] = []
    const { logger, factory } = factoryFor(
      {
        'cpu,cpuacct/system.slice/docker-one.scope/cpuacct.usage': '1\n',
        'cpu,cpuacct/system.slice/docker-two.scope/cpuacct.usage': '2\n',
      },
      (fs) => ({ ...fs, existsSync: (path) => (probed.push(String(path)), fs.existsSync(path)) }),
    )
    expect(factory.describe!(target({ kind: 'docker', id: 'two' }))).toStartWith('/sys/fs/cgroup/cpu,cpuacct/docker/two, ')
    expect(factory.open(target({ kind: 'docker', id: 'one' }))!.info.driver).toBe('systemd')
    probed.length = 0
    const second = factory.open(target({ kind: 'docker', id: 'two' }))!
    expect(second.info).toMatchObject({ driver: 'systemd', cgroup: 'system.slice/docker-two.scope' })
    // The folders probed; the files in the one found are each asked for as they are opened.
    const found = '/sys/fs/cgroup/cpu,cpuacct/system.slice/docker-two.scope'
    expect(probed.filter((path) => !path.startsWith(`${found}/`))).toEqual([found])
    expect(factory.describe!(target({ kind: 'docker', id: 'three' }))).toBe(
      '/sys/fs/cgroup/cpu,cpuacct/system.slice/docker-three.scope, /sys/fs/cgroup/cpu,cpuacct/docker/three',
    )
    expect(logger.lines.filter((line) => line.includes('Identified'))).toEqual(['  Identified systemd as cgroup driver'])
  })

  test("a Podman scope whose processes and limits crun put in its container child is collected there", () => {
    const id = 'c'.repeat(64)
    const scope = `machine.slice/libpod-${id}.scope`
    const { factory } = factoryFor({
      'cgroup.controllers': 'cpu memory pids\n',
      [`${scope}/cpu.max`]: 'max 100000\n',
      [`${scope}/container/cpu.max`]: '20000 100000\n',
      [`${scope}/container/memory.max`]: '67108864\n',
      [`${scope}/container/cpu.stat`]: 'usage_usec 5\n',
      'machine.slice/libpod-other.scope/cpu.stat': 'usage_usec 1\n',
    })
    const collector = factory.open(target({ kind: 'path', path: scope }))!
    expect(collector.info).toMatchObject({ cgroup: `${scope}/container`, cpuQuota: 0.2 })
    expect(cell(collector, tick(collector), 'memory.max')).toBe('67108864')
    // Without a container child (runc), the scope itself.
    expect(factory.open(target({ kind: 'path', path: `machine.slice/libpod-${'d'.repeat(64)}.scope` }))).toBeNull()
  })

  test('a cgroup that does not exist yet gives null, and describe names the paths tried', () => {
    const { factory, logger } = factoryFor('v1-systemd-kubernetes')
    const pod = target({ kind: 'pod', uid: UID, qos: 'besteffort' })
    expect(factory.open(pod)).toBeNull()
    expect(factory.describe!(pod)).toBe(
      `kubepods/besteffort/pod${UID}, kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${ESCAPED}.slice` +
        ' under /sys/fs/cgroup/cpu,cpuacct, /sys/fs/cgroup/memory, /sys/fs/cgroup/pids, /sys/fs/cgroup/blkio',
    )
    expect(logger.lines).toEqual([])
  })

  test('picks the v1 collector on v1 and hybrid hosts, the v2 collector on unified ones', () => {
    const docker = (id: string) => target({ kind: 'docker', id })
    const v2 = factoryFor('v2-cgroupfs').factory
    const hybrid = factoryFor('hybrid-systemd-docker').factory
    expect(v2.hierarchy.version).toBe('v2')
    expect(hybrid.hierarchy.version).toBe('hybrid')
    const { factory: v1 } = factoryFor({ 'memory/docker/abc/memory.stat': '' })
    expect(v1.open(docker('abc'))).toBeInstanceOf(CgroupV1Collector)
    const v2Root = factoryFor({ 'cgroup.controllers': '', 'docker/abc/cpu.stat': 'usage_usec 1\n' }).factory
    expect(v2Root.open(docker('abc'))).toBeInstanceOf(CgroupV2Collector)
  })

  test('finds a pod container by listing its pod folder, also for a runtime it does not know', () => {
    const pod = `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${ESCAPED}.slice`
    const { factory } = factoryFor({
      'cgroup.controllers': 'cpu memory\n',
      [`${pod}/crio-conmon-abc.scope/cpu.stat`]: 'usage_usec 1\n',
      [`${pod}/kata-abc.scope/cpu.stat`]: 'usage_usec 2\n',
    })
    const container = factory.open(target({ kind: 'pod-container', uid: UID, qos: 'burstable', containerId: 'abc', runtime: 'kata' }))!
    expect(container.info.cgroup).toBe(`${pod}/kata-abc.scope`)
    expect(tick(container)![3]).toBe('2')
    expect(factory.open(target({ kind: 'pod-container', uid: UID, qos: 'burstable', containerId: 'def', runtime: 'cri-o' }))).toBeNull()
  })

  test('on v1, finds a cgroup that only some controllers have (a systemd unit without CPU accounting)', () => {
    const { factory } = factoryFor({
      'cpu,cpuacct/': '',
      'memory/system.slice/cron.service/memory.usage_in_bytes': '4096\n',
      'pids/system.slice/cron.service/pids.current': '2\n',
    })
    const unit = factory.open(target({ kind: 'path', path: 'system.slice/cron.service' }))!
    const cells = tick(unit)!
    expect([cells[1], cells[3], cells[12]]).toEqual(['2', '', '4096'])
  })

  test('a path locator of "/" is the root cgroup, with no driver', () => {
    const { factory, logger } = factoryFor({ 'cgroup.controllers': 'cpu\n', 'cpu.stat': 'usage_usec 77\n' })
    const root = factory.open(target({ kind: 'path', path: '/' }))!
    expect(root.info).toMatchObject({ cgroup: '/', driver: null })
    expect(tick(root)![3]).toBe('77')
    // Only that the fake file system has no /proc (so no network counters), and no warning about it.
    expect(logger.lines).toEqual([expect.stringMatching(/^ +Network network counters are not collected: .*\/proc\/1\/ns\/net failed with ENOENT/)])
  })

  test('no cgroup hierarchy at the root fails when the factory is created', () => {
    expect(() => factoryFor({ 'nothing/here': '' })).toThrow(RadvisorError)
  })
})
