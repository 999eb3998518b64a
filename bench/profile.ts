/**
 * `bun bench/profile.ts <collector|cli>`: where radvisor's CPU goes, on the bench's own
 * cgroups. Runs the collector loop (back to back) or the whole CLI (back to back with
 * --ticks, or every --interval for --duration) under Bun's sampling profiler and prints the
 * hottest functions; the full Markdown profile is kept in --out.
 */
import * as fs from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Child } from './_children.ts'
import { BACK_TO_BACK_BUFFER, cliCommand, collectorLoop } from './_runs.ts'
import { withBenchCgroups } from './_session.ts'

const USAGE = `usage: bun bench/profile.ts <collector|cli> [options]
  --n <n>            targets (default 100)
  --ticks <n>        back-to-back ticks (default 50000 / n)
  --interval <d>     cli only: tick every <d> for --duration instead of back to back
  --duration <d>     cli only, with --interval (default 10s)
  --sample-us <n>    profiler sampling interval in µs (default 250)
  --top <n>          hot functions to print (default 25)
  --columns <set>    collector only: extended (default) or radvisor
  --netns            give each target a network namespace with a process (and a v2 twin on a hybrid host), as bench/columns.ts does
  --out <dir>        where the profile is kept (default /tmp/radvisor-profiles)
  --cgroup-root <p>  default /sys/fs/cgroup`

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '100' },
    ticks: { type: 'string' },
    interval: { type: 'string' },
    duration: { type: 'string', default: '10s' },
    'sample-us': { type: 'string', default: '250' },
    top: { type: 'string', default: '25' },
    columns: { type: 'string', default: 'extended' },
    netns: { type: 'boolean', default: false },
    out: { type: 'string', default: '/tmp/radvisor-profiles' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
  },
})
const mode = positionals[0]
if (mode !== 'collector' && mode !== 'cli') {
  console.error(USAGE)
  process.exit(2)
}
const targets = Number(options.n)
const ticks = Number(options.ticks ?? Math.max(1, Math.round(50_000 / targets)))
const root = options['cgroup-root']
fs.mkdirSync(options.out, { recursive: true })
const name = `${mode}-n${targets}-${options.interval ?? 'b2b'}-${Date.now()}.md`
const profiler = ['--cpu-prof-md', `--cpu-prof-interval=${options['sample-us']}`, `--cpu-prof-dir=${options.out}`, `--cpu-prof-name=${name}`]

await withBenchCgroups(
  root,
  async (cgroups, scratch) => {
  cgroups.grow(targets)
  if (options.netns) {
    const note = await cgroups.giveNetworkNamespaces(targets)
    if (note) console.error(`bench: ${note}`)
  }
  cgroups.startBusyProcesses(scratch)
  const pathsFile = join(scratch, 'paths.txt')
  fs.writeFileSync(pathsFile, `${cgroups.paths.join('\n')}\n`)
  const setup = { root, match: `${cgroups.group}/*`, scratch, targets }
  const logs = fs.mkdtempSync(join(scratch, 'logs-'))
  const periodic = options.interval ? ['--interval', options.interval, '--duration', options.duration] : [...BACK_TO_BACK_BUFFER, '--interval', '1us', '--ticks', String(ticks)]
  const command =
    mode === 'collector'
      ? [process.execPath, ...profiler, collectorLoop, root, pathsFile, String(Math.ceil(ticks / 5)), String(ticks), options.columns]
      : cliCommand(setup, logs, periodic, profiler)
  console.error(`bench: profiling ${mode} over ${targets} targets: ${command.slice(1).join(' ')}`)
  await new Child(command).finish(mode)
  },
  { alsoUnified: options.netns },
)

const profile = fs.readFileSync(join(options.out, name), 'utf8')
const hot = profile.split('\n## ')[1]?.split('\n').slice(0, Number(options.top) + 4) ?? []
console.log(`${profile.split('\n').slice(0, 7).join('\n')}\n## ${hot.join('\n')}\n\nfull profile: ${join(options.out, name)}`)
