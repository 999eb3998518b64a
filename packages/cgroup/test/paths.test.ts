import { describe, expect, test } from 'bun:test'
import { candidatePaths, containerCgroupNames, dockerCgroupPaths, podCgroupPaths, systemdSlicePath } from '../src/index.ts'

const UID = '6f8c2a1e-93b4-4d2a-8d1f-2b7c9e0a4f11'
const ESCAPED = '6f8c2a1e_93b4_4d2a_8d1f_2b7c9e0a4f11'

describe('cgroup paths', () => {
  test('Docker under both drivers', () => {
    expect(dockerCgroupPaths('abc')).toEqual([
      { driver: 'cgroupfs', path: 'docker/abc' },
      { driver: 'systemd', path: 'system.slice/docker-abc.scope' },
    ])
  })

  test.each([
    ['guaranteed', `kubepods/pod${UID}`, `kubepods.slice/kubepods-pod${ESCAPED}.slice`],
    ['burstable', `kubepods/burstable/pod${UID}`, `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${ESCAPED}.slice`],
    ['besteffort', `kubepods/besteffort/pod${UID}`, `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${ESCAPED}.slice`],
  ] as const)('a %s pod under both drivers', (qos, cgroupfs, systemd) => {
    expect(podCgroupPaths(UID, qos)).toEqual([
      { driver: 'cgroupfs', path: cgroupfs },
      { driver: 'systemd', path: systemd },
    ])
  })

  test('systemd slice naming escapes dashes and joins levels cumulatively', () => {
    expect(systemdSlicePath(['a-b', 'c', 'd-e'])).toBe('a_b.slice/a_b-c.slice/a_b-c-d_e.slice')
  })

  test('container folders inside a pod, per runtime, never crio-conmon', () => {
    expect(containerCgroupNames('abc', 'containerd')).toEqual(['cri-containerd-abc.scope', 'abc'])
    expect(containerCgroupNames('abc', 'cri-o')).toEqual(['crio-abc.scope', 'abc'])
    expect(containerCgroupNames('abc', 'docker')).toEqual(['docker-abc.scope', 'abc'])
    const unknown = containerCgroupNames('abc', 'something-else')
    expect(unknown).toEqual(['cri-containerd-abc.scope', 'crio-abc.scope', 'docker-abc.scope', 'abc'])
    expect(unknown.some((name) => name.startsWith('crio-conmon-'))).toBe(false)
  })

  test('candidates for every locator kind', () => {
    expect(candidatePaths({ kind: 'path', path: '/system.slice/cron.service/' })).toEqual([{ driver: null, path: 'system.slice/cron.service' }])
    expect(candidatePaths({ kind: 'path', path: '/' })).toEqual([{ driver: null, path: '' }])
    expect(candidatePaths({ kind: 'docker', id: 'abc' })).toEqual(dockerCgroupPaths('abc'))
    expect(candidatePaths({ kind: 'pod', uid: UID, qos: 'burstable' })).toEqual(podCgroupPaths(UID, 'burstable'))
    expect(candidatePaths({ kind: 'pod-container', uid: UID, qos: 'guaranteed', containerId: 'abc', runtime: 'containerd' })).toEqual([
      { driver: 'cgroupfs', path: `kubepods/pod${UID}/cri-containerd-abc.scope` },
      { driver: 'cgroupfs', path: `kubepods/pod${UID}/abc` },
      { driver: 'systemd', path: `kubepods.slice/kubepods-pod${ESCAPED}.slice/cri-containerd-abc.scope` },
      { driver: 'systemd', path: `kubepods.slice/kubepods-pod${ESCAPED}.slice/abc` },
    ])
  })
})
