/**
 * `bun run bench`: radvisor's collection cost against the kernel floor, tick punctuality,
 * memory and scale, on real cgroups of its own (see bench/README.md). Root on Linux only.
 */
import * as fs from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseDuration } from '@radvisor/core'
import type { BenchCgroups } from './_cgroups.ts'
import { loadAverage, machine } from './_proc.ts'
import {
  buildFloor,
  type CliSetup,
  cliBackToBack,
  cliWindowed,
  collectorBackToBack,
  floorBackToBack,
  floorWindowed,
  radvisorCommand,
} from './_runs.ts'
import { withBenchCgroups } from './_session.ts'
import { type PairResult, type ScaleResult, summarize, verdicts } from './_summary.ts'
import { formatTable, formatVerdicts } from './_table.ts'

const USAGE = `usage: bun run bench [-- options]
  --n <list>          target counts, comma-separated (default 10,100,500,1000)
  --pairs <n>         A-B pairs per comparison and target count (default 5)
  --work <n>          target-ticks per back-to-back run: ticks = work / N (default 50000)
  --interval <d>      interval of the periodic runs (default 50ms)
  --window <d>        measured window of each periodic run (default 10s)
  --settle <d>        wait before the window starts (default 15s: the JIT compiler is done by then)
  --cli-gap <d>       sleep of the floor between ticks when paired with the CLI back to back
                      (default 0: at --interval 1us the CLI's ticks run back to back too)
  --json <path>       also write the results as JSON here
  --columns <set>     extended (default) or radvisor: the column set of every radvisor run
  --cgroup-root <p>   where the cgroup tree is mounted (default /sys/fs/cgroup)
  --radvisor <cmd>    how the CLI is started, split at spaces (default: Bun on the sources),
                      e.g. dist/radvisor-linux-x64 for the standalone binary`

const { values: options } = parseArgs({
  options: {
    n: { type: 'string', default: '10,100,500,1000' },
    pairs: { type: 'string', default: '5' },
    work: { type: 'string', default: '50000' },
    interval: { type: 'string', default: '50ms' },
    window: { type: 'string', default: '10s' },
    settle: { type: 'string', default: '15s' },
    'cli-gap': { type: 'string', default: '0' },
    json: { type: 'string' },
    columns: { type: 'string', default: 'extended' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
    radvisor: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (options.help) {
  console.log(USAGE)
  process.exit(0)
}

const counts = options.n.split(',').map(positiveInteger).sort((a, b) => a - b)
const pairs = positiveInteger(options.pairs)
const work = positiveInteger(options.work)
const intervalMs = parseDuration(options.interval, '--interval')
const windowMs = parseDuration(options.window, '--window')
const settleMs = parseDuration(options.settle, '--settle')
const cliGapUs = options['cli-gap'] === '0' ? 0 : Math.round(parseDuration(options['cli-gap'], '--cli-gap') * 1000)
const root = options['cgroup-root']
if (options.columns !== 'extended' && options.columns !== 'radvisor') {
  console.error(`bench: --columns is extended or radvisor, not '${options.columns}'\n${USAGE}`)
  process.exit(2)
}
const columns = options.columns

const host = machine()
await withBenchCgroups(root, async (cgroups, scratch) => {
  const floor = await buildFloor(scratch)
  if ('missing' in floor) console.error(`bench: ${floor.missing}`)
  const floorBinary = 'binary' in floor ? floor.binary : null
  console.error(
    `bench: ${host.cpus} CPUs (${host.cpuModel}), kernel ${host.kernel}, Bun ${host.bun}, load ${host.loadAtStart}; ` +
      `cgroup ${cgroups.hierarchy.version}, group ${cgroups.group}; N = ${counts.join(', ')}; ${pairs} pairs`,
  )
  const scales: ScaleResult[] = []
  for (const targets of counts) {
    cgroups.grow(targets)
    if (scales.length === 0) {
      const note = cgroups.startBusyProcesses(scratch)
      if (note) console.error(`bench: ${note}`)
    }
    scales.push(await measureScale(cgroups, scratch, targets, floorBinary))
    console.error(formatTable([summarize(scales.at(-1)!)]).split('\n')[1])
  }
  host.loadAtEnd = loadAverage()
  const summaries = scales.map(summarize)
  const checks = verdicts(summaries, columns)
  console.log(`\n${formatTable(summaries)}\n\n${formatVerdicts(checks)}`)
  console.log(`\nload average ${host.loadAtStart} at start, ${host.loadAtEnd} at end (${host.cpus} CPUs)`)
  if (options.json) {
    const settings = { counts, pairs, work, intervalMs, windowMs, settleMs, cliGapUs, columns, cgroupVersion: cgroups.hierarchy.version, buffer: { backToBack: '64KiB', periodic: 'default (16MiB limit)' } }
    fs.writeFileSync(options.json, `${JSON.stringify({ machine: host, settings, summaries, verdicts: checks, raw: scales }, null, 2)}\n`)
    console.log(`wrote ${options.json}`)
  }
})

/** Every comparison at one target count, A B A B: floor, radvisor, floor, radvisor, ... */
async function measureScale(cgroups: BenchCgroups, scratch: string, targets: number, floorBinary: string | null): Promise<ScaleResult> {
  const pathsFile = join(scratch, `paths-${targets}.txt`)
  fs.writeFileSync(pathsFile, `${cgroups.paths.slice(0, targets).join('\n')}\n`)
  const ticks = Math.max(1, Math.round(work / targets))
  const baselineTicks = Math.max(1, Math.round(ticks / 5))

  // The floor reads exactly the files radvisor's collectors hold open: the fewest that give
  // its columns. A second floor reads radvisor 1.4's set, for the same columns.
  const probe = await collectorBackToBack(root, pathsFile, 1, 1, columns)
  const fileList = join(scratch, `files-${targets}.txt`)
  fs.writeFileSync(fileList, `${probe.files.join('\n')}\n`)
  // The extended columns hold a process's files open only for targets that have one.
  if (probe.files.length < targets) throw new Error(`the collectors hold ${probe.files.length} files open for ${targets} targets`)
  const radvisorFiles = radvisorFileSet(probe.files)
  const radvisorFileList = join(scratch, `radvisor-files-${targets}.txt`)
  fs.writeFileSync(radvisorFileList, `${radvisorFiles.join('\n')}\n`)

  const setup: CliSetup = { root, match: `${cgroups.group}/*`, scratch, targets, columns, radvisor: radvisorCommand(options.radvisor) }
  const floorRun = (list: string, gapUs = 0) => (floorBinary ? floorBackToBack(floorBinary, list, ticks, gapUs) : Promise.resolve(null))
  const floorWindow = (list: string) => (floorBinary ? floorWindowed(floorBinary, list, intervalMs, settleMs, windowMs) : Promise.resolve(null))
  const results: PairResult[] = []
  for (let pair = 1; pair <= pairs; pair++) {
    const floorForCollector = await floorRun(fileList)
    const collector = await collectorBackToBack(root, pathsFile, baselineTicks, ticks, columns)
    if (collector.collected !== ticks * targets) throw new Error(`collector loop collected ${collector.collected} rows, expected ${ticks * targets}`)
    const radvisorFloorForCollector = await floorRun(radvisorFileList)
    const floorForCli = await floorRun(fileList, cliGapUs)
    const cli = await cliBackToBack(setup, ticks)
    const cliBaseline = await cliBackToBack(setup, baselineTicks)
    const floorWindowed50 = await floorWindow(fileList)
    const cliWindow = await cliWindowed(setup, intervalMs, settleMs, windowMs)
    const radvisorFloorWindow = await floorWindow(radvisorFileList)
    results.push({
      floorForCollector,
      radvisorFloorForCollector,
      collector,
      floorForCli,
      cli,
      cliBaseline,
      floorWindow: floorWindowed50,
      radvisorFloorWindow,
      cliWindow,
    })
    console.error(`bench: N=${targets} pair ${pair}/${pairs} done (load ${loadAverage()})`)
  }
  return { targets, ticks, baselineTicks, filesPerTarget: probe.files.length / targets, radvisorFilesPerTarget: radvisorFiles.length / targets, pairs: results }
}

/**
 * radvisor 1.4's files for the same columns: `cpuacct.usage`, `_sys` and `_user` read on their
 * own where radvisor now sums `cpuacct.usage_percpu` and `cpuacct.usage_all`.
 */
function radvisorFileSet(files: readonly string[]): string[] {
  return files.flatMap((file) => {
    if (!file.endsWith('/cpuacct.usage_all')) return [file]
    const folder = file.slice(0, file.lastIndexOf('/'))
    return ['cpuacct.usage', 'cpuacct.usage_sys', 'cpuacct.usage_user'].map((name) => `${folder}/${name}`).filter((path) => fs.existsSync(path))
  })
}

function positiveInteger(text: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench: expected a positive whole number, got '${text}'\n${USAGE}`)
    process.exit(2)
  }
  return value
}
