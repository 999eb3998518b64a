import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { copyCgroupFixture } from '@radvisor/testing'
import { bin, counter, fixtures, radvisor } from './_cli.ts'

const work = mkdtempSync(join(tmpdir(), 'radvisor-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** `radvisor args` on a terminal of `columns` columns (through script(1)), or null where script is missing. */
function onTerminal(args: string[], columns: number, env: Record<string, string> = {}): string | null {
  if (Bun.spawnSync(['sh', '-c', 'command -v script']).exitCode !== 0) return null
  const command = `stty cols ${columns} rows 50; exec ${[process.execPath, bin, ...args].map((arg) => `'${arg}'`).join(' ')}`
  const result = Bun.spawnSync(['script', '-qec', command, '/dev/null'], { env: { ...process.env, NO_COLOR: undefined, ...env } })
  return result.stdout.toString().replace(/\r/g, '')
}

const ANSI = /\x1b\[[0-9;]*m/g
const README = readFileSync(resolve(import.meta.dir, '../../../README.md'), 'utf8')

describe('radvisor CLI', () => {
  test('--version prints the version', () => {
    const { code, stdout } = radvisor(['--version'])
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })

  test('--help lists the commands and the run options', () => {
    const { code, stdout } = radvisor(['--help'])
    expect(code).toBe(0)
    for (const text of ['run', 'report', '--interval', '--directory', '--sink']) expect(stdout).toContain(text)
  })

  test('run --help lists every run option and the providers', () => {
    const { code, stdout } = radvisor(['run', '--help'])
    expect(code).toBe(0)
    for (const option of [
      '--interval',
      '--poll',
      '--directory',
      '--flush-log',
      '--buffer',
      '--flush-every',
      '--cgroup-root',
      '--columns',
      '--sink',
      '--sink-option',
      '--duration',
      '--ticks',
      '--quiet',
      '--verbose',
      '--color',
    ]) {
      expect(stdout).toContain(option)
    }
    for (const provider of ['cgroup', 'docker', 'kubernetes']) expect(stdout).toContain(provider)
  })

  test('--columns radvisor writes exactly radvisor 1.4’s columns and header keys; the default adds the extended ones after them', () => {
    const { root } = copyCgroupFixture('v2-cgroupfs', mkdtempSync(join(work, 'v2-cgroupfs-')))
    const log = (columns: string[]) => {
      const directory = join(work, `columns-${Math.random().toString(36).slice(2)}`)
      const { code, stderr } = radvisor(['run', 'cgroup', '--cgroup-root', root, '--match', 'docker/*', '--ticks', '2', '-d', directory, ...columns])
      expect({ code, stderr: stderr.includes('Warning') ? stderr : '' }).toEqual({ code: 0, stderr: '' })
      const [file] = readdirSync(directory)
      const text = readFileSync(join(directory, file!), 'utf8')
      return { header: text.slice(0, text.indexOf('\n---\n')), columns: text.split('\n---\n')[1]!.split('\n')[0]!.split(',') }
    }
    const radvisorSet = log(['--columns', 'radvisor'])
    const extended = log([])
    expect(radvisorSet.columns).toHaveLength(36)
    expect(radvisorSet.header).not.toContain('Network:')
    expect(extended.columns.slice(0, 36)).toEqual(radvisorSet.columns)
    expect(extended.columns.slice(36, 38)).toEqual(['cpu.pressure/some_total', 'cpu.pressure/full_total'])
    expect(extended.columns.at(-1)).toBe('network.interfaces')
    // The fixture's cgroups list no process: whose network it is cannot be told.
    expect(extended.header).toContain('\n  Network: ~\n')
  })

  test('a peak window shorter than the interval stops the run when the sink is created, exit 2', () => {
    const directory = join(work, 'peak-window')
    const { code, stderr } = radvisor(['run', counter, '--sink', 'prometheus', '--prometheus-listen', '127.0.0.1:0', '-i', '100ms', '--prometheus-peak-window', '50ms', '-d', directory])
    expect(code).toBe(2)
    expect(stderr).toContain("[radvisor] [sink-prometheus] invalid value '50ms' for --prometheus-peak-window: shorter than the interval (100ms)")
    expect(existsSync(directory)).toBe(false)
  })

  test('a provider given without run: one line saying it is a provider of run, and the command to type', () => {
    const { code, stdout, stderr } = radvisor(['cgroup', '--ticks', '1'])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe("[radvisor] [cli] 'cgroup' is a provider of the run command: try radvisor run cgroup --ticks 1\n")
  })

  test('an unknown command names the commands there are', () => {
    const { code, stderr } = radvisor(['frobnicate'])
    expect(code).toBe(2)
    expect(stderr).toBe("[radvisor] [cli] unknown command 'frobnicate' (commands: run, report, exec); see radvisor --help\n")
  })

  test('radvisor alone prints one usage screen: the commands and the options of run', () => {
    const { code, stdout, stderr } = radvisor([])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(stdout.match(/USAGE/g)).toHaveLength(1)
    expect(stdout.match(/radvisor v\d/g)).toHaveLength(1)
    for (const text of ['COMMANDS', 'run ', 'report ', 'OPTIONS OF radvisor run <provider>', '--interval']) expect(stdout).toContain(text)
    expect(radvisor(['--help']).stdout).toBe(stdout)
  })

  test('help is plain when piped, coloured with --color always, and plain with --color never or NO_COLOR on a terminal', () => {
    expect(radvisor(['run', 'cgroup', '--help'], {}).stdout).not.toMatch(ANSI)
    expect(radvisor(['run', 'cgroup', '--help', '--color', 'always'], {}).stdout).toMatch(ANSI)
    expect(radvisor(['--color=always', 'run', '--help'], {}).stdout).toMatch(ANSI)
    const terminal = onTerminal(['run', 'cgroup', '--help'], 100)
    if (terminal === null) {
      console.warn('[cli.test] no script(1): the terminal cases of help colour are not checked')
      return
    }
    expect(terminal).toMatch(ANSI)
    expect(onTerminal(['run', 'cgroup', '--help', '--color', 'never'], 100)).not.toMatch(ANSI)
    expect(onTerminal(['run', 'cgroup', '--help'], 100, { NO_COLOR: '1' })).not.toMatch(ANSI)
  })

  test.each([['run', 'cgroup'], ['run'], [], ['report']])('%p --help fits 80 columns when piped, with no trailing spaces', (...path) => {
    const { stdout } = radvisor([...path, '--help'])
    const lines = stdout.split('\n')
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(80)
    expect(lines.filter((line) => line !== line.trimEnd())).toEqual([])
  })

  test('run cgroup --help fits the terminal width', () => {
    const wide = onTerminal(['run', 'cgroup', '--help', '--color', 'never'], 132)
    const narrow = onTerminal(['run', 'cgroup', '--help', '--color', 'never'], 60)
    if (wide === null || narrow === null) {
      console.warn('[cli.test] no script(1): help on a terminal is not checked')
      return
    }
    const widths = (text: string) => text.split('\n').map((line) => line.length)
    expect(Math.max(...widths(wide))).toBeLessThanOrEqual(132)
    expect(Math.max(...widths(wide))).toBeGreaterThan(100)
    expect(Math.max(...widths(narrow))).toBeLessThanOrEqual(60)
    expect(wide.split('\n').filter((line) => line !== line.trimEnd())).toEqual([])
  })

  test("the README's flags of each provider are the ones --help shows", () => {
    for (const provider of ['cgroup', 'docker', 'kubernetes']) {
      const row = README.split('\n').find((line) => line.startsWith(`| \`${provider}\` |`))!
      const flags = [...row.matchAll(/`(--[a-z-]+)/g)].map((match) => match[1]!)
      expect(flags.length).toBeGreaterThan(0)
      const help = radvisor(['run', provider, '--help']).stdout
      for (const flag of flags) expect(help).toMatch(new RegExp(`(^|[ ,])${flag}([=\\s]|$)`, 'm'))
    }
    expect(radvisor(['run', 'docker', '--help']).stdout).toContain('--no-docker-events')
  })

  const bad: [string, string[], RegExp][] = [
    ['an unknown provider', ['run', 'nope'], /unknown provider 'nope'/],
    ['--interval 0', ['run', counter, '--interval', '0'], /invalid value '0' for --interval/],
    ['--interval abc', ['run', counter, '--interval', 'abc'], /invalid value 'abc' for --interval/],
    ['--poll -1s', ['run', counter, '--poll=-1s'], /invalid value '-1s' for --poll/],
    ['--buffer 0', ['run', counter, '--buffer', '0'], /invalid value '0' for --buffer/],
    ['--buffer -5MiB', ['run', counter, '--buffer=-5MiB'], /invalid value '-5MiB' for --buffer/],
    ['--duration xyz', ['run', counter, '--duration', 'xyz'], /invalid value 'xyz' for --duration/],
    ['--ticks 0', ['run', counter, '--ticks', '0'], /invalid value '0' for --ticks/],
    ['--ticks 2.5', ['run', counter, '--ticks', '2.5'], /invalid value '2.5' for --ticks/],
    ['an unknown sink', ['run', counter, '--sink', 'nosuch'], /unknown sink 'nosuch' for --sink/],
    ['a module that is no sink', ['run', counter, '--sink', join(fixtures, 'no-default.ts')], /is not a valid sink: no default export/],
    ['a sink module that does not exist', ['run', counter, '--sink', './missing-sink.ts'], /cannot load sink '.\/missing-sink.ts'/],
    ['an unknown flag', ['run', counter, '--intervall', '5ms'], /unknown option '--intervall'/],
    ['a bad --sink-option', ['run', counter, '--sink-option', 'nodot'], /expected <sink>.<key>=<value>/],
    ['a bad --color', ['run', counter, '--color', 'pink'], /--color/],
    ['a bad --columns', ['run', counter, '--columns', 'all'], /--columns \(all\)\. Expected one of: extended, radvisor/],
    // durations: exactly (<number><unit>)+, within bounds
    ['--duration 1h99x', ['run', counter, '--duration', '1h99x'], /invalid value '1h99x' for --duration: expected a duration/],
    ['-i 20ms99x', ['run', counter, '-i', '20ms99x'], /invalid value '20ms99x' for --interval/],
    ['-i 20ms,junk', ['run', counter, '-i', '20ms,junk'], /invalid value '20ms,junk' for --interval/],
    ['-i 20ms5', ['run', counter, '-i', '20ms5'], /invalid value '20ms5' for --interval/],
    ['-i 1h1us', ['run', counter, '-i', '1h1us'], /invalid value '1h1us' for --interval: at most 1h/],
    ['--poll 2h', ['run', counter, '--poll', '2h'], /invalid value '2h' for --poll: at most 1h/],
    ['--flush-every 61m', ['run', counter, '--flush-every', '61m'], /invalid value '61m' for --flush-every: at most 1h/],
    ['--duration 99999999999h', ['run', counter, '--duration', '99999999999h'], /invalid value '99999999999h' for --duration: at most 41666d16h/],
    // sizes
    ['--buffer 16MiBx', ['run', counter, '--buffer', '16MiBx'], /invalid value '16MiBx' for --buffer/],
    ['--buffer 1e3', ['run', counter, '--buffer', '1e3'], /invalid value '1e3' for --buffer/],
    ['--buffer 0x10', ['run', counter, '--buffer', '0x10'], /invalid value '0x10' for --buffer/],
    ['--buffer "16 MiB"', ['run', counter, '--buffer', '16 MiB'], /invalid value '16 MiB' for --buffer/],
    // options of sinks that are not selected
    [
      '--prometheus-listen without --sink prometheus',
      ['run', counter, '--prometheus-listen', '127.0.0.1:9'],
      /--prometheus-listen is an option of the prometheus sink, which is not selected: add --sink prometheus \(and --sink csvy to keep the default CSVY logs\)\n$/,
    ],
    [
      '--jsonl-path with another sink',
      ['run', counter, '--sink', 'prometheus', '--prometheus-listen', '127.0.0.1:0', '--jsonl-path', 'out.jsonl'],
      /--jsonl-path is an option of the jsonl sink, which is not selected: add --sink jsonl\n$/,
    ],
    // Prometheus options: the peak window's bounds; label keys, also across repeated flags
    [
      '--prometheus-peak-window 2h',
      ['run', counter, '--sink', 'prometheus', '--prometheus-listen', '127.0.0.1:0', '--prometheus-peak-window', '2h'],
      /--prometheus-peak-window: at most 1h/,
    ],
    [
      '--prometheus-labels with an empty key',
      ['run', counter, '--sink', 'prometheus', '--prometheus-listen', '127.0.0.1:0', '--prometheus-labels', 'app,,team'],
      /invalid value 'app,,team' for --prometheus-labels/,
    ],
    [
      'repeated --prometheus-labels whose keys collide',
      ['run', counter, '--sink', 'prometheus', '--prometheus-listen', '127.0.0.1:0', '--prometheus-labels', 'app.name', '--prometheus-labels=app_name'],
      /'app.name' and 'app_name' would both be the Prometheus label label_app_name/,
    ],
    // a sink option checked before any sink is created (csvy first would create -d)
    ['a bad --prometheus-listen', ['run', counter, '--sink', 'csvy', '--sink', 'prometheus', '--prometheus-listen', 'nope'], /invalid value 'nope' for --prometheus-listen/],
  ]
  test.each(bad)('%s: one line naming the option, exit 2, nothing created', (_name, args, message) => {
    const directory = join(work, `bad-${Math.random().toString(36).slice(2)}`)
    const { code, stderr } = radvisor([...args, '-d', directory])
    expect(code).toBe(2)
    expect(stderr.trim().split('\n')).toHaveLength(1)
    expect(stderr).toMatch(/^\[radvisor\] \[[\w-]+\] /)
    expect(stderr).toMatch(message)
    expect(existsSync(directory)).toBe(false)
  })

  test('SIGTERM during a run stops ticking, flushes every sink and exits 0', async () => {
    const out = join(work, 'sigterm.txt')
    const child = Bun.spawn(
      [process.execPath, bin, 'run', counter, '-i', '20ms', '--sink', join(fixtures, 'file-sink.ts'), '--sink-option', `file.path=${out}`, '-v'],
      { stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } },
    )
    const stderr = new Response(child.stderr).text()
    await Bun.sleep(600)
    child.kill('SIGTERM')
    expect(await child.exited).toBe(0)
    const written = readFileSync(out, 'utf8').trim().split('\n')
    expect(written.at(-1)).toBe('flushed')
    expect(written).toContain('close t0')
    const rows = written.filter((line) => line.startsWith('t0 '))
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.at(-1)).toMatch(new RegExp(`^t0 \\d{19},${rows.length}$`))
    const log = await stderr
    expect(log).toContain('Stopping')
    expect(log).toMatch(/\d+ ticks, \d+ missed; lateness p50 [\d.]+ms, p99 [\d.]+ms, max [\d.]+ms/)
  })

  test('--duration ends the run like a signal', () => {
    const out = join(work, 'duration.txt')
    const started = Date.now()
    const { code, stderr } = radvisor(['run', counter, '-i', '50ms', '--duration', '300ms', '--sink', join(fixtures, 'file-sink.ts'), '--sink-option', `file.path=${out}`])
    expect(code).toBe(0)
    expect(Date.now() - started).toBeLessThan(5000)
    expect(stderr).toContain('after --duration elapsed')
    expect(readFileSync(out, 'utf8')).toContain('flushed')
  })

  test('--ticks stops the run gracefully after exactly that many ticks', () => {
    const out = join(work, 'ticks.txt')
    const { code, stderr } = radvisor(['run', counter, '-i', '5ms', '--ticks', '7', '-v', '--sink', join(fixtures, 'file-sink.ts'), '--sink-option', `file.path=${out}`])
    expect(code).toBe(0)
    expect(stderr).toContain('after --ticks 7 ticks')
    expect(stderr).toMatch(/Punctuality +7 ticks, /)
    if (process.platform === 'linux') {
      // The start's code is given back to the kernel, before the first poll and after it.
      expect(stderr).toMatch(/Releasing +the executable's pages before the first poll/)
      expect(stderr).toMatch(/Releasing +the executable's pages after the first poll/)
    }
    const written = readFileSync(out, 'utf8').trim().split('\n')
    const rows = written.filter((line) => line.startsWith('t0 '))
    expect(rows).toHaveLength(7) // no final sample on top
    expect(rows.at(-1)).toMatch(/^t0 \d{19},7$/)
    expect(written.filter((line) => line.startsWith('t1 '))).toHaveLength(7)
    expect(written.at(-1)).toBe('flushed')
  })

  test('--duration beyond a timer\'s range (2^31 ms) still waits: the run ends on --ticks', () => {
    const out = join(work, 'long.txt')
    const { code, stderr } = radvisor(['run', counter, '-i', '5ms', '--duration', '1000h', '--ticks', '20', '--sink', join(fixtures, 'file-sink.ts'), '--sink-option', `file.path=${out}`])
    expect(code).toBe(0)
    expect(stderr).toContain('after --ticks 20 ticks')
    expect(readFileSync(out, 'utf8').split('\n').filter((line) => line.startsWith('t0 '))).toHaveLength(20)
  })

  test('a repeatable provider option keeps every value', () => {
    const out = join(work, 'repeat.txt')
    const sink = ['--sink', join(fixtures, 'file-sink.ts'), '--sink-option', `file.path=${out}`]
    const { code } = radvisor(['run', counter, '--tag', 'x', '--tag=y', '--duration', '100ms', ...sink])
    expect(code).toBe(0)
    const opened = readFileSync(out, 'utf8').split('\n').filter((line) => line.startsWith('open '))
    expect(opened).toEqual(['open x', 'open y'])
  })

  test('a second signal during shutdown exits at once with code 2', async () => {
    const slow = join(fixtures, 'slow-close-sink.ts')
    const child = Bun.spawn([process.execPath, bin, 'run', counter, '--sink', slow], { stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } })
    await Bun.sleep(500)
    child.kill('SIGINT')
    await Bun.sleep(200)
    child.kill('SIGINT')
    expect(await child.exited).toBe(2)
    expect(await new Response(child.stderr).text()).toContain('during shutdown')
  })
})
