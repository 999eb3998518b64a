import { type FileSystem, RadvisorError } from '@radvisor/core'

/** The cgroup layout of a host, as found under the cgroup root. */
export interface Hierarchy {
  /** `v2`: unified only; `v1`: controller folders only; `hybrid`: v1 plus a v2 `unified/` mount. */
  readonly version: 'v1' | 'v2' | 'hybrid'
  /** The cgroup root (`--cgroup-root`). */
  readonly root: string
  /** v1 controller name -> absolute folder, e.g. `cpu` -> `/sys/fs/cgroup/cpu,cpuacct`. Empty on v2. */
  readonly controllers: Readonly<Record<string, string>>
  /** Absolute path of the v2 hierarchy: the root itself on v2, `<root>/unified` on hybrid; else null. */
  readonly unified: string | null
}

export interface DetectOptions {
  readonly root: string
  readonly fs: FileSystem
  /** Text of `/proc/self/mountinfo`; read through `fs` when not given. */
  readonly mountinfo?: string
}

/** The v1 controllers the kernel knows (folder names are one or several, joined by commas). */
export const V1_CONTROLLERS: ReadonlySet<string> = new Set([
  'blkio',
  'cpu',
  'cpuacct',
  'cpuset',
  'devices',
  'freezer',
  'hugetlb',
  'memory',
  'misc',
  'net_cls',
  'net_prio',
  'perf_event',
  'pids',
  'rdma',
])

/**
 * Finds the cgroup layout under `root`: unified v2 when `<root>/cgroup.controllers`
 * exists; otherwise each v1 controller's folder, from the cgroup mounts under `root` in
 * mountinfo (where `cpu` and `cpuacct` may be one `cpu,cpuacct` mount or two), or, when
 * mountinfo lists none there (a copied or bind-mounted tree), from the folder names under
 * `root`. Throws `E_CGROUP` when there is no cgroup hierarchy at `root`.
 */
export function detectHierarchy({ root, fs, mountinfo }: DetectOptions): Hierarchy {
  root = root.length > 1 ? root.replace(/\/+$/, '') : root
  if (fs.existsSync(`${root}/cgroup.controllers`)) return { version: 'v2', root, controllers: {}, unified: root }

  const mounts = parseMountinfo(mountinfo ?? readMountinfo(fs), root)
  const controllers = Object.keys(mounts.controllers).length > 0 ? mounts.controllers : scanControllers(fs, root)
  const unifiedFolder = `${root}/unified`
  const unified = mounts.unified ?? (fs.existsSync(`${unifiedFolder}/cgroup.controllers`) ? unifiedFolder : null)
  if (Object.keys(controllers).length > 0) return { version: unified ? 'hybrid' : 'v1', root, controllers, unified }
  if (unified) return { version: 'v2', root, controllers: {}, unified }
  throw new RadvisorError(
    'cgroup',
    'E_CGROUP',
    `no cgroup hierarchy at ${root}: expected ${root}/cgroup.controllers (cgroup v2) or controller folders such as ${root}/cpuacct or ${root}/cpu,cpuacct (cgroup v1); pass --cgroup-root with the path where the cgroup filesystem is mounted`,
  )
}

function readMountinfo(fs: FileSystem): string {
  try {
    return fs.readFileSync('/proc/self/mountinfo', 'utf8') as string
  } catch {
    return ''
  }
}

/** The cgroup (v1) and cgroup2 mounts below `root` in mountinfo text. */
function parseMountinfo(text: string, root: string): { controllers: Record<string, string>; unified: string | null } {
  const controllers: Record<string, string> = {}
  let unified: string | null = null
  for (const line of text.split('\n')) {
    const fields = line.split(' ')
    // Optional fields end with a lone `-`; then come the filesystem type, source and super options.
    const separator = fields.indexOf('-', 6)
    if (separator < 0 || fields.length < separator + 4) continue
    const mountPoint = unescapeMountPath(fields[4]!)
    if (!mountPoint.startsWith(`${root}/`)) continue
    const type = fields[separator + 1]
    if (type === 'cgroup2') unified ??= mountPoint
    if (type !== 'cgroup') continue
    for (const option of fields[separator + 3]!.split(',')) {
      if (V1_CONTROLLERS.has(option)) controllers[option] ??= mountPoint
    }
  }
  return { controllers, unified }
}

/** mountinfo escapes spaces and a few other bytes as `\ooo` octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
}

/**
 * Controller folders under `root` by name: `cpu,cpuacct` serves both controllers. A real
 * folder wins over a symlink to it, so paths name the mount the kernel made.
 */
function scanControllers(fs: FileSystem, root: string): Record<string, string> {
  let entries: string[]
  try {
    entries = (fs.readdirSync(root) as string[]).map(String).sort()
  } catch {
    return {}
  }
  const controllers: Record<string, string> = {}
  const fromSymlink = new Set<string>()
  for (const entry of entries) {
    const names = entry.split(',')
    if (!names.every((name) => V1_CONTROLLERS.has(name))) continue
    const folder = `${root}/${entry}`
    let symlink: boolean
    try {
      if (!fs.statSync(folder).isDirectory()) continue
      symlink = fs.lstatSync(folder).isSymbolicLink()
    } catch {
      continue
    }
    for (const name of names) {
      if (controllers[name] !== undefined && (symlink || !fromSymlink.has(name))) continue
      controllers[name] = folder
      if (symlink) fromSymlink.add(name)
      else fromSymlink.delete(name)
    }
  }
  return controllers
}
