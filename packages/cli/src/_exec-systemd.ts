import { type CgroupLimits, type CreatedCgroup, createCgroup, type Hierarchy, processCgroupPaths } from '@radvisor/cgroup'
import { describeError, type FileSystem, RadvisorError } from '@radvisor/core'

/** A transient systemd scope for the command: systemd creates its cgroup (and removes it when it empties). */
export interface SystemdScope {
  /** `--user`: the user's own service manager, whose subtree is delegated to the user. */
  readonly user: boolean
  /** The scope's unit name (`radvisor-<id>.scope`). */
  readonly unit: string
  /** The systemd-run binary. */
  readonly systemdRun: string
}

export interface ScopeEnvironment {
  readonly fs: FileSystem
  readonly hierarchy: Hierarchy
  readonly uid: number
  readonly env: Readonly<Record<string, string | undefined>>
  /** Finds a program on PATH (Bun.which). */
  readonly which: (program: string) => string | null
}

/**
 * Whether the command goes into a systemd scope, as systemd wants on the hosts it manages:
 * a unified (v2) hierarchy, `systemd-run` installed, and for root the system manager
 * running (`/run/systemd/system`), for other users their user manager
 * (`$XDG_RUNTIME_DIR/systemd`). On v1 and hybrid hosts radvisor writes the v1 controller
 * hierarchies itself, where the collectors read.
 */
export function systemdScope({ fs, hierarchy, uid, env, which }: ScopeEnvironment, id: string): SystemdScope | null {
  if (hierarchy.version !== 'v2') return null
  const systemdRun = which('systemd-run')
  if (systemdRun === null) return null
  const user = uid !== 0
  const manager = user ? (env.XDG_RUNTIME_DIR ? `${env.XDG_RUNTIME_DIR}/systemd` : null) : '/run/systemd/system'
  if (manager === null || !fs.existsSync(manager)) return null
  return { user, unit: `radvisor-${id}.scope`, systemdRun }
}

const ACCOUNTING: Readonly<Record<string, string>> = {
  cpu: 'CPUAccounting',
  cpuacct: 'CPUAccounting',
  memory: 'MemoryAccounting',
  io: 'IOAccounting',
  blkio: 'IOAccounting',
  pids: 'TasksAccounting',
}

/**
 * `systemd-run [--user] --scope ... --`: accounting for the controllers asked for, and the
 * scope's subtree delegated to radvisor, which splits it (`splitScope`) and writes the
 * limits on the command's own cgroup.
 */
export function systemdRunPrefix(scope: SystemdScope, controllers: readonly string[]): string[] {
  const properties = [...new Set(controllers.map((name) => ACCOUNTING[name]).filter((name) => name !== undefined))].map((name) => `${name}=yes`)
  properties.push('Delegate=yes')
  return [
    scope.systemdRun,
    ...(scope.user ? ['--user'] : []),
    '--scope',
    '--quiet',
    '--collect',
    `--unit=${scope.unit}`,
    ...properties.flatMap((property) => ['-p', property]),
    '--',
  ]
}

/** The scope's cgroup, relative to the v2 root, from the cgroup of a process systemd put in it. */
export function scopeCgroup(fs: FileSystem, pid: number, scope: SystemdScope): string {
  const path = processCgroupPaths(fs, pid).unified
  if (path === undefined || !path.endsWith(`/${scope.unit}`)) {
    throw new RadvisorError('cli', 'E_CGROUP', `systemd-run did not put the command into ${scope.unit} (it is in ${path ?? 'no v2 cgroup'})`)
  }
  return path.slice(1)
}

/** The command's cgroup inside the scope: what radvisor samples, with the limits. */
const COMMAND_CGROUP = 'command'
/** The keeper's cgroup inside the scope. */
const KEEPER_CGROUP = 'keeper'

export interface SplitScopeOptions {
  readonly fs: FileSystem
  readonly hierarchy: Hierarchy
  /** The scope's cgroup, relative to the v2 root. */
  readonly scope: string
  readonly command: number
  readonly keeper: number
  readonly controllers: readonly string[]
  readonly limits: CgroupLimits
}

/**
 * Splits the (delegated) scope into `<scope>/command`, where the command runs and which
 * radvisor samples, with the controllers and the limits, and `<scope>/keeper`, where the
 * keeper waits. systemd removes a scope's cgroup as soon as no process is left in it: the
 * keeper holds it until radvisor has taken the sample after the command's exit, and being
 * outside the command's cgroup, nothing of it shows in the command's counters. Both leave
 * the scope's own folder first, because a cgroup with processes of its own cannot enable
 * controllers for its children.
 */
export function splitScope({ fs, hierarchy, scope, command, keeper, controllers, limits }: SplitScopeOptions): CreatedCgroup {
  const folder = `${hierarchy.unified ?? hierarchy.root}/${scope}/${KEEPER_CGROUP}`
  try {
    fs.mkdirSync(folder)
    for (const pid of [keeper, command]) fs.writeFileSync(`${folder}/cgroup.procs`, `${pid}\n`)
  } catch (error) {
    throw new RadvisorError('cli', 'E_CGROUP', `cannot make ${folder} for the keeper of ${scope}: ${describeError(error)}`, { cause: error })
  }
  const cgroup = createCgroup({ fs, hierarchy, parent: scope, name: COMMAND_CGROUP, controllers, limits })
  cgroup.join(command)
  return cgroup
}
