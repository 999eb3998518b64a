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

/** One process of a fake `/proc`, as `FakeCgroupFs.addProcess` takes it. */
export interface FakeProcess {
  /** Its network namespace, as `/proc/<pid>/ns/net` links to it (`net:[4026532201]`). */
  readonly netns: string
  /** The content of `/proc/<pid>/net/dev`, the counters of that namespace. */
  readonly netDev?: string
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
  /** Where the fake `/proc` is (`/proc`): a fixture case's `proc/` folder, and what `addProcess` adds. */
  readonly procRoot: string
  /** Adds a process to the fake `/proc`: `<pid>/ns/net`, `<pid>/net/dev` and `<pid>/oom_score_adj`. */
  addProcess(pid: number, process: FakeProcess): void
  /**
   * Ends a process: `/proc/<pid>` disappears and reads of descriptors open below it fail with
   * ESRCH, as the kernel's do (except `net/dev`, which goes on reading the namespace it was
   * opened in, as the kernel's does).
   */
  exitProcess(pid: number): void
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
  const procRoot = '/proc'
  if (typeof source === 'string') {
    const { tree, symlinks, proc } = fixtureCase(source)
    copyTree(tree, root, memory)
    for (const [path, target] of Object.entries(symlinks)) memory.symlinkSync(target, join(root, path))
    if (proc !== null) {
      memory.mkdirSync(procRoot, { recursive: true })
      copyTree(proc.tree, procRoot, memory)
      for (const [path, target] of Object.entries(proc.symlinks)) {
        memory.mkdirSync(dirname(join(procRoot, path)), { recursive: true })
        memory.symlinkSync(target, join(procRoot, path))
      }
    }
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
  const exited = new Set<number>()
  const fs: Record<string, unknown> = {
    openSync(path: string, flags?: string, mode?: number): number {
      const fd = memory.openSync(path, flags ?? 'r', mode)
      openFiles.set(fd, memory.realpathSync(path) as string)
      return fd
    },
    readSync(fd: number, ...rest: unknown[]): number {
      if (removed.has(fd)) throw Object.assign(new Error('ENODEV: no such device, read'), { code: 'ENODEV', errno: -19, syscall: 'read' })
      if (exited.has(fd)) throw Object.assign(new Error('ESRCH: no such process, read'), { code: 'ESRCH', errno: -3, syscall: 'read' })
      return (memory.readSync as (...args: unknown[]) => number)(fd, ...rest)
    },
    closeSync(fd: number): void {
      openFiles.delete(fd)
      removed.delete(fd)
      exited.delete(fd)
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
    procRoot,
    addProcess(pid, process) {
      const folder = join(procRoot, String(pid))
      memory.mkdirSync(join(folder, 'ns'), { recursive: true })
      memory.mkdirSync(join(folder, 'net'), { recursive: true })
      memory.symlinkSync(process.netns, join(folder, 'ns', 'net'))
      memory.writeFileSync(join(folder, 'oom_score_adj'), '0\n')
      if (process.netDev !== undefined) memory.writeFileSync(join(folder, 'net', 'dev'), process.netDev)
    },
    exitProcess(pid) {
      const folder = join(procRoot, String(pid))
      for (const [fd, path] of openFiles) {
        if (path.startsWith(`${folder}/`) && path !== join(folder, 'net', 'dev')) exited.add(fd)
      }
      memory.rmSync(folder, { recursive: true, force: true })
    },
  }
}

/**
 * Writes a recorded case (its name under `cgroupFixturesDir`, or a folder) to `directory` on the
 * real disk, for tests that read it with `node:fs` as production does: the tree at
 * `<directory>/cgroup` and its fake `/proc` at `<directory>/proc`, the symlinks its lists name
 * included (npm does not pack symlinks, so the shipped cases list theirs).
 */
export function copyCgroupFixture(source: string, directory: string): { readonly root: string; readonly procRoot: string | null } {
  const { tree, symlinks, proc } = fixtureCase(source)
  const place = (from: string, to: string, links: Record<string, string>) => {
    nodeFs.cpSync(from, to, { recursive: true, verbatimSymlinks: true })
    for (const [path, target] of Object.entries(links)) {
      nodeFs.mkdirSync(dirname(join(to, path)), { recursive: true })
      nodeFs.symlinkSync(target, join(to, path))
    }
  }
  const root = join(directory, 'cgroup')
  place(tree, root, symlinks)
  if (proc === null) return { root, procRoot: null }
  const procRoot = join(directory, 'proc')
  place(proc.tree, procRoot, proc.symlinks)
  return { root, procRoot }
}

/**
 * The folder holding a fixture case's tree and the symlinks its `symlinks.json` adds to it, and
 * its fake `/proc` (the `proc/` folder, with the links `proc-symlinks.json` lists), if any.
 */
function fixtureCase(source: string): {
  tree: string
  symlinks: Record<string, string>
  proc: { tree: string; symlinks: Record<string, string> } | null
} {
  const folder = source.includes('/') ? resolve(source) : join(cgroupFixturesDir, source)
  if (!nodeFs.existsSync(folder)) throw new Error(`no cgroup fixture at ${folder}`)
  const tree = join(folder, 'root')
  const links = (name: string) =>
    nodeFs.existsSync(join(folder, name)) ? (JSON.parse(nodeFs.readFileSync(join(folder, name), 'utf8')) as Record<string, string>) : {}
  const proc = join(folder, 'proc')
  return {
    tree: nodeFs.existsSync(tree) ? tree : folder,
    symlinks: links('symlinks.json'),
    proc: nodeFs.existsSync(proc) ? { tree: proc, symlinks: links('proc-symlinks.json') } : null,
  }
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
