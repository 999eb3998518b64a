/**
 * `radvisor run docker` on a real cgroup v2 kernel with systemd as init, against the guest's
 * own dockerd on each cgroup driver: systemd (the default on systemd hosts,
 * `system.slice/docker-<id>.scope`) and cgroupfs (`docker/<id>`). Values are checked against
 * the kernel's files: while a container is paused its counters stand still, so radvisor's
 * rows must equal them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { type Engine, IMAGE, startDockerd } from '../_docker.ts'
import {
  coresUsed,
  column,
  expectMonotonic,
  expectPressureAndEvents,
  header,
  kernelValue,
  last,
  type Log,
  radvisor,
  readLog,
  stopRadvisor,
  waitForLog,
} from '../_guest.ts'

const drivers = [
  { driver: 'systemd', cgroup: (id: string) => `system.slice/docker-${id}.scope`, cgroupTarget: (id: string) => `system.slice+docker-${id}.scope` },
  { driver: 'cgroupfs', cgroup: (id: string) => `docker/${id}`, cgroupTarget: (id: string) => `docker+${id}` },
] as const

describe.each(drivers)('Docker with the $driver cgroup driver', ({ driver, cgroup, cgroupTarget }) => {
  let engine: Engine
  let directory = ''
  let collector: ReturnType<typeof radvisor>

  beforeAll(async () => {
    engine = await startDockerd(driver)
    directory = fs.mkdtempSync(`/tmp/radvisor-vm-docker-${driver}-`)
    // A long poll: containers are found through the event stream.
    collector = radvisor(['run', 'docker', '--docker-host', engine.host, '-d', directory, '--poll', '10s', '--flush-every', '200ms', '--color', 'never'])
    await collector.waitFor('Beginning collection every', 90_000)
  }, 240_000)

  afterAll(async () => {
    if (collector.child.exitCode === null) await stopRadvisor(collector).catch(() => collector.child.kill('SIGKILL'))
    await engine?.stop()
  }, 60_000)

  function expectHeader(log: Log, id: string): void {
    const { Provider, CollectorType, CollectorMetadata, Metadata } = header(log)
    expect(Provider).toBe('docker')
    expect(CollectorType).toBe('cgroup_v2')
    expect(CollectorMetadata.Cgroup).toBe(cgroup(id))
    expect(CollectorMetadata.CgroupDriver).toBe(driver)
    expect(Metadata.Id).toBe(id)
  }

  test('a busy --cpus 0.2 -m 64m container: 0.2 cores, throttled, CpuQuota 0.2, memory.max 64 MiB, rows equal to the kernel when paused', async () => {
    const name = `radvisor-vm-busy-${driver}`
    const id = await engine.docker('run', '-d', '--name', name, '--network', 'none', '--cpus', '0.2', '-m', '64m', IMAGE, 'sh', '-c', 'while :; do :; done')
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    const running = readLog(await waitForLog(directory, id, 40, 60_000))
    expectHeader(running, id)
    expect(header(running).CollectorMetadata.CpuQuota).toBe(0.2)
    expect(coresUsed(running)).toBeWithin(0.12, 0.23)
    expectMonotonic(running, 'cpu.stat/usage_usec')
    expectMonotonic(running, 'cpu.stat/nr_throttled')
    expect(Number(last(running, 'cpu.stat/nr_throttled'))).toBeGreaterThan(Number(column(running, 'cpu.stat/nr_throttled')[0]))
    for (const value of column(running, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    for (const value of column(running, 'pids.current')) expect(value).toBe('1')
    expectPressureAndEvents(cgroup(id))

    await engine.docker('pause', name)
    const rows = readLog(await waitForLog(directory, id, 0, 0)).rows.length
    const paused = readLog(await waitForLog(directory, id, rows + 10, 30_000))
    for (const key of ['usage_usec', 'user_usec', 'system_usec', 'nr_throttled', 'throttled_usec']) {
      expect(`${key}=${last(paused, `cpu.stat/${key}`)}`).toBe(`${key}=${kernelValue(cgroup(id), 'cpu.stat', key)}`)
    }
    expect(last(paused, 'memory.stat/anon')).toBe(kernelValue(cgroup(id), 'memory.stat', 'anon'))
    expect(last(paused, 'pids.current')).toBe(kernelValue(cgroup(id), 'pids.current'))

    await engine.docker('rm', '-f', name)
    await collector.waitFor(`Stopping collection for docker ${name}`, 15_000)
    expect(collector.child.exitCode).toBeNull()
  }, 180_000)

  test('a container that lives 300 ms gets a log with rows', async () => {
    const name = `radvisor-vm-short-${driver}`
    await engine.docker('run', '--name', name, '--network', 'none', '-m', '64m', IMAGE, 'sleep', '0.3')
    const id = await engine.docker('inspect', '--format', '{{.Id}}', name)
    await engine.docker('rm', name)
    await collector.waitFor(`Stopping collection for docker ${name}`, 15_000)
    const log = readLog(await waitForLog(directory, id, 1, 0))
    expectHeader(log, id)
    expect(column(log, 'pids.current')[0]).toBe('1')
    for (const value of column(log, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    for (const value of column(log, 'cpu.stat/usage_usec')) expect(Number(value)).toBeGreaterThan(0)
  }, 120_000)

  test(`run cgroup finds the container's ${driver} cgroup with its default patterns`, async () => {
    const name = `radvisor-vm-idle-${driver}`
    const id = await engine.docker('run', '-d', '--name', name, '--network', 'none', '-m', '64m', IMAGE, 'sleep', '600')
    const cgroupDirectory = fs.mkdtempSync(`/tmp/radvisor-vm-docker-cgroup-${driver}-`)
    const scan = radvisor(['run', 'cgroup', '-d', cgroupDirectory, '--poll', '500ms', '--flush-every', '200ms', '--color', 'never'])
    try {
      await waitForLog(cgroupDirectory, cgroupTarget(id), 10, 90_000)
    } finally {
      await stopRadvisor(scan)
    }
    const log = readLog(await waitForLog(cgroupDirectory, cgroupTarget(id), 1, 0))
    expect(header(log).CollectorMetadata.Cgroup).toBe(cgroup(id))
    expect(header(log).Metadata.Path).toBe(cgroup(id))
    // A sleeping container's counters stand still.
    expect(last(log, 'cpu.stat/usage_usec')).toBe(kernelValue(cgroup(id), 'cpu.stat', 'usage_usec'))
    expect(last(log, 'pids.current')).toBe('1')
    expect(last(log, 'memory.max')).toBe(String(64 * 1024 * 1024))
    await engine.docker('rm', '-f', name)
  }, 180_000)
})
