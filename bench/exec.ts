/**
 * What `radvisor exec` adds to a command's wall time, side by side with the command alone:
 * pairs of runs, alternating, of `date +%s%N` (which prints when it started, so the time is
 * split into startup, gate and teardown) and of `sleep 0.5` (a command of fixed length).
 * Not a test: prints a table for bench/README.md.
 *
 *   bun bench/exec.ts [--pairs 20] [--controllers cpu,cpuacct,pids,blkio] [--cgroup-root /sys/fs/cgroup] [--radvisor <command>]
 *
 * `--radvisor` is how radvisor is started, split at spaces (default the installed bin,
 * node_modules/.bin/radvisor: the Node launcher, as `npx radvisor` runs it); e.g.
 * `bun packages/cli/src/bin.ts` (as `bunx --bun radvisor`) or `dist/radvisor-linux-x64`.
 *
 * Needs root (radvisor exec creates its cgroups under radvisor-bench-<random>/, removed at the
 * end). The default controllers leave out memory: on the project's test machines no process
 * may join a memory cgroup.
 */
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { spread, type Spread } from './_stats.ts'

const REPO = resolve(import.meta.dir, '..')
const { values: flags } = parseArgs({
  options: {
    pairs: { type: 'string', default: '20' },
    controllers: { type: 'string', default: 'cpu,cpuacct,pids,blkio' },
    'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
    radvisor: { type: 'string', default: join(REPO, 'node_modules/.bin/radvisor') },
  },
})
const RADVISOR = flags.radvisor!.split(' ').filter(Boolean)
const pairs = Number(flags.pairs)
const parent = `radvisor-bench-${Math.random().toString(36).slice(2, 10)}`
const logs = fs.mkdtempSync(join(tmpdir(), 'radvisor-bench-exec-'))
const env = { ...process.env, NO_COLOR: '1', PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}` }

/** Unix time in ms with sub-ms precision, on the clock radvisor's samples use. */
const unixMs = (): number => performance.timeOrigin + performance.now()

interface Run {
  readonly wallMs: number
  /** radvisor only: spawn to first sample, first sample to the command's start, its start to radvisor's exit. */
  readonly startupMs?: number
  readonly gateMs?: number
  readonly teardownMs?: number
  /** The command's start to the last sample (the final one, taken once it has exited). */
  readonly finalSampleMs?: number
}

async function run(command: string[], exec: { quiet: boolean } | null): Promise<Run> {
  const argv = exec
    ? [...RADVISOR, 'exec', '-d', logs, '--controllers', flags.controllers!, '--cgroup-root', flags['cgroup-root']!, '--cgroup-parent', parent, ...(exec.quiet ? ['-q'] : []), '--', ...command]
    : command
  const started = unixMs()
  const child = Bun.spawn(argv, { env, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  const ended = unixMs()
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr.trim()}`)
  const wallMs = ended - started
  if (!exec || command[0] !== 'date') return { wallMs }
  const commandStart = Number(BigInt(stdout.trim()) / 1000n) / 1000
  const reads = sampleTimes(newestLog())
  return {
    wallMs,
    startupMs: reads[0]! - started,
    gateMs: commandStart - reads[0]!,
    teardownMs: ended - commandStart,
    finalSampleMs: reads.at(-1)! - commandStart,
  }
}

function newestLog(): string {
  const names = fs.readdirSync(logs).filter((name) => name.endsWith('.log'))
  const newest = names.map((name) => ({ name, time: fs.statSync(join(logs, name)).mtimeMs })).sort((a, b) => b.time - a.time)[0]!
  const path = join(logs, newest.name)
  return path
}

/** The `read` times (Unix ms) of a log's rows. */
function sampleTimes(path: string): number[] {
  const text = fs.readFileSync(path, 'utf8')
  const rows = text.slice(text.indexOf('\n---\n', 3) + 5).trim().split('\n').slice(1)
  fs.rmSync(path)
  return rows.map((row) => Number(BigInt(row.slice(0, row.indexOf(','))) / 1000n) / 1000)
}

function cleanup(): void {
  fs.rmSync(logs, { recursive: true, force: true })
}

if (process.getuid?.() !== 0) {
  console.error('bench/exec.ts needs root: radvisor exec creates cgroups')
  process.exit(1)
}
process.once('SIGINT', () => {
  cleanup()
  process.exit(130)
})

const commands: { name: string; command: string[] }[] = [
  { name: 'date +%s%N', command: ['date', '+%s%N'] },
  { name: 'sleep 0.5', command: ['sleep', '0.5'] },
]
const results = new Map<string, { alone: Run[]; exec: Run[]; quiet: Run[] }>()
try {
  // Warm the page cache for Bun and radvisor's modules.
  await run(['true'], { quiet: true })
  for (const { name, command } of commands) {
    const entry = { alone: [] as Run[], exec: [] as Run[], quiet: [] as Run[] }
    results.set(name, entry)
    for (let pair = 0; pair < pairs; pair++) {
      entry.alone.push(await run(command, null))
      entry.exec.push(await run(command, { quiet: false }))
      entry.quiet.push(await run(command, { quiet: true }))
    }
  }
} finally {
  cleanup()
}

const ms = (value: Spread): string => `${value.median.toFixed(1)} [${value.min.toFixed(1)}–${value.max.toFixed(1)}]`
const of = (runs: Run[], key: keyof Run): Spread => spread(runs.map((r) => r[key] as number))
const added = (runs: Run[], alone: Run[]): Spread => spread(runs.map((r, i) => r.wallMs - alone[i]!.wallMs))

console.log(`radvisor exec overhead (${RADVISOR.join(' ')}), ${pairs} pairs; load average at the end: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`)
console.log('median [min–max] ms\n')
console.log('| command | alone | exec | exec -q | added by exec | added by exec -q |')
console.log('|---|--:|--:|--:|--:|--:|')
for (const [name, { alone, exec, quiet }] of results) {
  console.log(`| \`${name}\` | ${ms(of(alone, 'wallMs'))} | ${ms(of(exec, 'wallMs'))} | ${ms(of(quiet, 'wallMs'))} | ${ms(added(exec, alone))} | ${ms(added(quiet, alone))} |`)
}
const dated = results.get('date +%s%N')!
console.log('\n| phase (`date +%s%N`) | exec | exec -q |')
console.log('|---|--:|--:|')
for (const [label, key] of [
  ['spawn of radvisor → first sample', 'startupMs'],
  ['first sample → the command runs', 'gateMs'],
  ['the command runs → radvisor has exited', 'teardownMs'],
  ['the command runs → final sample', 'finalSampleMs'],
] as const) {
  console.log(`| ${label} | ${ms(of(dated.exec, key))} | ${ms(of(dated.quiet, key))} |`)
}
