/**
 * Rootful Podman with its systemd cgroup manager on cgroup v2: a container's cgroup is
 * `machine.slice/libpod-<id>.scope`, which `radvisor run cgroup` finds with its default
 * patterns. With crun (Debian's and Fedora's runtime for Podman) the container's processes and
 * limits sit one level down, in `libpod-<id>.scope/container`. Values are checked against the
 * kernel's files, exactly while the container is paused.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { busyboxTarball, IMAGE } from '../_docker.ts'
import {
  coresUsed,
  column,
  expectPressureAndEvents,
  header,
  kernelValue,
  last,
  type Log,
  radvisor,
  readLog,
  run,
  stopRadvisor,
  waitForLog,
  waitFrozen,
} from '../_guest.ts'

const NAME = 'radvisor-vm-podman-busy'
const MEMORY = 64 * 1024 * 1024

test('podman runs rootful with the systemd cgroup manager on cgroup v2', async () => {
  expect(await run('podman', 'info', '--format', '{{.Host.CgroupManager}} {{.Host.CgroupsVersion}}')).toBe('systemd v2')
})

describe('a busy --cpus 0.2 -m 64m Podman container, through run cgroup', () => {
  let id = ''
  let cgroup = ''
  let running: Log
  let paused: Log

  beforeAll(async () => {
    const tarball = await busyboxTarball()
    await run('podman', 'import', '--change', 'CMD ["sh"]', tarball, IMAGE)
    fs.rmSync(tarball)
    id = await run('podman', 'run', '-d', '--name', NAME, '--network', 'none', '--cpus', '0.2', '-m', '64m', IMAGE, 'sh', '-c', 'while :; do :; done')
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    cgroup = `machine.slice/libpod-${id}.scope`
    const target = `machine.slice+libpod-${id}.scope`
    const directory = fs.mkdtempSync('/tmp/radvisor-vm-podman-')
    const collector = radvisor(['run', 'cgroup', '-d', directory, '--poll', '500ms', '--flush-every', '200ms', '--color', 'never'])
    try {
      running = readLog(await waitForLog(directory, target, 40, 120_000))
      await run('podman', 'pause', NAME)
      // crun freezes the cgroup that holds the processes: `container` below the scope.
      await waitFrozen(fs.existsSync(`/sys/fs/cgroup/${cgroup}/container`) ? `${cgroup}/container` : cgroup)
      const rows = readLog(await waitForLog(directory, target, 0, 0)).rows.length
      await waitForLog(directory, target, rows + 10, 60_000)
    } finally {
      await stopRadvisor(collector)
    }
    paused = readLog(await waitForLog(directory, target, 1, 0))
  }, 300_000)
  afterAll(async () => {
    await run('podman', 'rm', '-f', NAME).catch(() => {})
  }, 120_000)

  test('found as machine.slice/libpod-<id>.scope, collected where crun put the container: 0.2 cores; paused, the rows equal the kernel', () => {
    const leaf = fs.existsSync(`/sys/fs/cgroup/${cgroup}/container`) ? `${cgroup}/container` : cgroup
    expect(header(running).CollectorMetadata.Cgroup).toBe(leaf)
    expect(header(running).Metadata.Path).toBe(cgroup)
    expect(coresUsed(running)).toBeWithin(0.12, 0.23)
    for (const key of ['usage_usec', 'nr_throttled', 'throttled_usec']) {
      expect(`${key}=${last(paused, `cpu.stat/${key}`)}`).toBe(`${key}=${kernelValue(leaf, 'cpu.stat', key)}`)
    }
    expect(last(paused, 'pids.current')).toBe(kernelValue(leaf, 'pids.current'))
    expect(last(paused, 'memory.stat/anon')).toBe(kernelValue(leaf, 'memory.stat', 'anon'))
    expectPressureAndEvents(leaf)
  })

  test("the container's limits show: CpuQuota 0.2, memory.max 64 MiB, its throttling", () => {
    // Where crun put them: the scope itself has none.
    const limits = fs.existsSync(`/sys/fs/cgroup/${cgroup}/container`) ? `${cgroup}/container` : cgroup
    expect(kernelValue(limits, 'cpu.max')).toBe('20000 100000')
    expect(kernelValue(limits, 'memory.max')).toBe(String(MEMORY))
    expect(Number(kernelValue(limits, 'cpu.stat', 'nr_throttled'))).toBeGreaterThan(0)
    expect(header(running).CollectorMetadata.CpuQuota).toBe(0.2)
    expect(last(running, 'memory.max')).toBe(String(MEMORY))
    expect(Number(last(running, 'cpu.stat/nr_throttled'))).toBeGreaterThan(Number(column(running, 'cpu.stat/nr_throttled')[0]))
  })
})
