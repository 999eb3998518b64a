/**
 * `bun bench/compare.ts <other checkout> [--n 100] [--pairs 6] [--work 50000]`: the collector
 * loop (`_collector-loop.ts`) of this checkout against another checkout's (e.g. the commit
 * before a change: `git worktree add /tmp/before <commit>`), over the same bench cgroups,
 * alternating which runs first in each pair, with the floor run before each pair. Needs root,
 * like `bun run bench`, and removes its cgroups at the end.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Child } from './_children.ts'
import { buildFloor, collectorLoop, floorBackToBack } from './_runs.ts'
import { withBenchCgroups } from './_session.ts'

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '100' },
    pairs: { type: 'string', default: '6' },
    work: { type: 'string', default: '50000' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
  },
})
const other = positionals[0] ? resolve(positionals[0]) : ''
const otherLoop = join(other, 'bench/_collector-loop.ts')
if (!existsSync(otherLoop)) {
  console.error('usage: bun bench/compare.ts <other checkout> [--n 100] [--pairs 6] [--work 50000]')
  process.exit(2)
}
const targets = Number(options.n)
const pairs = Number(options.pairs)
const ticks = Math.max(1, Math.round(Number(options.work) / targets))
const root = options['cgroup-root']

interface LoopResult {
  cpuUs: number
  userUs: number
  collected: number
  pageFaults: number
}

/** One collector loop; a checkout's script imports that checkout's packages. */
async function loop(script: string, pathsFile: string): Promise<LoopResult> {
  const child = new Child([process.execPath, script, root, pathsFile, String(Math.round(ticks / 5)), String(ticks)])
  const { stdout } = await child.finish('collector loop')
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as LoopResult
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const perTargetTick = (us: number): number => us / (ticks * targets)

await withBenchCgroups(root, async (cgroups, scratch) => {
  const floor = await buildFloor(scratch)
  cgroups.grow(targets)
  cgroups.startBusyProcesses(scratch)
  const pathsFile = join(scratch, 'paths.txt')
  writeFileSync(pathsFile, `${cgroups.paths.join('\n')}\n`)
  const rows: { floor: number; here: LoopResult; there: LoopResult }[] = []
  for (let pair = 0; pair < pairs; pair++) {
    const floorRun = 'binary' in floor ? await floorFor(floor.binary) : Number.NaN
    const first = pair % 2 === 0
    const a = await loop(first ? collectorLoop : otherLoop, pathsFile)
    const b = await loop(first ? otherLoop : collectorLoop, pathsFile)
    const [here, there] = first ? [a, b] : [b, a]
    if (here.collected !== ticks * targets || there.collected !== ticks * targets) throw new Error('a collector loop missed rows')
    rows.push({ floor: floorRun, here, there })
    console.error(
      `pair ${pair + 1}: floor ${floorRun.toFixed(2)} µs, this ${perTargetTick(here.cpuUs).toFixed(2)} µs (user ${perTargetTick(here.userUs).toFixed(2)}), ` +
        `other ${perTargetTick(there.cpuUs).toFixed(2)} µs (user ${perTargetTick(there.userUs).toFixed(2)}), faults ${here.pageFaults}/${there.pageFaults}`,
    )
  }
  const ratio = rows.map((row) => row.here.cpuUs / row.there.cpuUs)
  console.log(`N=${targets}, ${ticks} ticks, ${pairs} pairs, CPU µs per target-tick (median):`)
  console.log(`  floor ${median(rows.map((row) => row.floor)).toFixed(2)}`)
  console.log(`  this  ${perTargetTick(median(rows.map((row) => row.here.cpuUs))).toFixed(2)} (user ${perTargetTick(median(rows.map((row) => row.here.userUs))).toFixed(2)})`)
  console.log(`  other ${perTargetTick(median(rows.map((row) => row.there.cpuUs))).toFixed(2)} (user ${perTargetTick(median(rows.map((row) => row.there.userUs))).toFixed(2)})`)
  console.log(`  this / other: median ${median(ratio).toFixed(3)} [${Math.min(...ratio).toFixed(3)}–${Math.max(...ratio).toFixed(3)}]`)

  async function floorFor(binary: string): Promise<number> {
    const fileList = join(scratch, 'files.txt')
    if (!existsSync(fileList)) {
      const probe = JSON.parse(
        (await new Child([process.execPath, collectorLoop, root, pathsFile, '1', '1']).finish('collector loop')).stdout.trim().split('\n').at(-1)!,
      ) as { files: string[] }
      writeFileSync(fileList, `${probe.files.join('\n')}\n`)
    }
    return perTargetTick((await floorBackToBack(binary, fileList, ticks)).cpuUs)
  }
})
