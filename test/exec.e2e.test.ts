/**
 * End to end on the real kernel: `radvisor exec` runs commands in cgroups of its own under
 * `radvisor-test-exec-<random>` (cgroup v1 cpu, cpuacct, pids and blkio — never memory —
 * and, for the v2 path, the v2 hierarchy at unified/). Every test checks that the
 * command's cgroup is gone afterwards; the parent is removed at the end.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { defaultReportOptions, reportFiles, type TargetSummary } from '@radvisor/report'
import { parse } from 'yaml'
import { column, RADVISOR, REPO, readLog } from './_support.ts'

const ROOT = '/sys/fs/cgroup'
const PARENT = `radvisor-test-exec-${Math.random().toString(36).slice(2, 10)}`
/** The hierarchies a command may be put in here: never memory. */
const CONTROLLERS = ['cpu', 'cpuacct', 'pids', 'blkio']
const work = fs.mkdtempSync(join(tmpdir(), 'radvisor-exec-'))
const logs = join(work, 'logs')

function unavailable(): string | null {
  if (process.platform !== 'linux') return 'cgroups exist on Linux only'
  if (process.getuid?.() !== 0) return 'creating cgroups needs root'
  for (const controller of CONTROLLERS) {
    if (!fs.existsSync(join(ROOT, controller, 'cgroup.procs'))) return `no cgroup v1 ${controller} hierarchy at ${ROOT}/${controller}`
  }
  return null
}
const skipReason = unavailable()
if (skipReason) console.warn(`[exec.e2e] skipping real-kernel tests of radvisor exec: ${skipReason}`)
const unifiedReason =
  skipReason ??
  (!fs.existsSync(`${ROOT}/unified/cgroup.controllers`)
    ? `no v2 hierarchy at ${ROOT}/unified`
    : /\bmemory\b/.test(fs.readFileSync(`${ROOT}/unified/cgroup.subtree_control`, 'utf8'))
      ? `${ROOT}/unified delegates memory, and a test must never put a process into a memory cgroup`
      : null)
if (unifiedReason && !skipReason) console.warn(`[exec.e2e] skipping the cgroup v2 test of radvisor exec: ${unifiedReason}`)

/** The parent's folder in every hierarchy it is made in (cpu and cpuacct may be one). */
const parents = skipReason ? [] : [...new Set(CONTROLLERS.map((name) => fs.realpathSync(join(ROOT, name))))].map((folder) => join(folder, PARENT))

beforeAll(() => {
  if (skipReason) return
  for (const folder of parents) fs.mkdirSync(folder)
  // The CPU test's command must get its core on a loaded machine: outweigh everything else.
  fs.writeFileSync(join(fs.realpathSync(join(ROOT, 'cpu')), PARENT, 'cpu.shares'), '262144')
})

afterAll(() => {
  for (const folder of parents) if (fs.existsSync(folder)) fs.rmdirSync(folder)
  fs.rmSync(work, { recursive: true, force: true })
})

const env = { ...process.env, NO_COLOR: '1', PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}` }
const base = ['exec', '-d', logs, '--controllers', CONTROLLERS.join(','), '--cgroup-parent', PARENT]

interface Result {
  code: number | null
  stdout: Buffer
  stderr: string
}

/**
 * `radvisor exec` as a child, in a session of its own (so that it is nobody's terminal
 * foreground job and forwards every signal), with `input` on its stdin. radvisor runs at
 * the highest priority so that its sampling stays punctual on a loaded machine.
 */
function radvisorExec(args: string[], options: { input?: Buffer | string; onStart?: (pid: number) => void } = {}): Promise<Result> {
  const child = spawn('nice', ['-n', '-20', RADVISOR, ...args], { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
  const stdout: Buffer[] = []
  let stderr = ''
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  child.stdin!.end(options.input ?? '')
  options.onStart?.(child.pid!)
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr })))
}

/** Checks that no cgroup is left in the test's parent, in any hierarchy. */
function expectNoCgroupLeft(): void {
  for (const folder of parents) {
    expect(fs.readdirSync(folder, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name)).toEqual([])
  }
}

/** The command's cgroup while it runs: its folder in the pids hierarchy, once it exists. */
async function waitForCgroup(timeoutMs = 10_000): Promise<string> {
  const pids = join(ROOT, 'pids', PARENT)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const [name] = fs.readdirSync(pids).filter((entry) => entry.startsWith('exec-'))
    if (name && fs.readFileSync(join(pids, name, 'cgroup.procs'), 'utf8').trim() !== '') return join(pids, name)
    await Bun.sleep(20)
  }
  throw new Error(`no exec cgroup with a process under ${pids} within ${timeoutMs} ms`)
}

/** The path of the log the run wrote, named in the summary's last line. */
function logOf(result: Result): string {
  const match = /^ {2}log: (.+)$/m.exec(result.stderr)
  if (!match) throw new Error(`no log line in stderr:\n${result.stderr}`)
  return match[1]!
}

async function summaryOf(result: Result): Promise<TargetSummary> {
  const report = await reportFiles(fs, [logOf(result)], defaultReportOptions)
  return report.targets[0]!.summary
}

describe.skipIf(skipReason !== null)('radvisor exec on this machine (cgroup v1)', () => {
  test("passes the command's exit code through: 0, 3, 128+N when killed by signal N, 127 when not found, 126 when not executable", async () => {
    expect((await radvisorExec([...base, '--', 'true'])).code).toBe(0)
    expect((await radvisorExec([...base, '--', 'sh', '-c', 'exit 3'])).code).toBe(3)
    const killed = await radvisorExec([...base, '--', 'sh', '-c', 'kill -KILL $$'])
    expect(killed.code).toBe(137)
    expect(killed.stderr).toContain('was killed by SIGKILL (status 137)')
    const missing = await radvisorExec([...base, '--', 'radvisor-no-such-command'])
    expect(missing.code).toBe(127)
    expect(missing.stderr).toBe('[radvisor] [cli] radvisor-no-such-command: command not found\n')
    const plain = join(work, 'not-executable')
    fs.writeFileSync(plain, 'echo never\n', { mode: 0o644 })
    const notExecutable = await radvisorExec([...base, '--', plain])
    expect(notExecutable.code).toBe(126)
    expect(notExecutable.stderr).toBe(`[radvisor] [cli] ${plain}: Permission denied\n`)
    expectNoCgroupLeft()
  })

  test('stdout is byte for byte what the command writes alone, binary and large; stdin reaches it', async () => {
    const data = randomBytes(3 << 20)
    const file = join(work, 'random.bin')
    fs.writeFileSync(file, data)
    const alone = spawnSync('cat', [file], { maxBuffer: 64 << 20 }).stdout
    const result = await radvisorExec([...base, '--', 'cat', file])
    expect(result.code).toBe(0)
    expect(Buffer.compare(result.stdout, alone)).toBe(0)
    expect(Buffer.compare(result.stdout, data)).toBe(0)

    const piped = await radvisorExec([...base, '--', 'cat'], { input: data })
    expect(Buffer.compare(piped.stdout, data)).toBe(0)
    // radvisor's own lines go to stderr only: the summary, after the command's own stderr.
    const both = await radvisorExec([...base, '--', 'sh', '-c', 'echo out; echo err >&2'])
    expect(both.stdout.toString()).toBe('out\n')
    expect(both.stderr).toStartWith('err\nradvisor exec: ')
    expectNoCgroupLeft()
  })

  test('arguments after -- reach the command untouched, radvisor-looking ones included', async () => {
    const argv = ['-d', '--help', '-h', '-q', '--interval=1s', '--', '--sink', 'csvy', '', ' spaced  ', "quo'te", '--no-color', 'ünï\tcode']
    const result = await radvisorExec([...base, '--', 'printf', '%s\\n', ...argv])
    expect(result.code).toBe(0)
    expect(result.stdout.toString()).toBe(argv.map((arg) => `${arg}\n`).join(''))
    const header = parse(readLog(logOf(result)).yaml)
    expect(header.Provider).toBe('exec')
    expect(header.Metadata.Command).toEqual(['printf', '%s\\n', ...argv])
    expectNoCgroupLeft()
  })

  test('the command runs in its cgroup from its first instruction, and the log starts before it does', async () => {
    const result = await radvisorExec([...base, '--', 'cat', '/proc/self/cgroup'])
    const cgroups = result.stdout.toString()
    const name = /^\d+:pids:\/(.+)$/m.exec(cgroups)?.[1]
    expect(name).toMatch(new RegExp(`^${PARENT}/exec-cat-\\d+$`))
    expect(cgroups).toMatch(new RegExp(`^\\d+:(cpu,cpuacct|cpu):/${name}$`, 'm'))
    expect(cgroups).toMatch(/^\d+:memory:\/(?!radvisor-test)/m)
    const log = readLog(logOf(result))
    expect(parse(log.yaml).CollectorMetadata.Cgroup).toBe(name)
    // The first sample is taken at the gate, before `cat` runs; the last one after it exits.
    expect(log.rows.length).toBeGreaterThanOrEqual(2)
    expect(column(log, 'pids.current')[0]).toBe('1')
    expectNoCgroupLeft()
  })

  test('a 300 ms CPU burn shows as one CPU millibottleneck of about that length', async () => {
    // One busy thread at a quota of one core: 100% of the limit while it runs. The kernel books
    // a running task's CPU time at its scheduler ticks, so its 50 ms readings jitter around
    // 100%; the report's CPU hysteresis keeps them one millibottleneck.
    const result = await radvisorExec([...base, '--cpus', '1', '--', 'timeout', '0.3', 'sh', '-c', 'while :; do :; done'])
    expect(result.code).toBe(124)
    expectNoCgroupLeft()
    const summary = await summaryOf(result)
    expect(summary.totals.cpuSeconds).toBeGreaterThan(0.2)
    expect(summary.millibottlenecks.byResource.cpu.count).toBe(1)
    // Sampled every 50 ms, the burn's first and last intervals are only partly saturated.
    expect(summary.millibottlenecks.byResource.cpu.totalDuration).toBeWithin(190, 421)
    expect(result.stderr).toMatch(/millibottlenecks: \d+, .*\(cpu 1 \//)
  }, 30_000)

  test('children and grandchildren are accounted for: the CPU they used is in the totals', async () => {
    const script = join(work, 'forks.sh')
    // Each child burns CPU, then stays a moment, so that samples see them all.
    const burn = 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; sleep 0.3'
    fs.writeFileSync(script, `sh -c '${burn}' & sh -c '${burn}' & sh -c '(${burn}) & wait' & wait\ntimes >&2\n`)
    const result = await radvisorExec([...base, '--', 'sh', script])
    expect(result.code).toBe(0)
    // `times`: the shell's own user and system time, then its children's (those it waited for).
    const times = /^\d+m[\d.]+s \d+m[\d.]+s\n(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/m.exec(result.stderr)
    expect(times).not.toBeNull()
    const [, userMinutes, userSeconds, systemMinutes, systemSeconds] = times!.map(Number) as number[]
    const childSeconds = userMinutes! * 60 + userSeconds! + systemMinutes! * 60 + systemSeconds!
    expect(childSeconds).toBeGreaterThan(0.05)
    const summary = await summaryOf(result)
    // Clock-tick resolution on `times` (10 ms per process) and the shell's own time besides.
    expect(summary.totals.cpuSeconds).toBeGreaterThanOrEqual(childSeconds - 0.05)
    const pids = column(readLog(logOf(result)), 'pids.current').map(Number)
    // The script's shell, three children, one grandchild (and their sleeps).
    expect(Math.max(...pids)).toBeGreaterThanOrEqual(5)
    expectNoCgroupLeft()
  })

  test('processes that outlive the command are sampled until they exit', async () => {
    const result = await radvisorExec([...base, '--', 'sh', '-c', 'sleep 0.6 & echo started'])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('1 process it started still run')
    const log = readLog(logOf(result))
    const reads = column(log, 'read').map((value) => Number(BigInt(value) / 1_000_000n))
    expect(reads.at(-1)! - reads[0]!).toBeGreaterThanOrEqual(550)
    expectNoCgroupLeft()
  })

  test('--max-linger: what still runs then is left running outside the cgroup, and said so', async () => {
    // A duration no other process has, to find it again whatever happens. Its stdio goes
    // elsewhere: a pipe it held open would keep this test's reads of radvisor's output open.
    const sleep = `29.${process.pid}`
    try {
      const result = await radvisorExec([...base, '--max-linger', '300ms', '--', 'sh', '-c', `sleep ${sleep} >/dev/null 2>&1 & echo started`])
      expect(result.code).toBe(0)
      expect(result.stderr).toMatch(/1 process of the command still running after --max-linger \(pids \d+\): left running, moved to radvisor's own cgroup/)
      const pid = Number(/pids (\d+)\): left running/.exec(result.stderr)![1])
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe(`sleep\0${sleep}\0`)
      expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).not.toContain(PARENT)
      expectNoCgroupLeft()
    } finally {
      spawnSync('pkill', ['-KILL', '-f', `^sleep ${sleep}$`])
    }
  })

  test('SIGTERM and SIGINT to radvisor reach the command; radvisor exits with its status and removes the cgroup', async () => {
    for (const [signal, status] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      let radvisorPid = 0
      const running = radvisorExec([...base, '--', 'sleep', '30'], { onStart: (pid) => (radvisorPid = pid) })
      await waitForCgroup()
      // `nice` has exec'd radvisor: same pid.
      process.kill(radvisorPid, signal)
      const result = await running
      expect(result.code).toBe(status)
      expect(result.stderr).toContain(`was killed by ${signal} (status ${status})`)
      expectNoCgroupLeft()
    }
  })

  test('a command killed from outside: 137, and the cgroup is removed', async () => {
    const running = radvisorExec([...base, '--', 'sleep', '30'])
    const cgroup = await waitForCgroup()
    const [pid] = fs.readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number)
    process.kill(pid!, 'SIGKILL')
    expect((await running).code).toBe(137)
    expectNoCgroupLeft()
  })

  test('without --cgroup-parent the cgroup goes under radvisor/, removed with its parent', async () => {
    const existed = CONTROLLERS.some((name) => fs.existsSync(join(ROOT, name, 'radvisor')))
    const result = await radvisorExec(['exec', '-d', logs, '--controllers', CONTROLLERS.join(','), '--', 'cat', '/proc/self/cgroup'])
    expect(result.stdout.toString()).toMatch(/^\d+:pids:\/radvisor\/exec-cat-\d+$/m)
    if (!existed) for (const name of CONTROLLERS) expect(fs.existsSync(join(ROOT, name, 'radvisor'))).toBe(false)
  })

  test('--html writes the report page; --report prints the full report', async () => {
    const page = join(work, 'exec.html')
    const result = await radvisorExec([...base, '--report', '--html', page, '--', 'true'])
    expect(result.code).toBe(0)
    expect(fs.readFileSync(page, 'utf8')).toContain('<html')
    expect(result.stderr).toContain('sampling: every')
    expect(result.stderr).toContain('p99')
  })

  test('-q: no summary, only what the command writes', async () => {
    const result = await radvisorExec([...base, '-q', '--', 'sh', '-c', 'echo err >&2'])
    expect(result.stderr).toBe('err\n')
  })

  test('as a user without rights to cgroups (and no systemd): one line saying what is needed, exit 1, nothing left', async () => {
    const folder = join(work, 'nobody')
    fs.mkdirSync(folder)
    fs.chmodSync(work, 0o755)
    fs.chmodSync(folder, 0o777)
    const result = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', RADVISOR, 'exec', '-d', folder, '--controllers', CONTROLLERS.join(','), '--', 'true'],
      { env: { ...env, HOME: folder, XDG_RUNTIME_DIR: '' }, encoding: 'utf8' },
    )
    expect(result.status).toBe(1)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\[radvisor\] \[cli\] radvisor exec needs a cgroup of its own and cannot create cgroup \/sys\/fs\/cgroup\/\S+: permission denied \(EACCES\): run it as root, or as a user on a cgroup v2 host with systemd/)
  })
})

describe.skipIf(unifiedReason !== null)('radvisor exec on this machine (the cgroup v2 code path, at unified/)', () => {
  test('creates the cgroup in the v2 hierarchy, samples it with the v2 collector, removes it', async () => {
    const unified = join(ROOT, 'unified')
    const result = await radvisorExec(['exec', '-d', logs, '--cgroup-root', unified, '--cgroup-parent', PARENT, '--', 'sh', '-c', 'cat /proc/self/cgroup; i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done'])
    expect(result.code).toBe(0)
    const path = /^0::\/(.+)$/m.exec(result.stdout.toString())?.[1]
    expect(path).toMatch(new RegExp(`^${PARENT}/exec-sh-\\d+$`))
    const log = readLog(logOf(result))
    const header = parse(log.yaml)
    expect(header.CollectorType).toBe('cgroup_v2')
    expect(header.CollectorMetadata.Cgroup).toBe(path)
    const usage = column(log, 'cpu.stat/usage_usec').map(Number)
    expect(usage[0]).toBeLessThan(usage.at(-1)!)
    expect(fs.existsSync(join(unified, PARENT))).toBe(false)
  })
})
