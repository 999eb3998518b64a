import type { Clock, FileSystem, Row } from '@radvisor/core'
import { NetDevCells } from './_net-dev.ts'
import { StatFile } from './_stat-file.ts'
import { type NetworkAttribution, NetworkNamespaces, readNamespace } from './namespaces.ts'

/** A target's processes are searched (its cgroup.procs read) at most this often. */
const SEARCH_EVERY_MS = 1_000
/**
 * While a target has no process at all, each search waits twice as long as the one before, up
 * to this: an empty slice or a parked cgroup costs a few reads per 8 s instead of a listing of
 * its folders every second.
 */
const MAX_SEARCH_EVERY_MS = 8_000
/** How often the process read is checked for having exited (a read each: not every tick). */
const CHECK_EVERY_MS = 1_000
/** Processes of a target tried at most per search (each costs a readlink and two opens). */
const MAX_CANDIDATES = 8
/** cgroup folders listed at most per search, the target's own first, then its descendants. */
const MAX_FOLDERS = 256

export interface NetworkCountersOptions {
  readonly fs: FileSystem
  readonly clock: Clock
  readonly namespaces: NetworkNamespaces
  /** The target's cgroup folders whose `cgroup.procs` list its processes, tried in order (descendants included). */
  readonly folders: readonly string[]
  /** Receives one line per problem with a `net/dev` file. */
  readonly onProblem: (message: string) => void
}

/**
 * The network counters of the collector of cgroup `name` (as logs show it) whose processes are
 * listed in `folders`: on the factory's shared `namespaces`, else on namespaces of its own.
 */
export function collectorNetwork(options: {
  readonly fs: FileSystem
  readonly clock: Clock
  readonly namespaces: NetworkNamespaces | undefined
  readonly name: string
  readonly folders: readonly string[]
  readonly onProblem: (message: string, expected?: boolean) => void
}): NetworkCounters {
  const { fs, clock, name, folders, onProblem } = options
  return new NetworkCounters({
    fs,
    clock,
    namespaces: options.namespaces ?? new NetworkNamespaces(fs, '/proc', (message, expected) => expected || onProblem(message)),
    folders,
    onProblem: (message) => onProblem(`cgroup ${name}: ${message}`),
  })
}

/**
 * The network counters of one target, from `/proc/<pid>/net/dev` of one of its processes: the
 * counters of the process's network namespace, which the target's processes share. The file
 * stays open; so does the process's `oom_score_adj`, read once a second as a cheap check that
 * the process still exists (an open `net/dev` goes on reading its namespace after the process
 * is gone, and keeps the namespace alive: it is closed once the check fails, within a second).
 * Another process is then picked from `cgroup.procs`, which is read only then (and, while the
 * target has no process to read, after 1 s, 2 s, 4 s, then every 8 s). A process in the host's namespace is not
 * read: those counters are the host's, not the target's.
 */
export class NetworkCounters {
  /** Whose network the counters were when collection began. */
  readonly attribution: NetworkAttribution
  private readonly cells = new NetDevCells()
  /** Descriptor of the `oom_score_adj` of the process read, or -1 when there is none. */
  private alive = -1
  private readonly probe = new Uint8Array(32)
  /** Its `net/dev`; null also when the process is in the host's namespace. */
  private netDev: StatFile | null = null
  private searchAt = 0
  private searchEvery = SEARCH_EVERY_MS
  private checkAt = 0
  private closed = false

  constructor(private readonly options: NetworkCountersOptions) {
    this.attribution = this.pick()
  }

  /** Writes the network cells of this tick. */
  put(row: Row): void {
    const now = this.options.clock.monotonic()
    if (this.alive >= 0 && now >= this.checkAt) {
      this.checkAt = now + CHECK_EVERY_MS
      if (!this.exists()) this.release()
    }
    if (this.alive < 0 && !this.closed && now >= this.searchAt) this.pick()
    const netDev = this.netDev
    if (netDev !== null) netDev.read()
    this.cells.put(row, netDev)
  }

  close(): void {
    this.closed = true
    this.release()
  }

  /** Whether the process read still exists: reads of its `/proc` files fail with ESRCH once it is gone. */
  private exists(): boolean {
    try {
      this.options.fs.readSync(this.alive, this.probe, 0, this.probe.length, 0)
      return true
    } catch {
      return false
    }
  }

  private release(): void {
    if (this.alive >= 0) {
      try {
        this.options.fs.closeSync(this.alive)
      } catch {
        // Closing a descriptor of an exited process still works; nothing is left to release otherwise.
      }
    }
    this.netDev?.close()
    this.alive = -1
    this.netDev = null
  }

  /** Finds a process of the target to read and opens its files; returns whose network it is. */
  private pick(): NetworkAttribution {
    const { fs, clock, namespaces, folders, onProblem } = this.options
    const now = clock.monotonic()
    this.searchAt = now + this.searchEvery
    this.checkAt = now + CHECK_EVERY_MS
    const host = namespaces.hostNamespace
    if (host === null || namespaces.processesHidden) return null
    const pids = listProcesses(fs, folders)
    if (pids.length === 0) {
      this.searchEvery = Math.min(this.searchEvery * 2, MAX_SEARCH_EVERY_MS)
    } else if (this.searchEvery !== SEARCH_EVERY_MS) {
      this.searchEvery = SEARCH_EVERY_MS
      this.searchAt = now + SEARCH_EVERY_MS
    }
    if (pids === 'invisible') {
      namespaces.hideProcesses()
      return null
    }
    for (const pid of pids) {
      // Opened first: the descriptor stays bound to this process, even if its pid is reused.
      try {
        this.alive = fs.openSync(`${namespaces.procRoot}/${pid}/oom_score_adj`, 'r')
      } catch {
        continue
      }
      const namespace = readNamespace(fs, namespaces.procRoot, pid, null)
      if (namespace === host) return 'host'
      const netDev = namespace === null ? null : new StatFile(fs, `${namespaces.procRoot}/${pid}/net`, 'dev', onProblem)
      this.netDev = netDev
      // The process may have exited meanwhile: its pid then names nobody, or somebody else.
      if (netDev?.present && this.exists()) return 'own'
      this.release()
    }
    return null
  }
}

/**
 * Up to `MAX_CANDIDATES` pids of the target's processes: in the first of `folders` that lists
 * any in its `cgroup.procs`, or in its descendants' (breadth first; a pod's cgroup holds none
 * of its own). `invisible` when the only pids listed are 0: the processes live outside
 * radvisor's PID namespace.
 */
function listProcesses(fs: FileSystem, folders: readonly string[]): string[] | 'invisible' {
  let invisible = false
  for (const folder of folders) {
    const queue = [folder]
    for (let visited = 0; visited < queue.length; visited++) {
      const current = queue[visited]!
      let text = ''
      try {
        text = String(fs.readFileSync(`${current}/cgroup.procs`, 'utf8'))
      } catch {
        // A folder of a controller this cgroup does not have, or one removed meanwhile.
      }
      const pids: string[] = []
      for (const line of text.split('\n')) {
        if (line === '0') invisible = true
        else if (/^[1-9]\d{0,9}$/.test(line) && pids.length < MAX_CANDIDATES) pids.push(line)
      }
      if (pids.length > 0) return pids
      try {
        for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
          if (entry.isDirectory() && queue.length < MAX_FOLDERS) queue.push(`${current}/${entry.name}`)
        }
      } catch {
        // Gone, or never there: nothing below it either.
      }
    }
  }
  return invisible ? 'invisible' : []
}
