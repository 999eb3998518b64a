import { describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { detectHierarchy } from '@radvisor/cgroup'
import { BenchCgroups } from '../_cgroups.ts'

const root = '/sys/fs/cgroup'
const reason =
  process.platform !== 'linux' || process.getuid?.() !== 0
    ? 'needs root on Linux'
    : !fs.existsSync(`${root}/cgroup.controllers`) && !fs.existsSync(`${root}/cpuacct`) && !fs.existsSync(`${root}/pids`)
      ? `no cgroup tree at ${root}`
      : null
if (reason) console.warn(`bench cgroup test skipped: ${reason}`)

describe.skipIf(reason !== null)('BenchCgroups (real kernel)', () => {
  test('creates Docker-style cgroups under each controller, busy processes outside memory, and removes it all', async () => {
    const hierarchy = detectHierarchy({ root, fs })
    const cgroups = new BenchCgroups(hierarchy)
    const scratch = fs.mkdtempSync(join(tmpdir(), 'bench-test-'))
    const bases = hierarchy.version === 'v2' ? [hierarchy.unified!] : ['pids', 'cpuacct', 'memory'].map((c) => hierarchy.controllers[c]!)
    try {
      cgroups.grow(2)
      cgroups.grow(3)
      expect(cgroups.paths).toHaveLength(3)
      for (const path of cgroups.paths) {
        expect(path).toMatch(new RegExp(`^${cgroups.group}/[0-9a-f]{64}$`))
        for (const base of bases) expect(fs.existsSync(join(base, path))).toBe(true)
      }
      expect(cgroups.startBusyProcesses(scratch) === null).toBe(hierarchy.version !== 'v2' && Bun.which('perl') !== null)
      if (hierarchy.version !== 'v2' && Bun.which('perl')) {
        const procs = (controller: string) => fs.readFileSync(join(hierarchy.controllers[controller]!, cgroups.paths[0]!, 'cgroup.procs'), 'utf8').trim()
        expect(procs('pids')).toMatch(/^\d+/)
        expect(procs('cpuacct')).toMatch(/^\d+/)
        expect(procs('memory')).toBe('')
      }
    } finally {
      expect(await cgroups.remove()).toEqual([])
      fs.rmSync(scratch, { recursive: true, force: true })
    }
    for (const base of bases) expect(fs.existsSync(join(base, cgroups.group))).toBe(false)
  })
})

// On v2 a process of a bench cgroup would join its memory controller: no namespaces there.
const networkReason = reason ?? (fs.existsSync(`${root}/cgroup.controllers`) ? 'a cgroup v2 host' : !Bun.which('ip') ? 'no ip (iproute2)' : null)
if (networkReason && !reason) console.warn(`bench network namespace test skipped: ${networkReason}`)

describe.skipIf(networkReason !== null)('BenchCgroups network namespaces (real kernel)', () => {
  test('each cgroup gets a namespace of its own with lo, eth0 and its peer, a process of it joins the cgroup, and all is removed', async () => {
    const hierarchy = detectHierarchy({ root, fs })
    const cgroups = new BenchCgroups(hierarchy, { alsoUnified: true })
    const namespaces = () => new TextDecoder().decode(Bun.spawnSync(['ip', 'netns', 'list']).stdout)
    try {
      cgroups.grow(2)
      expect(await cgroups.giveNetworkNamespaces(2)).toBeNull()
      for (const path of cgroups.paths) {
        const [pid] = fs.readFileSync(join(hierarchy.controllers.cpuacct!, path, 'cgroup.procs'), 'utf8').trim().split('\n')
        expect(fs.readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(fs.readlinkSync('/proc/self/ns/net'))
        const devices = fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2).filter(Boolean).map((line) => line.split(':')[0]!.trim())
        expect(devices.sort()).toEqual(['eth0', 'lo', 'peer0'])
        if (hierarchy.unified) expect(fs.existsSync(join(hierarchy.unified, path, 'cpu.pressure'))).toBe(true)
      }
      expect(namespaces()).toContain(`${cgroups.group}-1`)
    } finally {
      expect(await cgroups.remove()).toEqual([])
    }
    expect(namespaces()).not.toContain(cgroups.group)
  }, 30_000)
})
