/**
 * Peak memory, wall time and page size of `radvisor report` on a large log (not a timed
 * test). Generates a cgroup v1 CSVY log of `--rows` rows (default 2.2 M, 50 ms apart, with
 * CPU, memory, throttling and CPU-pressure millibottlenecks every few hundred rows, an OOM
 * kill every 10,000 and a late sample every 500; with the columns after radvisor 1.4's,
 * or `--columns radvisor` for radvisor 1.4's only), then runs the real CLI on it once per
 * output in a fresh child process:
 *   text   radvisor report <log>                  (stdout to a file)
 *   json   radvisor report <log> --format json
 *   html   radvisor report <log> --html <page>
 * and prints the child's peak RSS (getrusage maxRSS), wall and CPU time (user + system,
 * all threads; less sensitive to a loaded machine) and output size.
 * `--baseline <git rev>` also runs that revision's CLI (extracted with `git archive` into a
 * temporary directory beside the same node_modules) and prints both side by side, with
 * the lines where their text summaries differ.
 * Run: bun bench/report-memory.ts [--rows 2200000] [--columns extended|radvisor] [--baseline <rev>]
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { syntheticChunks } from '../packages/report/scripts/_synthetic.ts'

const ROOT = join(import.meta.dir, '..')
const { values: flags } = parseArgs({ options: { rows: { type: 'string', default: '2200000' }, columns: { type: 'string', default: 'extended' }, baseline: { type: 'string' } } })
const rows = Number(flags.rows)
if (!Number.isInteger(rows) || rows < 2) throw new Error(`--rows must be an integer of at least 2, got '${flags.rows}'`)
if (flags.columns !== 'extended' && flags.columns !== 'radvisor') throw new Error(`--columns must be extended or radvisor, got '${flags.columns}'`)
const signals = flags.columns === 'extended'

interface Run {
  readonly peakMiB: number
  readonly seconds: number
  readonly cpuSeconds: number
  readonly outputBytes: number
  readonly exitCode: number
}

const MODES = {
  text: (log: string) => ['report', log],
  json: (log: string) => ['report', log, '--format', 'json'],
  html: (log: string, page: string) => ['report', log, '--html', page],
} as const
type Mode = keyof typeof MODES

function run(bin: string, mode: Mode, log: string, output: string): Run {
  const page = `${output}.html`
  const fd = openSync(output, 'w')
  const started = performance.now()
  const child = Bun.spawnSync([process.execPath, bin, ...MODES[mode](log, page)], { stdout: fd, stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
  const seconds = (performance.now() - started) / 1000
  closeSync(fd)
  if (child.exitCode !== 0) console.error(`${bin} ${mode} exited ${child.exitCode}: ${child.stderr.toString().trim()}`)
  return {
    peakMiB: (child.resourceUsage?.maxRSS ?? Number.NaN) / 1024 / 1024,
    seconds,
    cpuSeconds: Number(child.resourceUsage?.cpuTime.total ?? Number.NaN) / 1e6,
    outputBytes: statSync(mode === 'html' ? page : output).size,
    exitCode: child.exitCode ?? -1,
  }
}

/** The CLI of `rev`, extracted beside this checkout's node_modules (workspace packages from the extract). */
function checkout(rev: string, directory: string): string {
  const archive = Bun.spawnSync(['git', '-C', ROOT, 'archive', '--format=tar', rev])
  if (archive.exitCode !== 0) throw new Error(`git archive ${rev}: ${archive.stderr.toString().trim()}`)
  const tar = Bun.spawnSync(['tar', '-x', '-C', directory], { stdin: archive.stdout })
  if (tar.exitCode !== 0) throw new Error(`tar: ${tar.stderr.toString().trim()}`)
  mkdirSync(join(directory, 'node_modules/@radvisor'), { recursive: true })
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name !== '@radvisor') symlinkSync(join(ROOT, 'node_modules', name), join(directory, 'node_modules', name))
  }
  for (const name of readdirSync(join(directory, 'packages'))) symlinkSync(join(directory, 'packages', name), join(directory, 'node_modules/@radvisor', name))
  return join(directory, 'packages/cli/src/bin.ts')
}

/** Lines only in `before` (-) and only in `after` (+), each in its file's order. */
function changedLines(before: string, after: string): string[] {
  const a = readFileSync(before, 'utf8').split('\n')
  const b = readFileSync(after, 'utf8').split('\n')
  const only = (lines: string[], other: string[]): string[] => {
    const left = new Map<string, number>()
    for (const line of other) left.set(line, (left.get(line) ?? 0) + 1)
    return lines.filter((line) => {
      const count = left.get(line) ?? 0
      left.set(line, count - 1)
      return count <= 0
    })
  }
  return [...only(a, b).map((line) => `- ${line}`), ...only(b, a).map((line) => `+ ${line}`)]
}

const directory = mkdtempSync(join(tmpdir(), 'radvisor-report-bench-'))
try {
  const log = join(directory, 'big.log')
  const fd = openSync(log, 'w')
  const bursts = [
    { resource: 'cpu', at: 1000, rows: 3, every: 997 },
    { resource: 'memory', at: 5000, rows: 8, every: 7919 },
    { resource: 'throttling', at: 2000, rows: 2, every: 3001 },
    ...(signals ? [{ resource: 'cpu-pressure', at: 3000, rows: 4, every: 1999 } as const] : []),
  ] as const
  for (const chunk of syntheticChunks({ name: 'big', schema: 'cgroup_v1', rows, hostCpus: 2, lateEvery: 500, bursts, signals, oomEvery: 10_000 }, 1 << 20)) writeSync(fd, chunk)
  closeSync(fd)
  console.log(`log: ${(statSync(log).size / 1e6).toFixed(0)} MB, ${rows} rows (cgroup v1, 50 ms apart, ${signals ? 'with the columns after radvisor 1.4' : 'radvisor 1.4 columns'})`)

  const bins: [string, string][] = [['after', join(ROOT, 'packages/cli/src/bin.ts')]]
  if (flags.baseline) {
    const baseline = join(directory, 'baseline')
    mkdirSync(baseline)
    bins.unshift([`before (${flags.baseline})`, checkout(flags.baseline, baseline)])
  }
  const results = new Map<string, Run>()
  for (const mode of Object.keys(MODES) as Mode[]) {
    for (const [index, [label, bin]] of bins.entries()) {
      const result = run(bin, mode, log, join(directory, `${mode}-${index}.out`))
      results.set(`${label}/${mode}`, result)
      console.log(
        `${mode.padEnd(4)} ${label.padEnd(20)} peak RSS ${result.peakMiB.toFixed(0)} MiB, ${result.seconds.toFixed(1)} s (CPU ${result.cpuSeconds.toFixed(1)} s), output ${(result.outputBytes / 1e6).toFixed(2)} MB`,
      )
    }
  }

  console.log(`\n| output | ${bins.map(([label]) => `${label} peak RSS | wall (CPU) | size`).join(' | ')} |`)
  console.log(`|---|${bins.map(() => '---:|---:|---:').join('|')}|`)
  for (const mode of Object.keys(MODES) as Mode[]) {
    const cells = bins.map(([label]) => {
      const result = results.get(`${label}/${mode}`) as Run
      const size = mode === 'html' ? `${(result.outputBytes / 1e6).toFixed(1)} MB` : `${(result.outputBytes / 1e3).toFixed(1)} kB`
      return `${result.peakMiB.toFixed(0)} MiB | ${result.seconds.toFixed(1)} s (${result.cpuSeconds.toFixed(1)} s) | ${size}`
    })
    console.log(`| ${mode} | ${cells.join(' | ')} |`)
  }
  if (bins.length === 2) {
    const diff = changedLines(join(directory, 'text-0.out'), join(directory, 'text-1.out'))
    console.log(diff.length === 0 ? '\ntext summaries identical' : `\ntext summary lines that differ (before -, after +):\n${diff.join('\n')}`)
  }
} finally {
  rmSync(directory, { recursive: true, force: true })
}
