import { describeError, type FileSystem, RadvisorError, type Timer } from '@radvisor/core'
import { type Hierarchy, V1_CONTROLLERS } from './hierarchy.ts'
import { normalizePath } from './paths.ts'

/** Limits written to a new cgroup before any process joins it. */
export interface CgroupLimits {
  /** CPU quota in cores: CFS quota over a 100 ms period (v1 `cpu.cfs_*`, v2 `cpu.max`). */
  readonly cpus?: number
  /** Memory limit in bytes (v1 `memory.limit_in_bytes`, v2 `memory.max`). */
  readonly memoryBytes?: number
}

export interface CreateCgroupOptions {
  readonly fs: FileSystem
  readonly hierarchy: Hierarchy
  /** Where to create it: a path relative to the root (v2) or to each controller's folder (v1), created when missing; '' for the root. */
  readonly parent: string
  /** The new cgroup's folder name. */
  readonly name: string
  /**
   * v1: the controllers to create it in (one folder per mount). v2: the controllers to
   * enable for it, from the root down, where the kernel offers them (`cpuacct` counts as
   * `cpu`, `blkio` as `io`).
   */
  readonly controllers: readonly string[]
  readonly limits?: CgroupLimits
  /**
   * Also remove parent folders found empty at the end that another run made (a parent
   * that belongs to the caller, shared by concurrent runs). Otherwise only those this
   * cgroup made are removed, so a parent given by the user stays.
   */
  readonly removeEmptyParents?: boolean
}

/** A controller asked for that the new cgroup does not have, and why. */
export interface MissingController {
  readonly controller: string
  readonly reason: string
}

/** Every controller name `createCgroup` takes: the v1 ones and v2's `io`. */
export const CONTROLLER_NAMES: ReadonlySet<string> = new Set([...V1_CONTROLLERS, 'io'])

const CFS_PERIOD_US = 100_000
/** The kernel refuses CFS quotas below 1 ms. */
const MIN_QUOTA_US = 1000
const V2_NAMES: Readonly<Record<string, string>> = { cpuacct: 'cpu', blkio: 'io' }
/** Errors of a cgroup that still holds a process that has just exited, and of a folder another run shares. */
const BUSY = new Set(['EBUSY', 'ENOTEMPTY', 'EEXIST'])

/**
 * Creates a cgroup of its own for one process tree (`radvisor exec`): its folder under
 * `parent` in every v1 hierarchy of `controllers` (or once on v2, with the controllers
 * enabled along the way), with `limits` written, before anything joins it. Parent folders
 * that did not exist are created, and removed again by `remove()` when no other cgroup
 * uses them (see `removeEmptyParents`). Throws `E_CGROUP` (its cause the errno error, e.g. EACCES) when the cgroup
 * cannot be made; nothing is left behind then.
 */
export function createCgroup(options: CreateCgroupOptions): CreatedCgroup {
  return new CreatedCgroup(options)
}

/** A cgroup made by `createCgroup`. Every method goes through the injected `fs`. */
export class CreatedCgroup {
  /** Path relative to the root (v2) or to each controller's folder (v1). */
  readonly path: string
  /** The cgroup's folder in each hierarchy it was created in (one on v2). */
  readonly folders: string[] = []
  readonly missing: MissingController[] = []
  private readonly fs: FileSystem
  /** Parent folders to remove when empty, deepest last. */
  private readonly parents: string[] = []
  /** Hierarchy folder (mount) of each entry of `folders`. */
  private readonly mounts: string[] = []

  constructor(private readonly options: CreateCgroupOptions) {
    this.fs = options.fs
    const parent = normalizePath(options.parent)
    if (!/^[^/]+$/.test(options.name) || options.name === '.' || options.name === '..') {
      throw new RadvisorError('cgroup', 'E_INTERNAL', `invalid cgroup name '${options.name}'`)
    }
    this.path = parent ? `${parent}/${options.name}` : options.name
    try {
      this.build()
    } catch (error) {
      this.removeNow()
      throw error
    }
  }

  /** Writes `pid` into the cgroup in every hierarchy: the process and its future children belong to it from then on. */
  join(pid: number): void {
    for (const folder of this.folders) this.write(`${folder}/cgroup.procs`, `${pid}\n`, 'move the process into')
  }

  /** The processes in the cgroup now, in any of its hierarchies; folders already gone count as empty. */
  processes(): number[] {
    const pids = new Set<number>()
    for (const folder of this.folders) {
      for (const pid of readPids(this.fs, `${folder}/cgroup.procs`)) pids.add(pid)
    }
    return [...pids].sort((a, b) => a - b)
  }

  /**
   * Moves every process still in the cgroup to the cgroups of `pid` (radvisor's own, by
   * default), hierarchy by hierarchy, so that the cgroup can be removed while they run
   * on. Returns the processes moved.
   */
  evacuate(pid: number | 'self' = 'self'): number[] {
    const own = processCgroupPaths(this.fs, pid)
    const moved = new Set<number>()
    this.folders.forEach((folder, index) => {
      const mount = this.mounts[index]!
      const path = this.options.hierarchy.version === 'v2' ? own.unified : this.ownPathIn(mount, own.v1)
      if (path === undefined) throw new RadvisorError('cgroup', 'E_CGROUP', `cannot tell which cgroup of ${mount} process ${pid} is in`)
      const destination = `${mount}${path === '/' ? '' : path}`
      // A process that forks while being moved leaves its child behind: repeat until empty.
      for (let round = 0; round < 100; round++) {
        const pids = readPids(this.fs, `${folder}/cgroup.procs`)
        if (pids.length === 0) break
        for (const stray of pids) {
          try {
            this.fs.writeFileSync(`${destination}/cgroup.procs`, `${stray}\n`)
            moved.add(stray)
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw cgroupError(`cannot move process ${stray} out of ${folder} to ${destination}`, error)
          }
        }
      }
    })
    return [...moved].sort((a, b) => a - b)
  }

  /**
   * Removes the cgroup, then the parent folders it created that no other cgroup uses.
   * The kernel refuses (EBUSY) for a moment after the last process exited: retries every
   * 10 ms for up to `timeoutMs`, then throws `E_CGROUP` naming what is still there.
   */
  async remove(timer: Timer, timeoutMs = 2000): Promise<void> {
    const attempts = Math.max(1, Math.ceil(timeoutMs / 10))
    for (let attempt = 1; ; attempt++) {
      const busy = this.removeNow()
      if (busy.length === 0) return
      if (attempt >= attempts) {
        throw new RadvisorError('cgroup', 'E_CGROUP', `cannot remove cgroup ${busy.join(', ')}: still busy after ${timeoutMs} ms (processes ${this.processes().join(', ') || 'none listed'})`)
      }
      await new Promise<void>((resolve) => timer.setTimeout(resolve, 10))
    }
  }

  /** One removal pass; returns the cgroup folders that are still busy. */
  removeNow(): string[] {
    const busy: string[] = []
    for (const folder of this.folders) {
      const code = tryRmdir(this.fs, folder)
      if (code === 'EBUSY') busy.push(folder)
      else if (code !== null && code !== 'ENOENT') throw new RadvisorError('cgroup', 'E_CGROUP', `cannot remove cgroup ${folder}: ${code}`)
    }
    if (busy.length > 0) return busy
    for (const parent of [...new Set(this.parents)].reverse()) {
      const code = tryRmdir(this.fs, parent)
      // Another run's cgroup in it is fine: that run removes the parent.
      if (code !== null && code !== 'ENOENT' && !BUSY.has(code)) throw new RadvisorError('cgroup', 'E_CGROUP', `cannot remove cgroup ${parent}: ${code}`)
    }
    return []
  }

  private build(): void {
    const { hierarchy, controllers } = this.options
    if (hierarchy.version === 'v2') {
      const unified = hierarchy.unified ?? hierarchy.root
      const wanted = [...new Set(controllers.map((name) => V2_NAMES[name] ?? name))]
      this.makeFolder(unified, () => this.enableV2(unified, wanted))
    } else {
      const byMount = new Map<string, string[]>()
      for (const controller of new Set(controllers)) {
        const mount = hierarchy.controllers[controller]
        if (mount === undefined) this.missing.push({ controller, reason: 'not mounted' })
        else byMount.set(mount, [...(byMount.get(mount) ?? []), controller])
      }
      for (const mount of byMount.keys()) this.makeFolder(mount, () => {})
    }
    this.writeLimits()
  }

  /**
   * Makes the parent folders under `mount` (remembering those it made), runs `prepare`
   * (which sees them all), then the cgroup's own folder. A parent that another run removes
   * in between is made again.
   */
  private makeFolder(mount: string, prepare: () => void): void {
    const parts = this.path.split('/')
    for (let attempt = 0; ; attempt++) {
      let folder = mount
      for (const part of parts.slice(0, -1)) {
        folder = `${folder}/${part}`
        if (this.mkdir(folder, 'EEXIST') || this.options.removeEmptyParents) this.parents.push(folder)
      }
      prepare()
      const leaf = `${mount}/${this.path}`
      try {
        this.mkdirStale(leaf)
        this.folders.push(leaf)
        this.mounts.push(mount)
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw cgroupError(`cannot create cgroup ${leaf}`, error)
      }
    }
  }

  /** mkdir, true when made; `tolerated` (EEXIST) is not an error. */
  private mkdir(folder: string, tolerated: string): boolean {
    try {
      this.fs.mkdirSync(folder)
      return true
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === tolerated) return false
      throw cgroupError(`cannot create cgroup ${folder}`, error)
    }
  }

  /** Makes the cgroup's folder. One left by a run that was killed (same name, empty) is replaced: its counters are not ours. */
  private mkdirStale(folder: string): void {
    try {
      this.fs.mkdirSync(folder)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const code = tryRmdir(this.fs, folder)
      if (code !== null) throw cgroupError(`cgroup ${folder} already exists and cannot be replaced (${code})`, error)
      this.fs.mkdirSync(folder)
    }
  }

  /**
   * v2: a controller reaches the new cgroup only when every ancestor from the root down
   * enables it in `cgroup.subtree_control`. Enables each wanted one level by level; one
   * that a level does not offer, or refuses (EBUSY: the level has processes of its own),
   * is recorded as missing.
   */
  private enableV2(unified: string, wanted: readonly string[]): void {
    const parentParts = this.path.split('/').slice(0, -1)
    const levels = [unified, ...parentParts.map((_, i) => `${unified}/${parentParts.slice(0, i + 1).join('/')}`)]
    for (const controller of wanted) {
      for (const level of levels) {
        if (words(this.read(`${level}/cgroup.subtree_control`)).includes(controller)) continue
        if (!words(this.read(`${level}/cgroup.controllers`)).includes(controller)) {
          this.missing.push({ controller, reason: `not available in ${level}` })
          break
        }
        try {
          this.fs.writeFileSync(`${level}/cgroup.subtree_control`, `+${controller}`)
        } catch (error) {
          this.missing.push({ controller, reason: `cannot be enabled in ${level}/cgroup.subtree_control: ${errnoText(error)}` })
          break
        }
      }
    }
  }

  private writeLimits(): void {
    const { limits, hierarchy } = this.options
    const v2 = hierarchy.version === 'v2'
    if (limits?.cpus !== undefined) {
      const quota = Math.max(MIN_QUOTA_US, Math.round(limits.cpus * CFS_PERIOD_US))
      const folder = this.folderOf('cpu', 'a CPU quota')
      if (v2) this.write(`${folder}/cpu.max`, `${quota} ${CFS_PERIOD_US}`, 'set the CPU quota of')
      else {
        this.write(`${folder}/cpu.cfs_period_us`, `${CFS_PERIOD_US}`, 'set the CPU quota of')
        this.write(`${folder}/cpu.cfs_quota_us`, `${quota}`, 'set the CPU quota of')
      }
    }
    if (limits?.memoryBytes !== undefined) {
      const folder = this.folderOf('memory', 'a memory limit')
      this.write(`${folder}/${v2 ? 'memory.max' : 'memory.limit_in_bytes'}`, `${limits.memoryBytes}`, 'set the memory limit of')
    }
  }

  /** The cgroup's folder that has `controller`'s files; throws when it has none. */
  private folderOf(controller: string, what: string): string {
    const { hierarchy } = this.options
    const [first] = this.folders
    const folder =
      hierarchy.version === 'v2'
        ? first !== undefined && words(this.read(`${first}/cgroup.controllers`)).includes(controller)
          ? first
          : undefined
        : this.folders[this.mounts.indexOf(hierarchy.controllers[controller] ?? '')]
    if (folder === undefined) {
      const missing = this.missing.find((entry) => entry.controller === controller)
      throw new RadvisorError(
        'cgroup',
        'E_CGROUP',
        `cannot set ${what} on cgroup ${this.path}: it has no ${controller} controller (${missing?.reason ?? 'not among the controllers asked for'})`,
      )
    }
    return folder
  }

  /** The path (from /proc/<pid>/cgroup) of the process in the v1 hierarchy mounted at `mount`. */
  private ownPathIn(mount: string, paths: ReadonlyMap<string, string>): string | undefined {
    for (const [controller, folder] of Object.entries(this.options.hierarchy.controllers)) {
      if (folder === mount && paths.has(controller)) return paths.get(controller)
    }
    return undefined
  }

  private read(path: string): string {
    try {
      return String(this.fs.readFileSync(path, 'utf8'))
    } catch {
      return ''
    }
  }

  private write(path: string, content: string, action: string): void {
    try {
      this.fs.writeFileSync(path, content)
    } catch (error) {
      throw cgroupError(`cannot ${action} cgroup ${this.path} (writing ${path})`, error)
    }
  }
}

/**
 * The cgroups a process is in, from `/proc/<pid>/cgroup`: v1 paths by controller, and the
 * v2 path (the `0::` line). Paths start with `/`.
 */
export function processCgroupPaths(fs: FileSystem, pid: number | 'self'): { v1: Map<string, string>; unified: string | undefined } {
  let text: string
  try {
    text = String(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'))
  } catch (error) {
    throw cgroupError(`cannot read the cgroups of process ${pid}`, error)
  }
  const v1 = new Map<string, string>()
  let unified: string | undefined
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(\/.*)$/.exec(line)
    if (!match) continue
    const [, controllers, path] = match as unknown as [string, string, string]
    if (controllers === '') unified = path
    else for (const controller of controllers.split(',')) v1.set(controller, path)
  }
  return { v1, unified }
}

function readPids(fs: FileSystem, path: string): number[] {
  let text: string
  try {
    text = String(fs.readFileSync(path, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENODEV') return []
    throw cgroupError(`cannot read ${path}`, error)
  }
  return text
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number)
}

/** rmdir; the errno code on failure, null when removed. */
function tryRmdir(fs: FileSystem, folder: string): string | null {
  try {
    fs.rmdirSync(folder)
    return null
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? describeError(error)
  }
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean)
}

function cgroupError(message: string, cause: unknown): RadvisorError {
  return new RadvisorError('cgroup', 'E_CGROUP', `${message}: ${errnoText(cause)}`, { cause })
}

/** `permission denied (EACCES)`: node's errno messages would repeat the path. */
function errnoText(error: unknown): string {
  const errno = /^(E[A-Z]+): ([^,]+)/.exec(error instanceof Error ? error.message : '')
  return errno ? `${errno[2]} (${errno[1]})` : describeError(error)
}
