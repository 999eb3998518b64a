import * as nodeFs from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FileSystem } from '@radvisor/core'
import { createFsFromVolume, Volume } from 'memfs'

/** Where the recorded cgroup trees live, inside this package: `fixtures/cgroup/<case>/root/...`. */
export const cgroupFixturesDir: string = fileURLToPath(new URL('../fixtures/cgroup', import.meta.url))

export interface FakeCgroupFsOptions {
  /** Where the tree is mounted in the fake filesystem (default `/sys/fs/cgroup`). */
  readonly root?: string
  /** Text to serve as `/proc/self/mountinfo` (absent by default: detection then reads folder names). */
  readonly mountinfo?: string
}

/** A cgroup tree in memory that behaves like the kernel's where radvisor cares. */
export interface FakeCgroupFs {
  /** Inject this wherever a `FileSystem` is taken. */
  readonly fs: FileSystem
  /** The cgroup root inside `fs`. */
  readonly root: string
  /** Replaces a file's content (`path` relative to the root); open descriptors see the new bytes. */
  write(path: string, content: string | Uint8Array): void
  /**
   * Removes a cgroup (`cgroupPath` relative to the root) from the root and from every v1
   * controller folder, or only from the controller folders named in `controllers` (`['memory']`:
   * a v1 cgroup removed under one controller). Like the kernel, reads of its files' open
   * descriptors then fail with ENODEV.
   */
  remove(cgroupPath: string, controllers?: readonly string[]): void
}

/** fs methods passed through to memfs unchanged. */
const PASSED_THROUGH = [
  'writeSync',
  'ftruncateSync',
  'fsyncSync',
  'readdirSync',
  'statSync',
  'lstatSync',
  'readFileSync',
  'writeFileSync',
  'existsSync',
  'mkdirSync',
  'rmdirSync',
  'accessSync',
  'realpathSync',
  'readlinkSync',
  'unlinkSync',
] as const

/**
 * Builds a fake cgroupfs on memfs from a fixture case (its name under `cgroupFixturesDir`, or a
 * folder path; the tree is the case's `root/` folder when it has one) or from inline
 * files (`{ 'cpuacct/docker/abc/cpuacct.usage': '123\n' }`; a key ending in `/` makes an
 * empty folder). Symlinks in the folder (`cpu -> cpu,cpuacct`) stay symlinks; so do those a
 * case lists in its `symlinks.json` (`{ "cpu": "cpu,cpuacct" }`, relative to the tree), the
 * form the shipped cases use because npm does not pack symlinks.
 */
export function createFakeCgroupFs(source: string | Readonly<Record<string, string>>, options: FakeCgroupFsOptions = {}): FakeCgroupFs {
  const root = options.root ?? '/sys/fs/cgroup'
  const memory = createFsFromVolume(new Volume())
  memory.mkdirSync(root, { recursive: true })
  if (options.mountinfo !== undefined) {
    memory.mkdirSync('/proc/self', { recursive: true })
    memory.writeFileSync('/proc/self/mountinfo', options.mountinfo)
  }
  if (typeof source === 'string') {
    const { tree, symlinks } = fixtureCase(source)
    copyTree(tree, root, memory)
    for (const [path, target] of Object.entries(symlinks)) memory.symlinkSync(target, join(root, path))
  } else {
    for (const [path, content] of Object.entries(source)) {
      const target = join(root, path)
      if (path.endsWith('/')) memory.mkdirSync(target, { recursive: true })
      else {
        memory.mkdirSync(dirname(target), { recursive: true })
        memory.writeFileSync(target, content)
      }
    }
  }

  // Descriptor -> real path of the open file, to fail reads once its cgroup is removed.
  const openFiles = new Map<number, string>()
  const removed = new Set<number>()
  const fs: Record<string, unknown> = {
    openSync(path: string, flags?: string, mode?: number): number {
      const fd = memory.openSync(path, flags ?? 'r', mode)
      openFiles.set(fd, memory.realpathSync(path) as string)
      return fd
    },
    readSync(fd: number, ...rest: unknown[]): number {
      if (removed.has(fd)) throw Object.assign(new Error('ENODEV: no such device, read'), { code: 'ENODEV', errno: -19, syscall: 'read' })
      return (memory.readSync as (...args: unknown[]) => number)(fd, ...rest)
    },
    closeSync(fd: number): void {
      openFiles.delete(fd)
      removed.delete(fd)
      memory.closeSync(fd)
    },
  }
  for (const name of PASSED_THROUGH) fs[name] = (memory[name] as (...args: unknown[]) => unknown).bind(memory)

  return {
    fs: fs as unknown as FileSystem,
    root,
    write(path, content) {
      const target = join(root, path)
      memory.mkdirSync(dirname(target), { recursive: true })
      memory.writeFileSync(target, content)
    },
    remove(cgroupPath, controllers) {
      const mounts = controllers ? controllers.map((controller) => join(root, controller)) : [root, ...controllerFolders(memory, root)]
      const folders = mounts.map((folder) => join(folder, cgroupPath))
      for (const folder of folders) {
        if (!memory.existsSync(folder)) continue
        const real = memory.realpathSync(folder) as string
        for (const [fd, path] of openFiles) {
          if (path.startsWith(`${real}/`)) removed.add(fd)
        }
        memory.rmSync(real, { recursive: true })
      }
    },
  }
}

/** The folder holding a fixture case's tree, and the symlinks its `symlinks.json` adds to it. */
function fixtureCase(source: string): { tree: string; symlinks: Record<string, string> } {
  const folder = source.includes('/') ? resolve(source) : join(cgroupFixturesDir, source)
  if (!nodeFs.existsSync(folder)) throw new Error(`no cgroup fixture at ${folder}`)
  const tree = join(folder, 'root')
  const listed = join(folder, 'symlinks.json')
  const symlinks = nodeFs.existsSync(listed) ? (JSON.parse(nodeFs.readFileSync(listed, 'utf8')) as Record<string, string>) : {}
  return { tree: nodeFs.existsSync(tree) ? tree : folder, symlinks }
}

type MemoryFs = ReturnType<typeof createFsFromVolume>

function copyTree(from: string, to: string, memory: MemoryFs): void {
  for (const entry of nodeFs.readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name)
    const target = join(to, entry.name)
    if (entry.isSymbolicLink()) memory.symlinkSync(nodeFs.readlinkSync(source), target)
    else if (entry.isDirectory()) {
      memory.mkdirSync(target, { recursive: true })
      copyTree(source, target, memory)
    } else memory.writeFileSync(target, nodeFs.readFileSync(source))
  }
}

/** The real (not symlinked) folders directly under the root: the v1 controller mounts. */
function controllerFolders(memory: MemoryFs, root: string): string[] {
  return (memory.readdirSync(root) as string[])
    .map((name) => join(root, String(name)))
    .filter((path) => !memory.lstatSync(path).isSymbolicLink() && memory.statSync(path).isDirectory())
}
