/**
 * Rootful Podman with its systemd cgroup manager on cgroup v2: a container's cgroup is
 * `machine.slice/libpod-<id>.scope`, which `radvisor run cgroup` finds with its default
 * patterns. Values are checked against the kernel's files, exactly while the container is paused.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { busyboxTarball, IMAGE } from '../_docker.ts'
import {
  coresUsed,
  column,
  expectPressureAndEvents,
  header,
  kernelValue,
  last,
  radvisor,
  readLog,
  run,
  stopRadvisor,
  waitForLog,
} from '../_guest.ts'

const NAME = 'radvisor-vm-podman-busy'

beforeAll(async () => {
  const tarball = await busyboxTarball()
  await run('podman', 'import', '--change', 'CMD ["sh"]', tarball, IMAGE)
  fs.rmSync(tarball)
}, 120_000)
afterAll(async () => {
  await run('podman', 'rm', '-f', NAME).catch(() => {})
}, 60_000)

test('podman runs rootful with the systemd cgroup manager on cgroup v2', async () => {
  expect(await run('podman', 'info', '--format', '{{.Host.CgroupManager}} {{.Host.CgroupsVersion}}')).toBe('systemd v2')
})

test('run cgroup finds machine.slice/libpod-<id>.scope: 0.2 cores, CpuQuota 0.2, memory.max, rows equal to the kernel when paused', async () => {
  const id = await run('podman', 'run', '-d', '--name', NAME, '--network', 'none', '--cpus', '0.2', '-m', '64m', IMAGE, 'sh', '-c', 'while :; do :; done')
  expect(id).toMatch(/^[0-9a-f]{64}$/)
  const cgroup = `machine.slice/libpod-${id}.scope`
  const target = `machine.slice+libpod-${id}.scope`
  const directory = fs.mkdtempSync('/tmp/radvisor-vm-podman-')
  const collector = radvisor(['run', 'cgroup', '-d', directory, '--poll', '500ms', '--flush-every', '200ms', '--color', 'never'])
  try {
    const running = readLog(await waitForLog(directory, target, 40, 90_000))
    const { CollectorMetadata, Metadata } = header(running)
    expect(CollectorMetadata.Cgroup).toBe(cgroup)
    expect(CollectorMetadata.CpuQuota).toBe(0.2)
    expect(Metadata.Path).toBe(cgroup)
    expect(coresUsed(running)).toBeWithin(0.12, 0.23)
    expect(Number(last(running, 'cpu.stat/nr_throttled'))).toBeGreaterThan(Number(column(running, 'cpu.stat/nr_throttled')[0]))
    for (const value of column(running, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    expectPressureAndEvents(cgroup)

    await run('podman', 'pause', NAME)
    const rows = running.rows.length
    const paused = readLog(await waitForLog(directory, target, rows + 10, 30_000))
    expect(last(paused, 'cpu.stat/usage_usec')).toBe(kernelValue(cgroup, 'cpu.stat', 'usage_usec'))
    expect(last(paused, 'cpu.stat/nr_throttled')).toBe(kernelValue(cgroup, 'cpu.stat', 'nr_throttled'))
    expect(last(paused, 'pids.current')).toBe(kernelValue(cgroup, 'pids.current'))
  } finally {
    await stopRadvisor(collector)
  }
}, 240_000)
