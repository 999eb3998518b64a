/**
 * `bun bench/instructions.ts [<other checkout>] [--mode collector|cli] [--n 100]`: user-space
 * instructions per target-tick of the main thread, counted by valgrind (callgrind), of the
 * collector loop or the whole CLI over the bench's cgroups. Instruction counts do not depend
 * on how loaded the machine is, where CPU times under load vary by ±30%. What they miss: the
 * kernel's part (the floor), the time a cache miss costs, and JavaScript's optimised code:
 * under valgrind JavaScriptCore's optimising tiers run about 10× the instructions they run
 * natively (a byte loop: ~50 instructions a byte), so they compare native code (Bun's
 * bindings, the batch read) well and JavaScript changes poorly.
 *
 * Each checkout runs twice with the same warm-up and `--ticks` a and b measured ticks; the
 * difference of the two totals over (b - a) × N target-ticks leaves out startup, warm-up and
 * shutdown. Needs root (cgroups) and valgrind.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Child } from './_children.ts'
import { loadAverage } from './_proc.ts'
import { BACK_TO_BACK_BUFFER, type CliSetup, cliCommand } from './_runs.ts'
import { withBenchCgroups } from './_session.ts'

const USAGE = `usage: bun bench/instructions.ts [<other checkout>] [options]
  --mode <m>        collector (default) or cli (back to back, --interval 1us)
  --n <n>           targets (default 100)
  --ticks <a,b>     measured ticks of the short and the long run (default 20,120)
  --warmup <n>      collector only: ticks before measuring (default 200)
  --cgroup-root <p> default /sys/fs/cgroup`

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'collector' },
    n: { type: 'string', default: '100' },
    ticks: { type: 'string', default: '20,120' },
    warmup: { type: 'string', default: '200' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
    help: { type: 'boolean', short: 'h' },
  },
})
const mode = options.mode
const [shortTicks, longTicks] = options.ticks.split(',').map(Number) as [number, number]
if (options.help || (mode !== 'collector' && mode !== 'cli') || !(longTicks > shortTicks && shortTicks > 0)) {
  console.error(USAGE)
  process.exit(options.help ? 0 : 2)
}
const valgrind = Bun.which('valgrind')
if (!valgrind) {
  console.error('bench: valgrind not found (apt-get install valgrind)')
  process.exit(2)
}
const targets = Number(options.n)
const root = options['cgroup-root']
const checkouts = [resolve(import.meta.dir, '..'), ...positionals.map((path) => resolve(path))]

await withBenchCgroups(root, async (cgroups, scratch) => {
  cgroups.grow(targets)
  cgroups.startBusyProcesses(scratch)
  const pathsFile = join(scratch, 'paths.txt')
  writeFileSync(pathsFile, `${cgroups.paths.join('\n')}\n`)
  const setup: CliSetup = { root, match: `${cgroups.group}/*`, scratch, targets }
  console.error(`bench: ${mode}, N=${targets}, ticks ${shortTicks} and ${longTicks}, load ${loadAverage()}`)
  const perTargetTick: number[] = []
  for (const checkout of checkouts) {
    const short = await count(checkout, shortTicks)
    const long = await count(checkout, longTicks)
    const value = (long - short) / ((longTicks - shortTicks) * targets)
    perTargetTick.push(value)
    console.log(`${checkout}: ${Math.round(value)} instructions per target-tick, main thread (${short} and ${long} in all; load ${loadAverage()})`)
  }
  if (perTargetTick.length > 1) console.log(`this / other: ${(perTargetTick[0]! / perTargetTick[1]!).toFixed(3)}`)

  /**
   * Instructions of the main thread in one run: the JIT compiler's threads work a varying
   * amount from run to run, which would swamp a difference of a few percent.
   */
  async function count(checkout: string, ticks: number): Promise<number> {
    const out = join(scratch, `callgrind-${Date.now()}`)
    const tool = [valgrind!, '--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${out}`]
    const command =
      mode === 'collector'
        ? [process.execPath, join(checkout, 'bench/_collector-loop.ts'), root, pathsFile, options.warmup, String(ticks)]
        : cliCommand(setup, join(scratch, `logs-${Date.now()}`), [...BACK_TO_BACK_BUFFER, '--interval', '1us', '--ticks', String(ticks)]).map((part) =>
            part.endsWith('packages/cli/src/bin.ts') ? join(checkout, 'packages/cli/src/bin.ts') : part,
          )
    await new Child([...tool, ...command]).finish(`callgrind ${mode}`)
    const main = /^totals: (\d+)/m.exec(readFileSync(`${out}-01`, 'utf8'))
    if (!main) throw new Error(`callgrind wrote no totals for the main thread in ${out}-01`)
    return Number(main[1])
  }
})
