import type { FileSystem } from '@radvisor/core'

/** Whose network a target's counters are, as `CollectorInfo.network` says. */
export type NetworkAttribution = 'own' | 'host' | null

/**
 * The host's network namespace, shared by every collector of a factory, and the problems that
 * concern them all (reported once each). The host's namespace is that of PID 1 (init), or of
 * PID 2 (kthreadd: kernel threads live in the initial namespace) where PID 1 hides its
 * namespaces. Never radvisor's own: in a DaemonSet pod with the host's PID namespace but not
 * its network, radvisor's namespace is its pod's, and would pass the host's traffic off as the
 * host-network pods'.
 */
export class NetworkNamespaces {
  private host: string | null | undefined
  private readonly reported = new Set<string>()

  constructor(
    readonly fs: FileSystem,
    /** Where the processes of the targets are seen (`/proc`). */
    readonly procRoot: string,
    /** Receives each problem once; `expected` when there is no procfs at all (a fake file system), nothing to warn about. */
    private readonly onProblem: (message: string, expected: boolean) => void,
  ) {}

  /** The link text of the host's network namespace (`net:[4026531840]`), or null when it cannot be read (reported once). */
  get hostNamespace(): string | null {
    if (this.host !== undefined) return this.host
    const errors: string[] = []
    for (const pid of ['1', '2']) {
      const link = readNamespace(this.fs, this.procRoot, pid, errors)
      if (link !== null) return (this.host = link)
    }
    this.host = null
    const noProcfs = errors.every((error) => error.endsWith(' ENOENT'))
    this.report(
      'host',
      `network counters are not collected: the host's network namespace cannot be told (${errors.join(', ')})` +
        (noProcfs ? '' : "; radvisor needs root (and CAP_SYS_PTRACE in a container) to read other processes' namespaces"),
      noProcfs,
    )
    return null
  }

  /**
   * Whether `cgroup.procs` names processes outside radvisor's PID namespace (as `0`): then no
   * target's process can be read, for the rest of the run, and no collector searches again.
   */
  get processesHidden(): boolean {
    return this.reported.has('hidden')
  }

  /** Notes (and reports, once) that the targets' processes are outside radvisor's PID namespace. */
  hideProcesses(): void {
    this.report(
      'hidden',
      `network counters are not collected: cgroup.procs lists processes that are not visible in ${this.procRoot} ` +
        "(radvisor runs in a PID namespace of its own: run it with the host's, e.g. hostPID: true in a DaemonSet)",
    )
  }

  /** Reports a problem that concerns every target, once per run. */
  report(kind: string, message: string, expected = false): void {
    if (this.reported.has(kind)) return
    this.reported.add(kind)
    this.onProblem(message, expected)
  }
}

/** `<procRoot>/<pid>/ns/net`'s link, or null (the reason appended to `errors`). */
export function readNamespace(fs: FileSystem, procRoot: string, pid: string, errors: string[] | null): string | null {
  const path = `${procRoot}/${pid}/ns/net`
  try {
    return String(fs.readlinkSync(path))
  } catch (error) {
    errors?.push(`reading ${path} failed with ${(error as NodeJS.ErrnoException).code ?? String(error)}`)
    return null
  }
}

