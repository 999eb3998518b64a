/**
 * A Docker engine of the guest's own for the guest tests, on either cgroup driver: dockerd
 * with vfs storage and no networking (like scripts/dockerd.sh on the host), a state folder
 * per engine, and `radvisor-busybox:latest` imported from the guest's static busybox (no
 * registry is reachable). The tests talk to it through the Engine API over its socket: under
 * emulation every run of the docker CLI costs seconds.
 */
import { type Subprocess, spawn } from 'bun'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { run } from './_guest.ts'

export const IMAGE = 'radvisor-busybox:latest'

export interface ContainerOptions {
  readonly name: string
  readonly cmd: string[]
  /** Cores, as `docker run --cpus`. */
  readonly cpus?: number
  /** Bytes, as `docker run -m`. */
  readonly memory?: number
}

export interface Engine {
  /** `unix://…` of its socket, for `--docker-host`. */
  readonly host: string
  /** An Engine API call; returns the parsed JSON answer (null for none), throws on an error status. */
  api(method: string, path: string, body?: unknown): Promise<any>
  /** `docker run -d --network none`: creates and starts a container, returns its id. */
  start(options: ContainerOptions): Promise<string>
  /** Removes every container and stops the engine. */
  stop(): Promise<void>
}

export async function startDockerd(driver: 'systemd' | 'cgroupfs'): Promise<Engine> {
  const state = `/run/radvisor-vm-docker-${driver}`
  fs.mkdirSync(state, { recursive: true })
  const socket = join(state, 'docker.sock')
  const logFile = join(state, 'dockerd.log')
  const daemon: Subprocess = spawn(
    [
      'dockerd', '--storage-driver=vfs', '--iptables=false', '--ip6tables=false', '--bridge=none',
      '--data-root', `/var/lib/radvisor-vm-docker-${driver}`, '--exec-root', join(state, 'exec'),
      '--pidfile', join(state, 'dockerd.pid'), '-H', `unix://${socket}`,
      // systemd is dockerd's default on a systemd host with cgroup v2: leave it to that default.
      ...(driver === 'cgroupfs' ? ['--exec-opt', 'native.cgroupdriver=cgroupfs'] : []),
    ],
    { stdout: Bun.file(logFile), stderr: Bun.file(logFile) },
  )

  async function api(method: string, path: string, body?: unknown): Promise<any> {
    const raw = body instanceof Uint8Array
    const response = await fetch(`http://docker${path}`, {
      unix: socket,
      method,
      ...(body !== undefined && {
        body: raw ? body : JSON.stringify(body),
        headers: { 'content-type': raw ? 'application/x-tar' : 'application/json' },
      }),
    } as RequestInit)
    const text = await response.text()
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.trim()}`)
    return text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null
  }

  const deadline = performance.now() + 180_000
  while (!(await api('GET', '/_ping').then(() => true, () => false))) {
    if (daemon.exitCode !== null || performance.now() > deadline) {
      daemon.kill()
      throw new Error(`dockerd (${driver}) did not answer: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`)
    }
    await Bun.sleep(200)
  }
  const info = await api('GET', '/info')
  if (`${info.CgroupDriver} ${info.CgroupVersion}` !== `${driver} 2`) {
    throw new Error(`dockerd runs with cgroup driver ${info.CgroupDriver} on cgroup v${info.CgroupVersion}, not ${driver} on v2`)
  }
  const tarball = await busyboxTarball()
  const [repo, tag] = IMAGE.split(':')
  await api('POST', `/images/create?fromSrc=-&repo=${repo}&tag=${tag}&changes=${encodeURIComponent('CMD ["sh"]')}`, fs.readFileSync(tarball))
  fs.rmSync(tarball)

  return {
    host: `unix://${socket}`,
    api,
    async start({ name, cmd, cpus, memory }) {
      const hostConfig = { NetworkMode: 'none', ...(cpus && { NanoCpus: Math.round(cpus * 1e9) }), ...(memory && { Memory: memory }) }
      const { Id } = await api('POST', `/containers/create?name=${name}`, { Image: IMAGE, Cmd: cmd, HostConfig: hostConfig })
      await api('POST', `/containers/${Id}/start`)
      return Id as string
    },
    async stop() {
      const containers = await api('GET', '/containers/json?all=1').catch(() => [])
      for (const { Id } of containers) await api('DELETE', `/containers/${Id}?force=1`).catch(() => {})
      daemon.kill()
      await daemon.exited
    },
  }
}

/** A tarball of the guest's static busybox and its applets: `docker import` or `podman import` makes it `radvisor-busybox:latest`. */
export async function busyboxTarball(): Promise<string> {
  const rootfs = fs.mkdtempSync('/tmp/radvisor-vm-image-')
  fs.mkdirSync(join(rootfs, 'bin'))
  for (const folder of ['dev', 'proc', 'sys', 'tmp', 'etc']) fs.mkdirSync(join(rootfs, folder))
  fs.copyFileSync('/bin/busybox', join(rootfs, 'bin/busybox'))
  fs.chmodSync(join(rootfs, 'bin/busybox'), 0o755)
  for (const applet of ['sh', 'sleep', 'head', 'cat', 'true']) fs.symlinkSync('busybox', join(rootfs, 'bin', applet))
  const tarball = `${rootfs}.tar`
  await run('tar', '-C', rootfs, '-cf', tarball, '.')
  fs.rmSync(rootfs, { recursive: true })
  return tarball
}
