import { type CgroupLimits, type Hierarchy, processCgroupPaths } from '@radvisor/cgroup'
import { type FileSystem, RadvisorError } from '@radvisor/core'

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

/** `systemd-run [--user] --scope ... --`: accounting for the controllers asked for, the limits, then the command. */
export function systemdRunPrefix(scope: SystemdScope, controllers: readonly string[], limits: CgroupLimits): string[] {
  const properties = [...new Set(controllers.map((name) => ACCOUNTING[name]).filter((name) => name !== undefined))].map((name) => `${name}=yes`)
  if (limits.cpus !== undefined) properties.push(`CPUQuota=${Math.round(limits.cpus * 100)}%`)
  if (limits.memoryBytes !== undefined) properties.push(`MemoryMax=${limits.memoryBytes}`)
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
