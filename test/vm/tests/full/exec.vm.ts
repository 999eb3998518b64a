/**
 * `radvisor exec` on a systemd host with a cgroup v2 root (full mode): as root the command
 * runs in a transient scope that systemd makes (`systemd-run --scope`), with every
 * controller and the limits asked for; as a user with a session, in a scope of the user's
 * manager (`systemd-run --user --scope`). A 300 ms CPU burn is one CPU millibottleneck, a
 * memory-capped command is killed at its limit, and no scope is left afterwards. Written
 * for test/vm/run.sh (the guest has RADVISOR_BIN).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { join } from 'node:path'
import { defaultReportOptions, reportFiles, type TargetSummary } from '@radvisor/report'
import { parse } from 'yaml'
import { column, readLog } from '../../../_support.ts'

const RADVISOR = process.env.RADVISOR_BIN
if (!RADVISOR || process.env.RADVISOR_VM_MODE === undefined) throw new Error('guest tests run inside the VM only: use test/vm/run.sh quick|full')
const SLOWDOWN = process.env.RADVISOR_VM_ACCEL === 'kvm' ? 1 : 10
const ROOT = '/sys/fs/cgroup'
const USER = `radvisor-vm-${Math.random().toString(36).slice(2, 6)}`
let directory = ''

beforeAll(() => {
  directory = fs.mkdtempSync('/tmp/radvisor-vm-exec-')
  fs.chmodSync(directory, 0o777)
})
afterAll(async () => {
  await run(['loginctl', 'disable-linger', USER]).catch(() => {})
  await run(['userdel', '-r', USER]).catch(() => {})
  fs.rmSync(directory, { recursive: true, force: true })
})

async function run(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn(argv, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1', ...env } })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

const exec = (args: string[]) => run([RADVISOR!, 'exec', '-d', directory, ...args])

function logOf(stderr: string): string {
  const match = /^ {2}log: (.+)$/m.exec(stderr)
  if (!match) throw new Error(`no log line in stderr:\n${stderr}`)
  return match[1]!
}

async function summaryOf(file: string): Promise<TargetSummary> {
  return (await reportFiles(fs, [file], defaultReportOptions)).targets[0]!.summary
}

/** Waits until systemd has removed the scope's cgroup (it does once the scope is empty). */
async function gone(path: string): Promise<void> {
  const deadline = performance.now() + 10_000 * SLOWDOWN
  while (fs.existsSync(join(ROOT, path))) {
    if (performance.now() > deadline) throw new Error(`${path} is still there`)
    await Bun.sleep(50)
  }
}

describe('radvisor exec as root: a transient systemd scope', () => {
  test('the scope has every controller and the limits; the log names it; systemd removes it afterwards', async () => {
    const result = await exec(['--cpus', '0.5', '--memory', '64MiB', '--', 'sh', '-c', 'cat /proc/self/cgroup; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'])
    expect(result.code).toBe(0)
    const path = /^0::\/(.+)$/m.exec(result.stdout)?.[1]
    expect(path).toMatch(/\/radvisor-exec-sh-\d+\.scope$/)
    const log = readLog(logOf(result.stderr))
    const header = parse(log.yaml)
    expect(header.Provider).toBe('exec')
    expect(header.CollectorType).toBe('cgroup_v2')
    expect(header.CollectorMetadata.Cgroup).toBe(path)
    expect(header.CollectorMetadata.CpuQuota).toBe(0.5)
    expect(header.Metadata.Scope).toBe(path!.slice(path!.lastIndexOf('/') + 1))
    for (const value of column(log, 'memory.max')) expect(value).toBe(String(64 * 1024 * 1024))
    expect(Math.max(...column(log, 'pids.current').map(Number))).toBeGreaterThanOrEqual(1)
    expect(Math.max(...column(log, 'memory.current').map(Number))).toBeGreaterThan(0)
    await gone(path!)
    expect((await run(['systemctl', 'is-active', header.Metadata.Scope])).stdout.trim()).not.toBe('active')
  }, 60_000 * SLOWDOWN)

  test('a 300 ms CPU burn at a quota of one core is one CPU millibottleneck of about that length', async () => {
    // As on the host test: the kernel adds up a running task's CPU time at its ticks, so a
    // reading can fall under 95% and split the run; one of the attempts must find it whole.
    const seen: number[][] = []
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await exec(['--cpus', '1', '--', 'timeout', String(0.3 * SLOWDOWN), 'sh', '-c', 'while :; do :; done'])
      expect(result.code).toBe(124)
      const summary = await summaryOf(logOf(result.stderr))
      const cpu = summary.millibottlenecks.byResource.cpu
      expect(cpu.count).toBeGreaterThanOrEqual(1)
      if (cpu.count === 1) {
        expect(cpu.totalDuration).toBeGreaterThanOrEqual(190 * SLOWDOWN)
        expect(cpu.totalDuration).toBeLessThanOrEqual(420 * SLOWDOWN)
        return
      }
      seen.push(summary.millibottlenecks.longest.filter((run) => run.resource === 'cpu').map((run) => Math.round(run.duration)))
    }
    throw new Error(`the burn was split in every attempt (CPU millibottlenecks in ms: ${JSON.stringify(seen)})`)
  }, 120_000 * SLOWDOWN)

  test('a memory-capped command that outgrows its limit: killed by the kernel (137), its memory millibottleneck in the summary', async () => {
    const grow = `x=; while :; do x="$x$(head -c 1048576 /dev/zero | tr '\\0' a)"; sleep 0.02; done`
    const result = await exec(['--memory', '32MiB', '--', 'sh', '-c', grow])
    expect(result.code).toBe(137)
    const file = logOf(result.stderr)
    expect(Math.max(...column(readLog(file), 'memory.current').map(Number))).toBeGreaterThan(0.9 * 32 * 1024 * 1024)
    const summary = await summaryOf(file)
    expect(summary.memoryLimit).toBe(32 * 1024 * 1024)
    expect(summary.millibottlenecks.byResource.memory.count).toBeGreaterThanOrEqual(1)
  }, 120_000 * SLOWDOWN)

  test('--cgroup-parent bypasses systemd: radvisor makes the cgroup itself and removes it', async () => {
    const result = await exec(['--cgroup-parent', 'radvisor-vm-exec', '--', 'cat', '/proc/self/cgroup'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^0::\/radvisor-vm-exec\/exec-cat-\d+$/m)
    expect(fs.existsSync(join(ROOT, 'radvisor-vm-exec'))).toBe(false)
  }, 60_000 * SLOWDOWN)
})

describe('radvisor exec as a user with a systemd session', () => {
  let uid = 0

  beforeAll(async () => {
    expect((await run(['useradd', '--create-home', USER])).code).toBe(0)
    uid = Number((await run(['id', '-u', USER])).stdout.trim())
    // A lingering user gets its manager (user@<uid>.service) without logging in.
    expect((await run(['loginctl', 'enable-linger', USER])).code).toBe(0)
    const deadline = performance.now() + 60_000 * SLOWDOWN
    while (!fs.existsSync(`/run/user/${uid}/systemd/private`)) {
      if (performance.now() > deadline) throw new Error(`user@${uid}.service did not start`)
      await Bun.sleep(100)
    }
  }, 120_000 * SLOWDOWN)

  test('runs the command in a scope of the user manager (systemd-run --user --scope), with no rights to the cgroup tree itself', async () => {
    const env = { XDG_RUNTIME_DIR: `/run/user/${uid}`, DBUS_SESSION_BUS_ADDRESS: `unix:path=/run/user/${uid}/bus` }
    const result = await run(['runuser', '-u', USER, '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), RADVISOR!, 'exec', '-d', directory, '--', 'cat', '/proc/self/cgroup'])
    expect(result.code).toBe(0)
    const path = /^0::\/(.+)$/m.exec(result.stdout)?.[1]
    expect(path).toMatch(new RegExp(`^user\\.slice/user-${uid}\\.slice/user@${uid}\\.service/.*radvisor-exec-cat-\\d+\\.scope$`))
    const header = parse(readLog(logOf(result.stderr)).yaml)
    expect(header.CollectorMetadata.Cgroup).toBe(path)
    await gone(path!)
  }, 60_000 * SLOWDOWN)
})
