import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import type { Hierarchy } from '@radvisor/cgroup'

/** The v1 controllers the v1 collector reads; the bench creates its cgroups under each. */
const V1_CONTROLLERS = ['pids', 'cpu', 'cpuacct', 'memory', 'blkio']
/** Controllers a busy process may join. Never memory: the bench must not charge memory to its cgroups. */
const PROCESS_CONTROLLERS = ['pids', 'cpu', 'cpuacct', 'blkio']
const V2_CONTROLLERS = ['cpu', 'memory', 'pids', 'io']

/** Light load for a few targets, so their counters move: ~1 ms of arithmetic every 20 ms. */
const SPINNER = 'while (1) { my $x = 0; $x += $_ for 1..20000; select(undef, undef, undef, 0.02) }'
/** Block I/O for one target: 4 KiB written and fsynced every 100 ms. */
const WRITER =
  "use IO::Handle; open(my $f, '>', $ARGV[0]) or die \"$!\"; while (1) { seek($f, 0, 0); print $f 'x' x 4096; $f->flush; $f->sync; select(undef, undef, undef, 0.1) }"

export interface BenchCgroupsOptions {
  /**
   * On a hybrid host, also create each cgroup in the v2 hierarchy (`unified/`), as systemd
   * does, so that the extended columns find its pressure files there.
   */
  readonly alsoUnified?: boolean
}

/**
 * Docker-style cgroups of the bench's own, `bench-<random>/<64 hex>`, under each v1
 * controller the collector reads (or under the v2 root), plus a few light busy processes
 * in the first of them, and optionally a network namespace per cgroup with a process in it.
 * Remembers everything it created and removes exactly that.
 */
export class BenchCgroups {
  /** The group folder name, `bench-<random>`. */
  readonly group = `bench-${randomBytes(4).toString('hex')}`
  /** Target cgroup paths, relative to each controller folder (v1) or the root (v2). */
  readonly paths: string[] = []
  private readonly bases: string[]
  private readonly processFolders: string[]
  /** Every folder created, in creation order. */
  private readonly created: string[] = []
  private readonly busy: Subprocess[] = []
  /** Network namespaces created (`ip netns` names), in creation order. */
  private readonly namespaces: string[] = []

  constructor(
    readonly hierarchy: Hierarchy,
    options: BenchCgroupsOptions = {},
  ) {
    if (hierarchy.version === 'v2') {
      this.bases = [hierarchy.unified ?? hierarchy.root]
      // On v2 a process in a cgroup is in all its controllers, memory included: no busy processes.
      this.processFolders = []
    } else {
      const folder = (controller: string) => hierarchy.controllers[controller]
      this.bases = unique([...V1_CONTROLLERS.map(folder), options.alsoUnified && hierarchy.version === 'hybrid' ? hierarchy.unified! : undefined])
      const memory = folder('memory')
      this.processFolders = unique(PROCESS_CONTROLLERS.map(folder)).filter((path) => path !== memory)
    }
    if (this.bases.length === 0) throw new Error('no cgroup controller folders found to create the bench cgroups in')
  }

  /** Creates target cgroups until there are `count`. */
  grow(count: number): void {
    if (this.created.length === 0) {
      for (const base of this.bases) this.makeFolder(join(base, this.group))
      if (this.hierarchy.version === 'v2') this.enableV2Controllers()
    }
    while (this.paths.length < count) {
      const path = `${this.group}/${randomBytes(32).toString('hex')}`
      for (const base of this.bases) this.makeFolder(join(base, path))
      this.paths.push(path)
    }
  }

  /**
   * Starts two light spinners and one fsync writer in the first three cgroups (cpu, cpuacct,
   * pids and blkio only). Returns a note when none could start.
   */
  startBusyProcesses(scratch: string): string | null {
    if (this.processFolders.length === 0) return 'cgroup v2: no busy processes (they would join the memory controller)'
    if (!Bun.which('perl')) return 'perl not found: no busy processes in the bench cgroups'
    const scripts = [[SPINNER], [SPINNER], [WRITER, join(scratch, 'busy-io')]]
    scripts.slice(0, this.paths.length).forEach(([script, ...args], index) => {
      const child = Bun.spawn(['perl', '-e', script!, ...args], { stdout: 'ignore', stderr: 'ignore' })
      this.busy.push(child)
      for (const folder of this.processFolders) writeFileSync(join(folder, this.paths[index]!, 'cgroup.procs'), String(child.pid))
    })
    return null
  }

  /**
   * Gives each of the first `count` cgroups a network namespace of its own, as a container
   * has: `lo` and `eth0` (a veth whose peer, `peer0`, stays inside too, so that nothing appears
   * on the host: three interfaces where a container has two), and a sleeping process in it that joins the cgroup (cpu,
   * cpuacct, pids and blkio only). Call it before `startBusyProcesses`, so that the sleeper
   * is the first process each cgroup lists. Returns a note when it cannot.
   */
  async giveNetworkNamespaces(count: number): Promise<string | null> {
    if (this.processFolders.length === 0) return 'cgroup v2: no network namespaces (their processes would join the memory controller)'
    if (!Bun.which('ip')) return 'ip (iproute2) not found: no network namespaces'
    for (const path of this.paths.slice(0, count)) {
      const namespace = `${this.group}-${this.namespaces.length}`
      run(['ip', 'netns', 'add', namespace])
      this.namespaces.push(namespace)
      run(['ip', '-n', namespace, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0'])
      run(['ip', '-n', namespace, 'link', 'set', 'eth0', 'up'])
      run(['ip', '-n', namespace, 'link', 'set', 'peer0', 'up'])
      run(['ip', '-n', namespace, 'link', 'set', 'lo', 'up'])
      const sleeper = Bun.spawn(['ip', 'netns', 'exec', namespace, 'sleep', '100000'], { stdout: 'ignore', stderr: 'ignore' })
      this.busy.push(sleeper)
      // `ip netns exec` enters the namespace, then becomes sleep: join the cgroup once it has.
      for (let attempt = 0; !readFileSync(`/proc/${sleeper.pid}/cmdline`, 'utf8').startsWith('sleep'); attempt++) {
        if (attempt > 200) throw new Error(`ip netns exec ${namespace} did not start sleep`)
        await Bun.sleep(5)
      }
      for (const folder of this.processFolders) writeFileSync(join(folder, path, 'cgroup.procs'), String(sleeper.pid))
    }
    return null
  }

  /** Kills the busy processes, waits for them, removes the network namespaces and every folder created, deepest first. */
  async remove(): Promise<string[]> {
    for (const child of this.busy.splice(0)) {
      child.kill('SIGKILL')
      await child.exited
    }
    for (const namespace of this.namespaces.splice(0)) Bun.spawnSync(['ip', 'netns', 'del', namespace])
    const failed: string[] = []
    for (const folder of this.created.splice(0).reverse()) {
      if (!(await removeFolder(folder))) failed.push(folder)
    }
    return failed
  }

  private makeFolder(folder: string): void {
    mkdirSync(folder)
    this.created.push(folder)
  }

  /** Lets the targets below the group have the controllers the collector reads (v2 enables none by default). */
  private enableV2Controllers(): void {
    const root = this.bases[0]!
    const available = new Set(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8').split(/\s+/))
    const wanted = V2_CONTROLLERS.filter((controller) => available.has(controller))
    writeFileSync(join(root, this.group, 'cgroup.subtree_control'), wanted.map((controller) => `+${controller}`).join(' '))
  }
}

/** rmdir, retrying while the kernel still counts a just-killed process in the cgroup. */
async function removeFolder(folder: string): Promise<boolean> {
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      rmdirSync(folder)
      return true
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return true
      if (code !== 'EBUSY') return false
      await Bun.sleep(50)
    }
  }
  return false
}

function run(command: string[]): void {
  const result = Bun.spawnSync(command, { stderr: 'pipe' })
  if (result.exitCode !== 0) throw new Error(`${command.join(' ')} failed: ${result.stderr.toString().trim()}`)
}

function unique(folders: (string | undefined)[]): string[] {
  return [...new Set(folders.filter((folder) => folder !== undefined))]
}
