import { describe, expect, test } from 'bun:test'
import { createFakeCgroupFs } from '@radvisor/testing'
import { CgroupV1Collector, CgroupV2Collector, detectHierarchy } from '../src/index.ts'
import { fakeClock } from './_support.ts'

const CGROUP = 'docker/abc'

function v1(files: Record<string, string>) {
  const tree: Record<string, string> = { 'cpuacct/docker/abc/cpuacct.usage': '1\n', 'cpu/docker/abc/cpu.stat': 'nr_periods 0\n' }
  for (const [name, content] of Object.entries(files)) tree[`cpu/${CGROUP}/${name}`] = content
  const fake = createFakeCgroupFs(tree)
  const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs, mountinfo: '' })
  return new CgroupV1Collector({ fs: fake.fs, clock: fakeClock(), hierarchy, cgroup: CGROUP, driver: 'cgroupfs' })
}

function v2(cpuMax: string | null) {
  const tree: Record<string, string> = { 'cgroup.controllers': 'cpu\n', [`${CGROUP}/cpu.stat`]: 'usage_usec 1\n' }
  if (cpuMax !== null) tree[`${CGROUP}/cpu.max`] = cpuMax
  const fake = createFakeCgroupFs(tree)
  const hierarchy = detectHierarchy({ root: fake.root, fs: fake.fs })
  return new CgroupV2Collector({ fs: fake.fs, clock: fakeClock(), hierarchy, cgroup: CGROUP, driver: null })
}

describe('the CPU quota in the collector info', () => {
  test('v1: CFS quota over period, in cores; -1 means none; unreadable files mean unknown', () => {
    expect(v1({ 'cpu.cfs_quota_us': '50000\n', 'cpu.cfs_period_us': '100000\n' }).info.cpuQuota).toBe(0.5)
    expect(v1({ 'cpu.cfs_quota_us': '-1\n', 'cpu.cfs_period_us': '100000\n' }).info.cpuQuota).toBeNull()
    expect(v1({}).info.cpuQuota).toBeUndefined()
    expect(v1({ 'cpu.cfs_quota_us': 'garbage\n', 'cpu.cfs_period_us': '100000\n' }).info.cpuQuota).toBeUndefined()
  })

  test('v2: cpu.max quota over period; max means none; a missing file means unknown', () => {
    expect(v2('150000 100000\n').info.cpuQuota).toBe(1.5)
    expect(v2('max 100000\n').info.cpuQuota).toBeNull()
    expect(v2(null).info.cpuQuota).toBeUndefined()
  })
})
