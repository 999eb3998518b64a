/**
 * `bun bench/periodic.ts [--n 100] [--pairs 3] [--columns radvisor]`: where the whole CLI's
 * CPU every 50 ms goes beyond the floor's. Per pair, each every `--interval` with the same
 * settle and window as `bun run bench`: the C floor, radvisor's collectors alone on
 * radvisor's scheduler (rows filled and discarded: no runner, provider, sink or poll), and the
 * whole CLI with the CSVY sink. The collectors' share against the floor's is what the reads
 * and parsing cost at that pace; the CLI's against the collectors' is everything around them.
 * `--cli-args="..."` adds options to the CLI runs (e.g. `--poll 1h`, `--sink jsonl --jsonl-path /dev/null`).
 * Needs root, like `bun run bench`.
 */
import { parseArgs } from 'node:util'
import { loadAverage, machine } from './_proc.ts'
import { buildFloor, cliWindowed, collectorWindowed, floorWindowed } from './_runs.ts'
import { withBenchCgroups } from './_session.ts'
import { ratios, spread } from './_stats.ts'
import { prepareTargets, WINDOWED_OPTIONS, windowedSettings } from './_windowed.ts'

const { values: options } = parseArgs({
  options: {
    ...WINDOWED_OPTIONS,
    pairs: { type: 'string', default: '3' },
    'cli-args': { type: 'string', default: '' },
  },
})
const settings = windowedSettings(options)
const { targets, intervalMs, settleMs, windowMs, columns, root } = settings
const pairs = Number(options.pairs)
/** Extra options of the CLI runs (split at spaces), to see what a part of the CLI costs, e.g. `--poll 1h`. */
const cliArgs = options['cli-args'].split(' ').filter(Boolean)

const host = machine()
await withBenchCgroups(root, async (cgroups, scratch) => {
  const floor = await buildFloor(scratch)
  if ('missing' in floor) throw new Error(`bench: ${floor.missing}`)
  const { pathsFile, fileList, filesPerTarget, setup } = await prepareTargets(cgroups, scratch, settings)
  console.error(`bench: ${host.cpus} CPUs (${host.cpuModel}), kernel ${host.kernel}, Bun ${host.bun}, load ${host.loadAtStart}; N=${targets}, ${filesPerTarget} files per target, ${pairs} pairs`)

  const floorShares: number[] = []
  const collectorShares: number[] = []
  const cliShares: number[] = []
  for (let pair = 1; pair <= pairs; pair++) {
    floorShares.push((await floorWindowed(floor.binary, fileList, intervalMs, settleMs, windowMs)).share)
    collectorShares.push((await collectorWindowed(root, pathsFile, columns, intervalMs, settleMs, windowMs)).share)
    cliShares.push((await cliWindowed(setup, intervalMs, settleMs, windowMs, cliArgs)).share)
    console.error(`bench: pair ${pair}/${pairs} done (load ${loadAverage()})`)
  }
  const percent = (values: number[]) => {
    const { median, min, max } = spread(values)
    return `${(median * 100).toFixed(1)}% [${(min * 100).toFixed(1)}–${(max * 100).toFixed(1)}]`
  }
  const times = (values: number[]) => {
    const { median, min, max } = spread(values)
    return `${median.toFixed(2)} [${min.toFixed(2)}–${max.toFixed(2)}]`
  }
  console.log(`\nevery ${intervalMs} ms, N=${targets}, --columns ${columns}${cliArgs.length ? `, CLI with ${cliArgs.join(' ')}` : ''}; share of one core, median [min–max] over ${pairs} pairs\n`)
  console.log('| floor | collectors alone | whole CLI | collectors ×floor | CLI ×collectors | CLI ×floor |')
  console.log('|--:|--:|--:|--|--|--|')
  console.log(
    `| ${percent(floorShares)} | ${percent(collectorShares)} | ${percent(cliShares)} | ${times(ratios(collectorShares, floorShares))} | ${times(ratios(cliShares, collectorShares))} | ${times(ratios(cliShares, floorShares))} |`,
  )
  console.log(`\nload average ${host.loadAtStart} at start, ${loadAverage()} at end`)
})
