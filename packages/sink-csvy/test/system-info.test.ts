import { expect, test } from 'bun:test'
import { readSystemInfo } from '../src/system-info.ts'
import { fakeFs } from './_context.ts'

test('reads host facts from /proc, /sys and os-release', () => {
  const { fs } = fakeFs()
  expect(readSystemInfo(fs, () => 99)).toEqual({
    OsType: 'Linux',
    OsRelease: '6.1.0-test-amd64',
    Distribution: {
      Id: 'debian',
      IdLike: null,
      Name: 'Debian GNU/Linux',
      PrettyName: 'Debian GNU/Linux 12 (bookworm)',
      Version: '12 (bookworm)',
      VersionId: '12',
      VersionCodename: 'bookworm',
      CpeName: null,
      BuildId: null,
      Variant: null,
      VariantId: null,
    },
    MemoryTotal: 8039428,
    SwapTotal: 2097148,
    Hostname: 'node-1.example',
    CpuCount: 4,
    CpuOnlineCount: 2,
    CpuSpeed: 2596,
  })
})

test('counts CPUs in lists with ranges and singles', () => {
  const { fs } = fakeFs({ '/sys/devices/system/cpu/possible': '0-3,8,10-11\n', '/sys/devices/system/cpu/online': '0,2\n' })
  const info = readSystemInfo(fs, () => 99)
  expect([info.CpuCount, info.CpuOnlineCount]).toEqual([7, 2])
})

test('absent facts are null, CPU counts fall back, CPU speed falls back to cpufreq', () => {
  const { fs, volume } = fakeFs({ '/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq': '3500000\n' })
  for (const path of ['/proc/meminfo', '/etc/os-release', '/proc/sys/kernel/hostname', '/proc/cpuinfo']) volume.unlinkSync(path)
  for (const path of ['/sys/devices/system/cpu/possible', '/sys/devices/system/cpu/online']) volume.unlinkSync(path)
  const info = readSystemInfo(fs, () => 6)
  expect(info).toMatchObject({ Distribution: null, MemoryTotal: null, SwapTotal: null, Hostname: null, CpuCount: 6, CpuOnlineCount: 6, CpuSpeed: 3500 })
})

test('os-release values keep escaped quotes and unquoted values', () => {
  const { fs } = fakeFs({ '/etc/os-release': 'NAME="Say \\"hi\\""\nID_LIKE=\'rhel fedora\'\nVARIANT=Server\n' })
  expect(readSystemInfo(fs).Distribution).toMatchObject({ Name: 'Say "hi"', IdLike: 'rhel fedora', Variant: 'Server' })
})
