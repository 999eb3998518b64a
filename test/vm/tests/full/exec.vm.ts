/**
 * `radvisor exec` on a systemd host with a cgroup v2 root (full mode): as root the command
 * runs in a transient scope that systemd makes (`systemd-run --scope`), delegated, in its
 * `command/` cgroup with every controller and the limits asked for; as a user with a manager
 * of their own, in a scope of that manager (`systemd-run --user --scope`). A CPU burn is
 * accounted for in full, up to the row after the command's exit, and shows as CPU
 * saturation; a memory-capped command is killed at its limit; no scope is left afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { defaultReportOptions, reportFiles, type TargetSummary } from '@radvisor/report'
import { CGROUP_ROOT, column, EMULATION_SLOWDOWN, eventually, execLog, header, outcome, outgrow, readLog, run } from '../_guest.ts'

const RADVISOR = process.env.RADVISOR_BIN!
const USER = `radvisor-vm-${Math.random().toString(36).slice(2, 6)}`
let directory = ''

beforeAll(() => {
  directory = fs.mkdtempSync('/tmp/radvisor-vm-exec-')
  // The user's run writes its log here too.
  fs.chmodSync(directory, 0o777)
})
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }))

const exec = (args: string[]) => outcome([RADVISOR, 'exec', '-d', directory, ...args])

async function summaryOf(file: string): Promise<TargetSummary> {
  return (await reportFiles(fs, [file], defaultReportOptions)).targets[0]!.summary
}

/** systemd removes a scope's cgroup once the scope is empty, soon after the command's end. */
const gone = (path: string) => eventually(() => !fs.existsSync(join(CGROUP_ROOT, path)), 10_000, `${path} removed`)

describe('radvisor exec as root: a transient systemd scope', () => {
  test('the scope has every controller and the limits; the log names it; systemd removes it afterwards', async () => {
    const result = await exec(['--cpus', '0.5', '--memory', '64MiB', '--', 'sh', '-c', 'cat /proc/self/cgroup; i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done'])
    expect(result.code).toBe(0)
    const path = /^0::\/(.+)$/m.exec(result.stdout)?.[1]
    // The scope is delegated: the command runs in its command/ cgroup, the keeper in keeper/.
    const [, scope, unit] = /^(system\.slice\/(radvisor-exec-sh-\d+\.scope))\/command$/.exec(path ?? '') ?? []
    expect(unit, `the command ran in ${path}`).toBeDefined()
    const log = readLog(execLog(result.stderr))
    const meta = header(log)
    expect(meta.Provider).toBe('exec')
    expect(meta.CollectorType).toBe('cgroup_v2')
    expect(meta.CollectorMetadata.Cgroup).toBe(path)
    expect(meta.CollectorMetadata.CpuQuota).toBe(0.5)
    expect(meta.Metadata.Scope).toBe(unit)
    for (const value of column(log, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    const pids = column(log, 'pids.current').map(Number)
    expect(Math.max(...pids)).toBeGreaterThanOrEqual(1)
    // The last row is taken once the command has gone, before its cgroup is.
    expect(pids.at(-1)).toBe(0)
    expect(Math.max(...column(log, 'memory.current').map(Number))).toBeGreaterThan(0)
    await gone(scope!)
    expect((await outcome(['systemctl', 'is-active', unit!])).stdout.trim()).not.toBe('active')
  }, 60_000)

  test("a CPU burn at a quota of one core: the log accounts for all of the scope's CPU time, and the summary shows it as CPU saturation", async () => {
    // Under emulation the guest's per-interval CPU accounting is too jittery for the length
    // of one run (test/exec.e2e.test.ts checks that on the host), but totals stay exact. The
    // command reads its cgroup's cpu.stat after the burn, as the last thing it does: that is
    // the kernel's count of everything the command did, but the end of that `cat`.
    const burn = 0.3 * EMULATION_SLOWDOWN
    const script = `cgroup=$(sed -n 's/^0:://p' /proc/self/cgroup); echo "$cgroup"; timeout ${burn} sh -c 'while :; do :; done'; exec cat "/sys/fs/cgroup$cgroup/cpu.stat"`
    const result = await exec(['--cpus', '1', '--', 'sh', '-c', script])
    expect(result.code).toBe(0)
    const [path] = result.stdout.split('\n')
    const kernel = Number(/^usage_usec (\d+)$/m.exec(result.stdout)?.[1])
    const file = execLog(result.stderr)
    const log = readLog(file)
    expect(header(log).CollectorMetadata.Cgroup).toBe(path!.slice(1))
    const usage = column(log, 'cpu.stat/usage_usec').map(Number)
    const pids = column(log, 'pids.current')
    const diagnosis = `cgroup ${path}: kernel usage_usec ${kernel} after the burn; log rows ${usage[0]} … ${usage.at(-1)} (${usage.length} rows, the last with ${pids.at(-1)} processes)`
    // The first row is taken at the gate, before the command runs: the gate shell joined
    // command/ while blocked on its socket, so the row holds next to nothing (0 µs measured).
    expect(usage[0]!, diagnosis).toBeLessThan(0.02 * kernel)
    // The last row is taken after every process has left (the keeper holds the scope): it has
    // all the kernel counted, and beyond that only the exit of the final `cat` (about 10 ms
    // emulated; a tenth of the burn would be CPU time from somewhere else).
    expect(pids.at(-1), diagnosis).toBe('0')
    expect(usage.at(-1)!, diagnosis).toBeGreaterThanOrEqual(kernel)
    expect(usage.at(-1)! - kernel, diagnosis).toBeLessThan(0.1 * kernel)
    // One busy thread for `burn` seconds, under a quota of one core (100 ms periods) for as
    // long as the log spans. (Starting sh, sed and timeout costs tenths of a second too under emulation.)
    const reads = column(log, 'read').map(BigInt)
    const span = Number(reads.at(-1)! - reads[0]!) / 1e3
    expect(kernel, diagnosis).toBeGreaterThan(0.5 * burn * 1e6)
    expect(kernel, `${diagnosis}; the log spans ${Math.round(span / 1000)} ms`).toBeLessThanOrEqual(span + 100_000)
    const summary = await summaryOf(file)
    expect(summary.totals.cpuSeconds).toBeCloseTo((usage.at(-1)! - usage[0]!) / 1e6, 6)
    expect(summary.cpuLimit).toMatchObject({ cores: 1, from: 'quota' })
    const cpu = summary.millibottlenecks.byResource.cpu
    const runs = JSON.stringify(summary.millibottlenecks.longest.filter((run) => run.resource === 'cpu').map((run) => Math.round(run.duration)))
    expect(cpu.count, `CPU millibottlenecks (ms): ${runs}`).toBeGreaterThanOrEqual(1)
    expect(cpu.totalDuration, `CPU millibottlenecks (ms): ${runs}`).toBeGreaterThan(0.3 * burn * 1000)
    expect(cpu.totalDuration, `CPU millibottlenecks (ms): ${runs}`).toBeLessThan(burn * 1000 + 1000)
    expect(result.stderr).toMatch(/millibottlenecks: \d+, .*\(cpu \d+ \//)
  }, 60_000)

  test('a memory-capped command that outgrows its limit: killed by the kernel (137), its memory millibottleneck in the summary', async () => {
    const result = await exec(['--memory', '16MiB', '--', 'sh', '-c', outgrow(16, join(directory, 'grow.fifo'))])
    expect(result.code).toBe(137)
    expect(result.stderr).toContain('was killed by SIGKILL (status 137)')
    const file = execLog(result.stderr)
    expect(Math.max(...column(readLog(file), 'memory.current').map(Number))).toBeGreaterThan(0.9 * 16 * 1024 * 1024)
    const summary = await summaryOf(file)
    expect(summary.memoryLimit).toBe(16 * 1024 * 1024)
    expect(summary.millibottlenecks.byResource.memory.count).toBeGreaterThanOrEqual(1)
  }, 120_000)

  test('--cgroup-parent bypasses systemd: radvisor makes the cgroup itself and removes it', async () => {
    const result = await exec(['--cgroup-parent', 'radvisor-vm-exec', '--', 'cat', '/proc/self/cgroup'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^0::\/radvisor-vm-exec\/exec-cat-\d+$/m)
    expect(fs.existsSync(join(CGROUP_ROOT, 'radvisor-vm-exec'))).toBe(false)
  }, 60_000)
})

describe('radvisor exec as a user with a manager of their own', () => {
  let uid = 0
  /** What a login gives the user's processes (pam_systemd). */
  let session: Record<string, string> = {}

  /** The state of the user's manager, for a failure message. */
  async function managerState(): Promise<string> {
    const units = [`user@${uid}.service`, `user-runtime-dir@${uid}.service`, 'systemd-logind.service']
    const status = await outcome(['systemctl', 'status', '--no-pager', '--full', '--lines=0', ...units])
    const journal = await outcome(['journalctl', '-b', '--no-pager', '-n', '40', ...units.flatMap((unit) => ['-u', unit])])
    const runtime = await outcome(['ls', '-la', `/run/user/${uid}`, `/run/user/${uid}/systemd`])
    return [status.stdout, journal.stdout, runtime.stdout, runtime.stderr].join('\n')
  }

  beforeAll(async () => {
    await run('useradd', '--create-home', USER)
    uid = Number(await run('id', '-u', USER))
    session = { XDG_RUNTIME_DIR: `/run/user/${uid}`, DBUS_SESSION_BUS_ADDRESS: `unix:path=/run/user/${uid}/bus` }
    // A lingering user has a manager (user@<uid>.service) without logging in. enable-linger
    // queues its start; `systemctl start` waits for that job, which ends once the manager
    // has told systemd it is up (Type=notify) or has failed.
    await run('loginctl', 'enable-linger', USER)
    const started = await outcome(['timeout', '60', 'systemctl', 'start', `user@${uid}.service`])
    if (started.code !== 0) {
      throw new Error(`user@${uid}.service did not start (systemctl start: exit ${started.code} ${started.stderr.trim()}):\n${await managerState()}`)
    }
  }, 90_000)

  afterAll(async () => {
    await outcome(['loginctl', 'disable-linger', USER])
    await outcome(['timeout', '30', 'systemctl', 'stop', `user@${uid}.service`])
    await outcome(['userdel', '--remove', USER])
  }, 60_000)

  const asUser = (args: string[], env: Record<string, string>) => outcome(['runuser', '-u', USER, '--', RADVISOR, 'exec', '-d', directory, ...args], env)

  test("runs the command in a scope of the user's manager (systemd-run --user --scope), with its limits, and logs that scope's cgroup", async () => {
    const result = await asUser(['--cpus', '0.5', '--memory', '64MiB', '--', 'cat', '/proc/self/cgroup'], session)
    expect(result.code, `${result.stderr}\n${await managerState()}`).toBe(0)
    const path = /^0::\/(.+)$/m.exec(result.stdout)?.[1]
    const [, scope, unit] = new RegExp(`^(user\\.slice/user-${uid}\\.slice/user@${uid}\\.service/(?:.+/)?(radvisor-exec-cat-\\d+\\.scope))/command$`).exec(path ?? '') ?? []
    expect(unit, `the command ran in ${path}`).toBeDefined()
    const file = execLog(result.stderr)
    expect(fs.statSync(file).uid).toBe(uid)
    const log = readLog(file)
    const meta = header(log)
    expect(meta.CollectorMetadata.Cgroup).toBe(path)
    expect(meta.CollectorMetadata.CpuQuota).toBe(0.5)
    expect(meta.Metadata.Scope).toBe(unit)
    // The user's manager has cpu, memory and pids delegated to it (user@.service), so the limits apply.
    for (const value of column(log, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    const pids = column(log, 'pids.current').map(Number)
    expect(Math.max(...pids)).toBeGreaterThanOrEqual(1)
    expect(pids.at(-1)).toBe(0)
    await gone(scope!)
  }, 60_000)

  test('without a manager to ask (no XDG_RUNTIME_DIR), it cannot make a cgroup: one line saying what is needed, exit 1', async () => {
    const result = await asUser(['--', 'true'], { XDG_RUNTIME_DIR: '' })
    expect(result.code).toBe(1)
    const lines = result.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/radvisor exec needs a cgroup of its own and .*: run it as root, or as a user on a cgroup v2 host with systemd \(it uses systemd-run --user --scope\)/)
  }, 60_000)
})
