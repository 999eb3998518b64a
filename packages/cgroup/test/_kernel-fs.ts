// A cgroupfs in memory that behaves like the kernel where creating and removing cgroups is
// concerned: mkdir makes a cgroup with its control files, rmdir removes it with them (EBUSY
// while it has processes or children), a pid written to cgroup.procs leaves every other
// cgroup of that hierarchy, and v2 controllers reach a cgroup only through its parent's
// cgroup.subtree_control (EBUSY for a non-root cgroup with processes).
import { join } from 'node:path'
import type { FileSystem } from '@radvisor/core'
import { createFsFromVolume, Volume } from 'memfs'

export interface KernelFsOptions {
  /** v1 mounts: folder name under the root -> controllers (`{ cpu: ['cpu'], 'cpu,cpuacct': ['cpu', 'cpuacct'] }`). */
  readonly v1?: Readonly<Record<string, readonly string[]>>
  /** A v2 mount at this folder under the root ('' for the root itself), offering these controllers. */
  readonly v2?: { readonly at: string; readonly controllers: readonly string[] }
  /** Folders (absolute) in which mkdir fails with EACCES. */
  readonly readOnly?: readonly string[]
  /** `/proc/self/cgroup` text. */
  readonly selfCgroup?: string
}

export interface KernelFs {
  readonly fs: FileSystem
  readonly root: string
  read(path: string): string
  exists(path: string): boolean
}

const ROOT = '/sys/fs/cgroup'

const MESSAGES: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EBUSY: 'resource busy or locked',
  EEXIST: 'file already exists',
  EINVAL: 'invalid argument',
  ENOENT: 'no such file or directory',
}

/** An error as node reports the kernel's: `EBUSY: resource busy or locked, rmdir '/path'`. */
function errno(code: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${MESSAGES[code]}, '${path}'`), { code })
}

export function createKernelFs(options: KernelFsOptions): KernelFs {
  const memory = createFsFromVolume(new Volume())
  const mounts = new Map<string, { v2: boolean; controllers: readonly string[] }>()
  for (const [name, controllers] of Object.entries(options.v1 ?? {})) mounts.set(join(ROOT, name), { v2: false, controllers })
  if (options.v2) mounts.set(options.v2.at ? join(ROOT, options.v2.at) : ROOT, { v2: true, controllers: options.v2.controllers })
  memory.mkdirSync('/proc/self', { recursive: true })
  memory.writeFileSync('/proc/self/cgroup', options.selfCgroup ?? '')

  const mountOf = (path: string) => {
    for (const [folder, mount] of mounts) if (path === folder || path.startsWith(`${folder}/`)) return { folder, ...mount }
    return null
  }
  /** A v2 cgroup's cgroup.controllers is its parent's cgroup.subtree_control, at every read. */
  const read = (path: string): string => {
    const mount = mountOf(path)
    const folder = path.slice(0, path.lastIndexOf('/'))
    if (mount?.v2 && path.endsWith('/cgroup.controllers') && folder !== mount.folder && memory.existsSync(path)) {
      return `${words(`${folder.slice(0, folder.lastIndexOf('/'))}/cgroup.subtree_control`).join(' ')}\n`
    }
    return String(memory.readFileSync(path, 'utf8'))
  }
  const text = (path: string): string => (memory.existsSync(path) ? read(path) : '')
  const words = (path: string): string[] => text(path).split(/\s+/).filter(Boolean)
  const hasProcesses = (folder: string): boolean => words(`${folder}/cgroup.procs`).length > 0
  const controllerFiles = (folder: string, controllers: readonly string[]): void => {
    if (controllers.includes('cpu')) {
      if (mountOf(folder)!.v2) memory.writeFileSync(`${folder}/cpu.max`, 'max 100000\n')
      else {
        memory.writeFileSync(`${folder}/cpu.cfs_period_us`, '100000\n')
        memory.writeFileSync(`${folder}/cpu.cfs_quota_us`, '-1\n')
      }
    }
    if (controllers.includes('memory')) memory.writeFileSync(`${folder}/${mountOf(folder)!.v2 ? 'memory.max' : 'memory.limit_in_bytes'}`, 'max\n')
  }
  const makeCgroup = (folder: string, parent: string | null): void => {
    const mount = mountOf(folder)!
    memory.mkdirSync(folder, { recursive: parent === null })
    memory.writeFileSync(`${folder}/cgroup.procs`, '')
    if (mount.v2) {
      const offered = parent === null ? mount.controllers : words(`${parent}/cgroup.subtree_control`)
      memory.writeFileSync(`${folder}/cgroup.controllers`, parent === null ? `${offered.join(' ')}\n` : '')
      memory.writeFileSync(`${folder}/cgroup.subtree_control`, '\n')
      memory.writeFileSync(`${folder}/cpu.stat`, 'usage_usec 0\n')
      controllerFiles(folder, offered)
    } else controllerFiles(folder, mount.controllers)
  }
  for (const folder of mounts.keys()) makeCgroup(folder, null)

  const fs = {
    ...Object.fromEntries(
      ['existsSync', 'readdirSync', 'statSync', 'lstatSync', 'accessSync', 'realpathSync'].map((name) => [
        name,
        (memory[name as 'readFileSync'] as (...args: unknown[]) => unknown).bind(memory),
      ]),
    ),
    readFileSync: (path: string) => (memory.existsSync(path) ? read(path) : memory.readFileSync(path, 'utf8')),
    mkdirSync(path: string): void {
      const mount = mountOf(path)
      if (!mount || path === mount.folder) return void memory.mkdirSync(path)
      const parent = path.slice(0, path.lastIndexOf('/'))
      if (options.readOnly?.includes(parent)) throw errno('EACCES', path)
      if (memory.existsSync(path)) throw errno('EEXIST', path)
      if (!memory.existsSync(parent)) throw errno('ENOENT', path)
      makeCgroup(path, parent)
    },
    rmdirSync(path: string): void {
      if (!memory.existsSync(path)) throw errno('ENOENT', path)
      if (!mountOf(path)) return void memory.rmdirSync(path)
      const children = (memory.readdirSync(path, { withFileTypes: true }) as { isDirectory(): boolean }[]).some((entry) => entry.isDirectory())
      if (children || hasProcesses(path)) throw errno('EBUSY', path)
      memory.rmSync(path, { recursive: true })
    },
    writeFileSync(path: string, data: string): void {
      const mount = mountOf(path)
      const folder = path.slice(0, path.lastIndexOf('/'))
      const file = path.slice(folder.length + 1)
      if (!mount) return void memory.writeFileSync(path, data)
      if (!memory.existsSync(path)) throw errno('ENOENT', path)
      if (file === 'cgroup.procs') {
        const pid = data.trim()
        if (!/^\d+$/.test(pid)) throw errno('EINVAL', path)
        for (const other of cgroupsUnder(mount.folder)) {
          const pids = words(`${other}/cgroup.procs`).filter((entry) => entry !== pid)
          memory.writeFileSync(`${other}/cgroup.procs`, pids.map((entry) => `${entry}\n`).join(''))
        }
        memory.writeFileSync(path, `${text(path)}${pid}\n`)
      } else if (file === 'cgroup.subtree_control') {
        const name = data.trim().replace(/^\+/, '')
        if (!words(`${folder}/cgroup.controllers`).includes(name)) throw errno('ENOENT', path)
        if (folder !== mount.folder && hasProcesses(folder)) throw errno('EBUSY', path)
        memory.writeFileSync(path, `${[...words(path), name].join(' ')}\n`)
        for (const entry of memory.readdirSync(folder, { withFileTypes: true }) as { name: string; isDirectory(): boolean }[]) {
          if (entry.isDirectory()) controllerFiles(`${folder}/${entry.name}`, [name])
        }
      } else memory.writeFileSync(path, data)
    },
  }

  function cgroupsUnder(folder: string): string[] {
    const found = [folder]
    for (const entry of memory.readdirSync(folder, { withFileTypes: true }) as { name: string; isDirectory(): boolean }[]) {
      if (entry.isDirectory()) found.push(...cgroupsUnder(`${folder}/${entry.name}`))
    }
    return found
  }

  return { fs: fs as unknown as FileSystem, root: ROOT, read: text, exists: (path) => memory.existsSync(path) }
}
