/**
 * The container image (scripts/build-image.ts, deploy/Dockerfile) on the real Docker
 * engine of `DOCKER_HOST` (or the one `scripts/dockerd.sh` runs), started the way the
 * DaemonSet starts it: the host's /sys/fs/cgroup read-only at /host/sys/fs/cgroup with
 * --cgroup-root, a read-only root filesystem, every capability dropped, the engine's
 * socket mounted (`run docker` here, as a cluster is not available), logs on a mounted
 * folder. A container started beside it must get a log there. Every container and image
 * the test makes is removed at the end, also when it fails.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BINARY_IN_IMAGE, buildImage, docker, version } from '../scripts/build-image.ts'
import { column, readLog, REPO } from './_support.ts'

/** The engine's unix socket, or why there is none. */
function findSocket(): { socket: string } | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'the image and dockerd are Linux only' }
  const fromScript = /DOCKER_HOST=unix:\/\/(\S+)/.exec(spawnSync(join(REPO, 'scripts/dockerd.sh'), ['env'], { encoding: 'utf8' }).stdout)?.[1]
  const host = process.env.DOCKER_HOST ?? (fromScript ? `unix://${fromScript}` : '')
  if (!host) return { skip: 'no DOCKER_HOST (run eval "$(scripts/dockerd.sh start)" first, as .ci/run does)' }
  if (!host.startsWith('unix://')) return { skip: `DOCKER_HOST is ${host}; the test mounts the engine's local unix socket` }
  const socket = host.slice('unix://'.length)
  if (!existsSync(socket)) return { skip: `no Docker engine at ${socket} (run eval "$(scripts/dockerd.sh start)" first)` }
  if (spawnSync('docker', ['version'], { env: { ...process.env, DOCKER_HOST: host } }).status !== 0) return { skip: `the docker CLI cannot reach ${host}` }
  process.env.DOCKER_HOST = host
  return { socket }
}

const engine = findSocket()
if ('skip' in engine) console.warn(`[image.e2e] skipping: ${engine.skip}`)

describe.skipIf('skip' in engine)('the radvisor image, run as the DaemonSet runs it', () => {
  const suffix = Math.random().toString(36).slice(2, 8)
  const tag = `radvisor:${version()}-e2e-${suffix}`
  const monitor = `radvisor-image-e2e-${suffix}`
  const busy = `radvisor-image-e2e-busy-${suffix}`
  const logs = mkdtempSync(join(tmpdir(), 'radvisor-image-e2e-'))
  const socket = 'socket' in engine ? engine.socket : ''

  beforeAll(() => {
    buildImage(tag)
  }, 120_000)

  afterAll(() => {
    for (const name of [monitor, busy]) spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' })
    spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' })
    rmSync(logs, { recursive: true, force: true })
  }, 60_000)

  test('is one layer from scratch: the binary, the libraries it loads and /tmp, with radvisor as entrypoint', () => {
    const image = JSON.parse(docker(['image', 'inspect', tag]))[0] as {
      Config: { Entrypoint: string[]; Cmd: string[]; User: string }
      RootFS: { Layers: string[] }
    }
    expect(image.Config.Entrypoint).toEqual([BINARY_IN_IMAGE])
    expect(image.Config.Cmd).toEqual(['run', 'kubernetes'])
    expect(image.RootFS.Layers).toHaveLength(1)
    expect(docker(['run', '--rm', '--network', 'none', '-m', '64m', tag, '--version'])).toBe(version())
  })

  test('logs a container started beside it, from the host cgroup tree and the mounted engine socket', async () => {
    docker([
      'run', '-d', '--name', monitor, '--network', 'none', '-m', '64m',
      '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
      '-v', '/sys/fs/cgroup:/host/sys/fs/cgroup:ro',
      '-v', `${socket}:/var/run/docker.sock`,
      '-v', `${logs}:/var/log/radvisor`,
      tag, 'run', 'docker', '--cgroup-root', '/host/sys/fs/cgroup', '-d', '/var/log/radvisor/stats',
      '-b', '1MiB', '--flush-every', '200ms', '--color', 'never', '-v',
    ])
    await until(() => logsOf(monitor).includes('Beginning collection every'), 30_000, () => `radvisor did not start:\n${logsOf(monitor)}`)
    // On a read-only root, without capabilities: the binary is root's, so its pages can be given back.
    expect(logsOf(monitor)).toMatch(/Releasing +the executable's pages after the first poll/)
    const id = docker(['run', '-d', '--name', busy, '--network', 'none', '-m', '64m', 'radvisor-busybox:latest', 'sh', '-c', 'while :; do :; done'])
    const stats = join(logs, 'stats')
    const file = () => (existsSync(stats) ? readdirSync(stats).find((name) => name.startsWith(`${id}_`)) : undefined)
    await until(() => file() !== undefined && readLog(join(stats, file()!)).rows.length >= 10, 30_000, () => `no log with 10 rows for ${id}:\n${logsOf(monitor)}`)

    docker(['stop', '--time', '20', monitor])
    expect(docker(['inspect', '--format', '{{.State.ExitCode}}', monitor])).toBe('0')
    const log = readLog(join(stats, file()!))
    expect(log.yaml).toContain('Provider: docker')
    expect(log.yaml).toContain(`Id: ${id}`)
    expect(log.yaml).toMatch(new RegExp(`Cgroup: (docker/${id}|system.slice/docker-${id}.scope)`))
    for (const row of log.rows) expect(row).toHaveLength(log.columns.length)
    // The busy loop's CPU counter moves from row to row.
    const cpuColumn = log.columns.includes('cpu.usage.total') ? 'cpu.usage.total' : 'cpu.stat/usage_usec'
    const cpu = column(log, cpuColumn).map(BigInt)
    expect(cpu.at(-1)! - cpu[0]!).toBeGreaterThan(0n)
    expect(readFileSync(join(stats, file()!), 'utf8').endsWith('\n')).toBe(true)
  }, 90_000)
})

/** What a container wrote, stdout and stderr (`docker logs` passes each through as it came). */
function logsOf(name: string): string {
  const result = spawnSync('docker', ['logs', name], { encoding: 'utf8' })
  return result.stdout + result.stderr
}

async function until(condition: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(why())
    await Bun.sleep(100)
  }
}
