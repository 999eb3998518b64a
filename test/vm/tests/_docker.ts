/**
 * A Docker engine of the guest's own for the guest tests, on either cgroup driver: dockerd
 * with vfs storage and no networking (like scripts/dockerd.sh on the host), a state folder
 * per engine, and `radvisor-busybox:latest` imported from the guest's static busybox (no
 * registry is reachable).
 */
import { type Subprocess, spawn } from 'bun'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { run } from './_guest.ts'

export const IMAGE = 'radvisor-busybox:latest'

export interface Engine {
  /** `unix://…` of its socket, for `--docker-host` and the docker CLI. */
  readonly host: string
  /** Runs the docker CLI against this engine; returns trimmed stdout. */
  docker(...args: string[]): Promise<string>
  /** Removes every container and stops the engine. */
  stop(): Promise<void>
}

export async function startDockerd(driver: 'systemd' | 'cgroupfs'): Promise<Engine> {
  const state = `/run/radvisor-vm-docker-${driver}`
  fs.mkdirSync(state, { recursive: true })
  const socket = join(state, 'docker.sock')
  const host = `unix://${socket}`
  const logFile = join(state, 'dockerd.log')
  const daemon: Subprocess = spawn(
    [
      'dockerd', '--storage-driver=vfs', '--iptables=false', '--ip6tables=false', '--bridge=none',
      '--data-root', `/var/lib/radvisor-vm-docker-${driver}`, '--exec-root', join(state, 'exec'),
      '--pidfile', join(state, 'dockerd.pid'), '-H', host,
      // systemd is dockerd's default on a systemd host with cgroup v2: leave it to that default.
      ...(driver === 'cgroupfs' ? ['--exec-opt', 'native.cgroupdriver=cgroupfs'] : []),
    ],
    { stdout: Bun.file(logFile), stderr: Bun.file(logFile) },
  )
  const docker = (...args: string[]) => run('docker', '-H', host, ...args)
  const deadline = performance.now() + 120_000
  while ((await docker('version', '--format', '{{.Server.Version}}').catch(() => '')) === '') {
    if (daemon.exitCode !== null || performance.now() > deadline) {
      daemon.kill()
      throw new Error(`dockerd (${driver}) did not answer: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`)
    }
    await Bun.sleep(200)
  }
  const info = await docker('info', '--format', '{{.CgroupDriver}} {{.CgroupVersion}}')
  if (info !== `${driver} 2`) throw new Error(`dockerd runs with cgroup driver and version '${info}', not '${driver} 2'`)
  await importBusybox(docker)
  return {
    host,
    docker,
    async stop() {
      const ids = await docker('ps', '-aq').catch(() => '')
      if (ids) await docker('rm', '-f', ...ids.split('\n')).catch(() => {})
      daemon.kill()
      await daemon.exited
    },
  }
}

async function importBusybox(docker: Engine['docker']): Promise<void> {
  const tarball = await busyboxTarball()
  await docker('import', '--change', 'CMD ["sh"]', tarball, IMAGE)
  fs.rmSync(tarball)
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
