/**
 * `bun bench/columns.ts [--n 100] [--pairs 6] [--work 50000]`: what the extended columns cost
 * per target and tick against radvisor 1.4's set (`--columns radvisor`), each against the C
 * floor reading the very files that set holds open. Over the same bench cgroups, made as a
 * systemd host makes them (also in the v2 hierarchy, for the pressure files), each with a
 * network namespace of its own (`lo`, `eth0` and its veth peer) and a process in it, as a
 * container has. Per pair: floor and collector loop of one set, then of the other, the order alternating.
 * Needs root, like `bun run bench`; removes its cgroups and namespaces at the end.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { loadAverage, machine } from './_proc.ts'
import { buildFloor, type CollectorRun, collectorBackToBack, floorBackToBack } from './_runs.ts'
import { withBenchCgroups } from './_session.ts'

const { values: options } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    pairs: { type: 'string', default: '6' },
    work: { type: 'string', default: '50000' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
  },
})
const targets = Number(options.n)
const pairs = Number(options.pairs)
const ticks = Math.max(1, Math.round(Number(options.work) / targets))
const root = options['cgroup-root']
const SETS = ['radvisor', 'extended'] as const
type ColumnSet = (typeof SETS)[number]

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const range = (values: number[]): string => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`
const perTargetTick = (us: number): number => us / (ticks * targets)

const host = machine()
await withBenchCgroups(
  root,
  async (cgroups, scratch) => {
    const floor = await buildFloor(scratch)
    if (!('binary' in floor)) throw new Error(floor.missing)
    cgroups.grow(targets)
    const noNetwork = await cgroups.giveNetworkNamespaces(targets)
    if (noNetwork) console.error(`bench: ${noNetwork}`)
    cgroups.startBusyProcesses(scratch)
    const pathsFile = join(scratch, 'paths.txt')
    writeFileSync(pathsFile, `${cgroups.paths.join('\n')}\n`)
    // The files each set holds open, for the floor: exactly those, in reading order.
    const fileLists = {} as Record<ColumnSet, string>
    const filesOf = {} as Record<ColumnSet, string[]>
    for (const set of SETS) {
      const probe = await collectorBackToBack(root, pathsFile, 1, 1, set)
      filesOf[set] = probe.files
      fileLists[set] = join(scratch, `files-${set}.txt`)
      writeFileSync(fileLists[set], `${probe.files.join('\n')}\n`)
      console.error(`bench: ${set}: ${(probe.files.length / targets).toFixed(2)} files per target (${describeFiles(probe.files)})`)
    }
    console.error(
      `bench: ${host.cpus} CPUs (${host.cpuModel}), kernel ${host.kernel}, Bun ${host.bun}, cgroup ${cgroups.hierarchy.version}; ` +
        `N=${targets}, ${ticks} ticks back to back, ${pairs} pairs; load ${loadAverage()}`,
    )
    const results: Record<ColumnSet, { floor: number; collector: CollectorRun }[]> = { radvisor: [], extended: [] }
    const loads: number[] = []
    for (let pair = 0; pair < pairs; pair++) {
      for (const set of pair % 2 === 0 ? SETS : [...SETS].reverse()) {
        const floorRun = await floorBackToBack(floor.binary, fileLists[set], ticks)
        const collector = await collectorBackToBack(root, pathsFile, Math.round(ticks / 5), ticks, set)
        if (collector.collected !== ticks * targets) throw new Error(`the ${set} collector loop collected ${collector.collected} rows, expected ${ticks * targets}`)
        results[set].push({ floor: floorRun.cpuUs, collector })
      }
      loads.push(loadAverage())
      const last = (set: ColumnSet) => results[set].at(-1)!
      console.error(
        `pair ${pair + 1}: radvisor ${perTargetTick(last('radvisor').collector.cpuUs).toFixed(2)} µs (floor ${perTargetTick(last('radvisor').floor).toFixed(2)}), ` +
          `extended ${perTargetTick(last('extended').collector.cpuUs).toFixed(2)} µs (floor ${perTargetTick(last('extended').floor).toFixed(2)}); load ${loads.at(-1)}`,
      )
    }
    const column = (set: ColumnSet, pick: (run: { floor: number; collector: CollectorRun }) => number) => results[set].map((run) => perTargetTick(pick(run)))
    console.log(`N=${targets}, ${ticks} ticks, ${pairs} pairs, CPU µs per target-tick, median [min–max]; load average ${loads.map(String).join(', ')}`)
    console.log('| set | floor µs | collector µs | user µs | collector ×floor |')
    console.log('|---|--:|--:|--:|--|')
    for (const set of SETS) {
      const floors = column(set, (run) => run.floor)
      const collectors = column(set, (run) => run.collector.cpuUs)
      const ratios = results[set].map((run) => run.collector.cpuUs / run.floor)
      console.log(
        `| ${set} | ${median(floors).toFixed(2)} [${range(floors)}] | ${median(collectors).toFixed(2)} [${range(collectors)}] | ${median(column(set, (run) => run.collector.userUs)).toFixed(2)} | ${median(ratios).toFixed(2)} [${range(ratios)}] |`,
      )
    }
    const added = (pick: (run: { floor: number; collector: CollectorRun }) => number) =>
      results.extended.map((run, i) => perTargetTick(pick(run) - pick(results.radvisor[i]!)))
    const addedCollector = added((run) => run.collector.cpuUs)
    const addedFloor = added((run) => run.floor)
    console.log(`extended − radvisor, pair by pair: collector +${median(addedCollector).toFixed(2)} µs [${range(addedCollector)}], floor +${median(addedFloor).toFixed(2)} µs [${range(addedFloor)}]`)

    // The kernel's cost of each kind of file the extended set adds: the floor over those files alone.
    const radvisorFiles = new Set(filesOf.radvisor)
    const extra = filesOf.extended.filter((file) => !radvisorFiles.has(file))
    const kinds = Map.groupBy(extra, (file) => (file.startsWith('/proc/') ? file.replace(/^\/proc\/\d+\//, '/proc/<pid>/') : file.slice(file.lastIndexOf('/') + 1)))
    console.log('| added file | files | floor µs per read, median of 3 |')
    console.log('|---|--:|--:|')
    for (const [kind, files] of kinds) {
      const list = join(scratch, `kind-${kind.replace(/\W/g, '_')}.txt`)
      writeFileSync(list, `${files.join('\n')}\n`)
      const reads: number[] = []
      for (let run = 0; run < 3; run++) reads.push((await floorBackToBack(floor.binary, list, ticks)).cpuUs / (ticks * files.length))
      console.log(`| ${kind} | ${files.length} | ${median(reads).toFixed(2)} |`)
    }
  },
  { alsoUnified: true },
)

/** `18 cgroup files, 3 in unified/, 2 in /proc`: where a set's files are. */
function describeFiles(files: readonly string[]): string {
  const proc = files.filter((file) => file.startsWith('/proc/')).length
  const unified = files.filter((file) => file.includes('/unified/')).length
  return `${files.length - proc - unified} v1 cgroup files, ${unified} in unified/, ${proc} in /proc, for all targets`
}
