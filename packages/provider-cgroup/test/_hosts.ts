import type { Clock } from '@radvisor/core'
import { createFakeCgroupFs, type FakeCgroupFs } from '@radvisor/testing'

/** Where the fake hosts mount their cgroup tree and /proc. */
export const ROOT = '/sys/fs/cgroup'
export const PROC = '/proc'

export const DOCKER_ID = 'a'.repeat(64)
const POD_UID = '0f4c2a1e-5b6d-4c3e-9a8b-7d6e5f4a3b2c'
export const POD_SLICE = `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll('-', '_')}.slice`

/** A fixed clock: polls in these tests need a time, never a waiting one. */
export const fixedClock: Clock = { now: () => 1_700_000_000_123.5, monotonic: () => 0 }

/** The cgroups of a systemd host running Docker and a Kubernetes pod, with their `cgroup.procs`. */
const hostCgroups: Record<string, string> = {
  '': '1\n100\n101\n200\n',
  'system.slice': '',
  'system.slice/ssh.service': '100\n101\n',
  'system.slice/systemd-journald.service': '',
  [`system.slice/docker-${DOCKER_ID}.scope`]: '200\n',
  'system.slice/var-lib.mount': '',
  'user.slice/user-1000.slice/session-1.scope': '',
  [POD_SLICE]: '',
  [`${POD_SLICE}/cri-containerd-${'b'.repeat(64)}.scope`]: '',
}

/** Files under a hierarchy folder (`''` for the root): each cgroup's `cgroup.procs` and one accounting file. */
function hierarchyFiles(folder: string, accountingFile: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const [path, procs] of Object.entries(hostCgroups)) {
    const prefix = [folder, path].filter(Boolean).join('/')
    files[`${prefix ? `${prefix}/` : ''}cgroup.procs`] = procs
    files[`${prefix ? `${prefix}/` : ''}${accountingFile}`] = '1\n'
  }
  return files
}

/** Adds the command names of the hosts' processes under /proc. */
function withProcesses(host: FakeCgroupFs): FakeCgroupFs {
  const names: Record<number, string> = { 1: 'systemd', 100: 'sshd', 101: 'sshd', 200: 'nginx' }
  for (const [pid, name] of Object.entries(names)) {
    host.fs.mkdirSync(`${PROC}/${pid}`, { recursive: true })
    host.fs.writeFileSync(`${PROC}/${pid}/comm`, `${name}\n`)
  }
  return host
}

/** A unified (v2 only) host. */
export function v2Host(): FakeCgroupFs {
  return withProcesses(
    createFakeCgroupFs({ 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n', ...hierarchyFiles('', 'cpu.stat') }),
  )
}

const accountingFiles: Record<string, string> = {
  cpu: 'cpu.shares',
  cpuacct: 'cpuacct.usage',
  pids: 'pids.max',
  memory: 'memory.usage_in_bytes',
  blkio: 'blkio.weight',
}

/**
 * A v1 host with one folder per controller (`controllers`), each holding the same cgroups;
 * with `unified`, a hybrid host with a v2 `unified/` mount beside them.
 */
export function v1Host(controllers = Object.keys(accountingFiles), unified = false): FakeCgroupFs {
  let files: Record<string, string> = {}
  for (const controller of controllers) files = { ...files, ...hierarchyFiles(controller, accountingFiles[controller]!) }
  // A cgroup that exists in the memory hierarchy only must not become a target.
  if (controllers.includes('memory')) files['memory/process_api/x/cgroup.procs'] = ''
  if (unified) {
    Object.assign(files, { 'unified/cgroup.controllers': '', 'unified/cgroup.procs': '1\n', 'unified/init.scope/cgroup.procs': '1\n' })
  }
  return withProcesses(createFakeCgroupFs(files))
}
