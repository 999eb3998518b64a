/**
 * `bun bench/threads.ts [--n 100] [--rounds 2] [--variant "name=args"]...`: CPU every 50 ms,
 * split by thread (Bun's main thread, JIT workers, GC helpers, mimalloc's scavenger), and each
 * run's peak RSS, for variants run in alternation over the same bench cgroups, each with the
 * settle and window of `bun run bench`. A variant is `name=args`: the whole CLI with `args`
 * added to its options; `floor=` the C floor and `collectors=` radvisor's collectors alone on
 * its scheduler (as in `bench/periodic.ts`; also any name starting `floor-` or `collectors-`,
 * for their environment variants). Words `KEY=value` at the start of `args` go to the child's
 * environment; `--radvisor <path>` next starts that variant's CLI from `<path>` (the
 * standalone binary), as `--radvisor` among the options does for every variant. `--perf
 * <prefix>` also records each window with `perf record -g` into `<prefix>-<name>-<round>.data`.
 * Needs root, like `bun run bench`.
 *
 *   bun bench/threads.ts --variant floor= --variant collectors= --variant csvy= \
 *     --variant "discard=--poll 1h --sink ./bench/_discard-sink.ts"
 */
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Child } from './_children.ts'
import { cpuBetween, loadAverage, machine, threadCpu } from './_proc.ts'
import { buildFloor, cliCommand, collectorPeriodicCommand, floorPeriodicCommand } from './_runs.ts'
import { withBenchCgroups } from './_session.ts'
import { spread } from './_stats.ts'
import { prepareTargets, WINDOWED_OPTIONS, windowedSettings } from './_windowed.ts'

const { values: options } = parseArgs({
  options: {
    ...WINDOWED_OPTIONS,
    rounds: { type: 'string', default: '2' },
    variant: { type: 'string', multiple: true, default: ['floor=', 'collectors=', 'csvy='] },
    perf: { type: 'string' },
  },
})
const settings = windowedSettings(options)
const { targets, intervalMs, settleMs, windowMs, columns, root } = settings

interface Variant {
  readonly name: string
  readonly args: string[]
  readonly env: Record<string, string>
  /** How this variant's CLI is started, where it says (`--radvisor <command>` first in its args). */
  readonly radvisor?: string[]
}
const variants: Variant[] = options.variant.map((spec) => {
  const split = spec.indexOf('=')
  if (split < 1) throw new Error(`--variant ${spec}: expected name=args`)
  const words = spec.slice(split + 1).split(' ').filter(Boolean)
  const env: Record<string, string> = {}
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const word = words.shift()!
    env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1)
  }
  if (words[0] === '--radvisor') {
    if (!words[1]) throw new Error(`--variant ${spec}: --radvisor needs a command`)
    return { name: spec.slice(0, split), args: words.slice(2), env, radvisor: [words[1]] }
  }
  return { name: spec.slice(0, split), args: words, env }
})

/** Whether a variant runs the floor or the collectors alone (`floor`, `floor-<anything>`), not the CLI. */
const isKind = (variant: Variant, kind: 'floor' | 'collectors') => variant.name === kind || variant.name.startsWith(`${kind}-`)

const host = machine()
await withBenchCgroups(root, async (cgroups, scratch) => {
  const floor = await buildFloor(scratch)
  const { pathsFile, fileList, filesPerTarget, setup } = await prepareTargets(cgroups, scratch, settings)
  console.error(`bench: ${host.cpus} CPUs (${host.cpuModel}), kernel ${host.kernel}, Bun ${host.bun}, load ${host.loadAtStart}; N=${targets}, ${filesPerTarget} files per target`)

  /** The command of a variant and the line it prints when its ticks have begun. */
  const launch = (variant: Variant): { command: string[]; stream: 'stdout' | 'stderr'; ready: RegExp } => {
    if (isKind(variant, 'floor')) {
      if ('missing' in floor) throw new Error(`bench: ${floor.missing}`)
      return { command: floorPeriodicCommand(floor.binary, fileList, intervalMs, settleMs, windowMs), stream: 'stdout', ready: /^ready$/m }
    }
    if (isKind(variant, 'collectors')) return { command: collectorPeriodicCommand(root, pathsFile, columns, intervalMs), stream: 'stdout', ready: /^ready$/m }
    const safety = `${Math.ceil((settleMs + windowMs) / 1000) + 60}s`
    const command = cliCommand(variant.radvisor ? { ...setup, radvisor: variant.radvisor } : setup, mkdtempSync(join(scratch, 'logs-')), ['--interval', `${intervalMs}ms`, '--duration', safety, ...variant.args])
    return { command, stream: 'stderr', ready: /Beginning\s+collection every/ }
  }

  const shares = new Map<string, Map<string, number>[]>(variants.map((variant) => [variant.name, []]))
  /** Peak RSS of each run in MiB (getrusage after it was killed; startup included). */
  const peaks = new Map<string, number[]>(variants.map((variant) => [variant.name, []]))
  for (let round = 1; round <= Number(options.rounds); round++) {
    for (const variant of variants) {
      const { command, stream, ready } = launch(variant)
      const child = new Child(command, { ...process.env, ...variant.env })
      await child.waitFor(stream, ready)
      await Bun.sleep(settleMs)
      const before = threadCpu(child.pid)
      const start = Bun.nanoseconds()
      if (options.perf) {
        const data = `${options.perf}-${variant.name}-${round}.data`
        Bun.spawnSync(['perf', 'record', '-g', '-o', data, '-p', String(child.pid), '--', 'sleep', String(windowMs / 1000)], { stdout: 'ignore', stderr: 'ignore' })
      } else await Bun.sleep(windowMs)
      const after = threadCpu(child.pid)
      const wallNs = Bun.nanoseconds() - start
      await child.kill()
      peaks.get(variant.name)!.push((child.process.resourceUsage()?.maxRSS ?? Number.NaN) / 1024 / 1024)
      const byName = new Map([...cpuBetween(before, after)].map(([name, ns]) => [name, ns / wallNs]))
      shares.get(variant.name)!.push(byName)
      console.error(`bench: ${variant.name}, round ${round}: ${(byName.get('')! * 100).toFixed(2)}% of a core (load ${loadAverage()})`)
    }
  }

  const threads = [...new Set([...shares.values()].flatMap((runs) => runs.flatMap((run) => [...run.keys()])))].filter((name) => name !== '').sort()
  const percent = (values: number[]) => {
    const { median, min, max } = spread(values)
    return `${(median * 100).toFixed(2)} [${(min * 100).toFixed(2)}–${(max * 100).toFixed(2)}]`
  }
  console.log(`\nevery ${intervalMs} ms, N=${targets}, --columns ${columns}; % of one core, median [min–max] over ${options.rounds} rounds\n`)
  console.log(`| variant | all threads | ${threads.join(' | ')} | peak RSS MiB |`)
  console.log(`|---|--:|${threads.map(() => '--:|').join('')}--:|`)
  for (const [name, runs] of shares) {
    const column = (thread: string) => percent(runs.map((run) => run.get(thread) ?? 0))
    const { median, min, max } = spread(peaks.get(name)!)
    console.log(`| ${name} | ${column('')} | ${threads.map(column).join(' | ')} | ${median.toFixed(1)} [${min.toFixed(1)}–${max.toFixed(1)}] |`)
  }
  console.log(`\nload average ${host.loadAtStart} at start, ${loadAverage()} at end`)
})
