import { describe, expect, test } from 'bun:test'
import { RadvisorError } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { detectHierarchy } from '../src/index.ts'

const ROOT = '/sys/fs/cgroup'

/** mountinfo of a Debian 12 host whose cpu and cpuacct are separate mounts, with v2 at unified/. */
const SEPARATE_MOUNTS = `22 28 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

/** mountinfo of an Ubuntu host with the joined cpu,cpuacct mount and optional fields. */
const JOINED_MOUNT = `25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,net_cls,net_prio
`

describe('detectHierarchy', () => {
  test('unified v2 when the root has cgroup.controllers', () => {
    const fake = createFakeCgroupFs({ 'cgroup.controllers': 'cpu io memory pids\n' })
    expect(detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: SEPARATE_MOUNTS })).toEqual({
      version: 'v2',
      root: ROOT,
      controllers: {},
      unified: ROOT,
    })
  })

  test('hybrid from mountinfo with separate cpu and cpuacct mounts', () => {
    const fake = createFakeCgroupFs({ 'cpu/': '' })
    const hierarchy = detectHierarchy({ root: ROOT, fs: fake.fs, mountinfo: SEPARATE_MOUNTS })
    expect(hierarchy).toEqual({
      version: 'hybrid',
      root: ROOT,
      controllers: {
        cpu: `${ROOT}/cpu`,
        cpuacct: `${ROOT}/cpuacct`,
        memory: `${ROOT}/memory`,
        blkio: `${ROOT}/blkio`,
        pids: `${ROOT}/pids`,
      },
      unified: `${ROOT}/unified`,
    })
  })

  test('v1 from mountinfo with the joined cpu,cpuacct mount', () => {
    const fake = createFakeCgroupFs({ 'memory/': '' })
    const hierarchy = detectHierarchy({ root: `${ROOT}/`, fs: fake.fs, mountinfo: JOINED_MOUNT })
    expect(hierarchy.version).toBe('v1')
    expect(hierarchy.controllers).toEqual({
      cpu: `${ROOT}/cpu,cpuacct`,
      cpuacct: `${ROOT}/cpu,cpuacct`,
      memory: `${ROOT}/memory`,
      net_cls: `${ROOT}/net_cls,net_prio`,
      net_prio: `${ROOT}/net_cls,net_prio`,
    })
    expect(hierarchy.unified).toBeNull()
  })

  test('reads /proc/self/mountinfo through the injected fs, and decodes escaped mount points', () => {
    const root = '/host cgroup'
    const mountinfo = '32 31 0:29 / /host\\040cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpuacct,cpu\n'
    const fake = createFakeCgroupFs({ 'cpu,cpuacct/': '' }, { root, mountinfo })
    expect(detectHierarchy({ root, fs: fake.fs }).controllers).toEqual({ cpu: `${root}/cpu,cpuacct`, cpuacct: `${root}/cpu,cpuacct` })
  })

  test('a custom root with no mounts in mountinfo is read from its folder names; real folders win over symlinks', () => {
    const fake = createFakeCgroupFs('hybrid-systemd-docker', { root: '/host/cgroup' })
    const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: SEPARATE_MOUNTS })
    expect(hierarchy).toEqual({
      version: 'hybrid',
      root: '/host/cgroup',
      controllers: {
        blkio: '/host/cgroup/blkio',
        cpu: '/host/cgroup/cpu,cpuacct',
        cpuacct: '/host/cgroup/cpu,cpuacct',
        memory: '/host/cgroup/memory',
        pids: '/host/cgroup/pids',
      },
      unified: '/host/cgroup/unified',
    })
  })

  test('separate cpu and cpuacct folders without mountinfo', () => {
    const fake = createFakeCgroupFs('v1-cgroupfs-docker')
    const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs })
    expect(hierarchy.version).toBe('v1')
    expect(hierarchy.controllers.cpu).toBe(`${ROOT}/cpu`)
    expect(hierarchy.controllers.cpuacct).toBe(`${ROOT}/cpuacct`)
  })

  test('no cgroup mount: a one-line E_CGROUP error saying what was expected where', () => {
    const fake = createFakeCgroupFs({ 'unrelated/file': 'x' })
    let error: unknown
    try {
      detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: '' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(RadvisorError)
    const { code, message } = error as RadvisorError
    expect(code).toBe('E_CGROUP')
    expect(message).not.toContain('\n')
    expect(message).toContain(`${ROOT}/cgroup.controllers`)
    expect(message).toContain('--cgroup-root')
    expect(() => detectHierarchy({ root: '/does/not/exist', fs: fake.fs, mountinfo: '' })).toThrow(RadvisorError)
  })
})
