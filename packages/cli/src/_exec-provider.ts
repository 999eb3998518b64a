import { basename } from 'node:path'
import { defineProvider, type Provider, type ProviderDefinition, type Target, unixNanos } from '@radvisor/core'

/**
 * The provider of `radvisor exec`: one target, the command's cgroup, listed from the moment
 * the command is placed in it. It lives in the CLI because it has no use on its own (there
 * is no `radvisor run exec`); it exists so that exec runs on the same Runner, collectors
 * and sinks as every other provider.
 */
export class ExecProvider implements Provider {
  readonly name = 'exec'
  private target: Target | null = null

  async init(): Promise<void> {}

  async poll(): Promise<Target[]> {
    return this.target === null ? [] : [this.target]
  }

  /** Lists `target` from the next poll on. */
  place(target: Target): void {
    this.target = target
  }

  async close(): Promise<void> {
    this.target = null
  }

  /** This provider as a definition, for the CLI's run setup. */
  definition(): ProviderDefinition {
    return defineProvider({ name: this.name, description: 'The command radvisor exec runs', create: () => this })
  }
}

export interface ExecTargetOptions {
  readonly id: string
  readonly command: readonly string[]
  /** The command's process id. */
  readonly pid: number
  /** Its cgroup, relative to the cgroup root (or each v1 controller's folder). */
  readonly cgroup: string
  /** The systemd scope unit, when systemd made the cgroup. */
  readonly scope: string | null
  readonly cwd: string
  readonly polledAt: number
}

/** The command as a target: `Metadata` names it (`Name`, the command line) and keeps its argv exactly (`Command`). */
export function execTarget(options: ExecTargetOptions): Target {
  const name = commandLine(options.command)
  return {
    provider: 'exec',
    id: options.id,
    name,
    metadata: {
      Name: name,
      Command: [...options.command],
      Pid: options.pid,
      Cwd: options.cwd,
      Cgroup: options.cgroup,
      Scope: options.scope,
    },
    polledAt: unixNanos(options.polledAt),
    cgroup: { kind: 'path', path: options.cgroup },
    labels: { command: basename(options.command[0] ?? '') },
  }
}

/** `exec-<program>-<pid>`: file-name safe, and unique while this radvisor runs. */
export function execTargetId(program: string, pid: number): string {
  const name = basename(program).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40)
  return `exec-${name || 'command'}-${pid}`
}

/**
 * The command line as a shell would take it back: plain words as they are, others in
 * single quotes, and words with control characters as `$'...'` escapes (so that no raw
 * control character is ever printed).
 */
export function commandLine(argv: readonly string[]): string {
  return argv
    .map((word) => {
      if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word
      // biome-ignore lint: control characters are what this looks for
      if (!/[\x00-\x1f\x7f]/.test(word)) return `'${word.replaceAll("'", "'\\''")}'`
      // biome-ignore lint: control characters are what this escapes
      return `$'${word.replace(/[\\'\x00-\x1f\x7f]/g, (c) => (c === '\\' || c === "'" ? `\\${c}` : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))}'`
    })
    .join(' ')
}
