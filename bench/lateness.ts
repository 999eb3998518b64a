/**
 * `bun bench/lateness.ts [--n 100] [--duration 20s] [--rounds 3] [--load]`: tick lateness of
 * the whole CLI every 50 ms over the bench's cgroups, with the scheduling options a DaemonSet
 * can use: none, `nice -n -10`, real-time `chrt --fifo 10` / `chrt --rr 10`, and a heavier CPU
 * weight (`weight`: radvisor in a cpu cgroup of 8× the default `cpu.shares`, what a larger
 * CPU request gives a pod). With
 * `--load`, one busy loop per CPU competes for the whole run (at nice 0, as other pods
 * would). Variants alternate within each round. Needs root (cgroups, and negative nice or
 * real-time priority need CAP_SYS_NICE).
 */
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { parseDuration } from '@radvisor/core'
import { Child } from './_children.ts'
import { loadAverage, processCpuNs } from './_proc.ts'
import { cliCommand } from './_runs.ts'
import { withBenchCgroups } from './_session.ts'
import { spread } from './_stats.ts'

const { values: options } = parseArgs({
  options: {
    n: { type: 'string', default: '100' },
    duration: { type: 'string', default: '20s' },
    rounds: { type: 'string', default: '3' },
    interval: { type: 'string', default: '50ms' },
    load: { type: 'boolean', default: false },
    variants: { type: 'string', default: 'default,nice,fifo,rr,weight' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
  },
})
const targets = Number(options.n)
const durationMs = parseDuration(options.duration, '--duration')
const root = options['cgroup-root']

/** How each variant starts the CLI. */
const PREFIXES: Record<string, string[]> = {
  default: [],
  nice: ['nice', '-n', '-10'],
  fifo: ['chrt', '--fifo', '10'],
  rr: ['chrt', '--rr', '10'],
  weight: [],
}
const variants = options.variants.split(',')
for (const variant of variants) if (!PREFIXES[variant]) throw new Error(`unknown variant ${variant}: one of ${Object.keys(PREFIXES).join(', ')}`)

const DESCRIPTIONS: Record<string, string> = { default: 'none', weight: 'cpu.shares 8192 (8× the default)' }

/** Removes radvisor's weight cgroup once the kernel has let its exited process go. */
function removeWhenEmpty(folder: string): void {
  for (let attempt = 0; attempt < 50 && existsSync(folder); attempt++) {
    try {
      rmdirSync(folder)
    } catch {
      Bun.sleepSync(20)
    }
  }
}

interface Result {
  readonly p50: number
  readonly p99: number
  readonly max: number
  readonly ticks: number
  readonly missed: number
  readonly share: number
}

const PUNCTUALITY = /Punctuality\s+(\d+) ticks, (\d+) missed; lateness p50 ([\d.]+)ms, p99 ([\d.]+)ms, max ([\d.]+)ms/

await withBenchCgroups(root, async (cgroups, scratch) => {
  cgroups.grow(targets)
  cgroups.startBusyProcesses(scratch)
  const busy: Child[] = []
  if (options.load) {
    for (let cpu = 0; cpu < availableParallelism(); cpu++) busy.push(new Child(['sh', '-c', 'while :; do :; done']))
  }
  console.error(`bench: lateness at ${options.interval}, N=${targets}, ${options.duration} per run, ${options.load ? `${busy.length} busy loops` : 'no added load'}, load ${loadAverage()}`)
  const results = new Map<string, Result[]>(variants.map((variant) => [variant, []]))
  let weightFolder: string | null = null
  try {
    for (let round = 1; round <= Number(options.rounds); round++) {
      for (const variant of round % 2 === 1 ? variants : [...variants].reverse()) {
        const result = await run(variant)
        results.get(variant)!.push(result)
        console.error(
          `round ${round} ${variant}: p50 ${result.p50} p99 ${result.p99} max ${result.max} ms, missed ${result.missed}/${result.ticks}, ${(result.share * 100).toFixed(1)}% of a core (load ${loadAverage()})`,
        )
      }
    }
  } finally {
    await Promise.all(busy.map((child) => child.kill()))
    if (weightFolder) removeWhenEmpty(weightFolder)
  }
  console.log(`\n| scheduling | late p50 ms | p99 ms | max ms | missed | CPU % of a core |\n|---|--:|--:|--:|--:|--:|`)
  for (const [variant, runs] of results) {
    const median = (pick: (result: Result) => number) => spread(runs.map(pick))
    /** Milliseconds as the table shows them: medians of two runs are halves of sums, so round. */
    const ms = (value: number) => Number(value.toFixed(2))
    const p99 = median((result) => result.p99)
    console.log(
      `| ${DESCRIPTIONS[variant] ?? PREFIXES[variant]!.join(' ')} | ${ms(median((result) => result.p50).median)} | ${ms(p99.median)} [${ms(p99.min)}–${ms(p99.max)}] | ${Math.max(...runs.map((result) => result.max))} | ${runs.reduce((sum, result) => sum + result.missed, 0)}/${runs.reduce((sum, result) => sum + result.ticks, 0)} | ${(median((result) => result.share).median * 100).toFixed(1)} |`,
    )
  }
  console.log(`\nload average ${loadAverage()} at the end`)

  /** radvisor's cpu cgroup for the `weight` variant, made on first use (v1 `cpu.shares` 8192, v2 `cpu.weight` 800). */
  function weighted(): string {
    if (weightFolder) return weightFolder
    const v1 = cgroups.hierarchy.controllers.cpu
    const folder = join(v1 ?? cgroups.hierarchy.unified ?? root, `${cgroups.group}-radvisor`)
    mkdirSync(folder)
    weightFolder = folder
    writeFileSync(join(folder, v1 ? 'cpu.shares' : 'cpu.weight'), v1 ? '8192' : '800')
    return folder
  }

  async function run(variant: string): Promise<Result> {
    const directory = mkdtempSync(join(scratch, 'logs-'))
    try {
      const setup = { root, match: `${cgroups.group}/*`, scratch, targets }
      const command = cliCommand(setup, directory, ['--interval', options.interval, '--duration', `${Math.ceil(durationMs / 1000)}s`])
      const child = new Child([...PREFIXES[variant]!, ...command])
      if (variant === 'weight') writeFileSync(join(weighted(), 'cgroup.procs'), String(child.pid))
      await child.waitFor('stderr', /Beginning\s+collection every/)
      const cpuStart = processCpuNs(child.pid)
      const wallStart = Bun.nanoseconds()
      const { stderr } = await child.finish(`radvisor (${variant})`)
      const share = (Number(child.process.resourceUsage()?.cpuTime.total ?? 0) * 1000 - cpuStart) / (Bun.nanoseconds() - wallStart)
      const punctuality = PUNCTUALITY.exec(stderr)
      if (!punctuality) throw new Error(`no punctuality line (${variant}):\n${stderr.slice(-1500)}`)
      const [, ticks, missed, p50, p99, max] = punctuality.map(Number) as number[]
      return { ticks: ticks!, missed: missed!, p50: p50!, p99: p99!, max: max!, share }
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  }
})

