/**
 * End to end against a real Docker engine: `radvisor run docker` on the engine of
 * `DOCKER_HOST` (which `eval "$(scripts/dockerd.sh start)"` sets), or on the engine this
 * test starts itself with that script when it can (root, dockerd installed) and stops
 * afterwards. Containers run `radvisor-busybox:latest` with `--network none -m 64m` and are
 * removed when the test ends, also when it fails.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { column, exited, type Log, radvisor, readLog, REPO } from './_support.ts'

const SCRIPT = join(REPO, 'scripts/dockerd.sh')
const IMAGE = 'radvisor-busybox:latest'
const PREFIX = `radvisor-e2e-${Math.random().toString(36).slice(2, 8)}`
const DOCKER_CLI = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker'

/** The engine to test against, or why there is none. */
function findEngine(): { host: string; startedHere: boolean } | { skip: string } {
  const fromEnv = process.env.DOCKER_HOST
  if (fromEnv) {
    if (!fromEnv.startsWith('unix://')) return { skip: `DOCKER_HOST is ${fromEnv}; these tests need a local unix socket` }
    const socket = fromEnv.slice('unix://'.length)
    return fs.existsSync(socket) ? { host: fromEnv, startedHere: false } : { skip: `DOCKER_HOST names ${socket}, which does not exist` }
  }
  if (process.platform !== 'linux') return { skip: 'dockerd runs on Linux only' }
  if (process.getuid?.() !== 0) return { skip: 'starting dockerd needs root (or run scripts/dockerd.sh start and export DOCKER_HOST)' }
  if (spawnSync('sh', ['-c', 'command -v dockerd']).status !== 0) {
    return { skip: 'no dockerd binary (apt-get install docker.io busybox-static, or run scripts/dockerd.sh start)' }
  }
  const running = spawnSync(SCRIPT, ['status']).status === 0
  const started = running ? null : spawnSync(SCRIPT, ['start'], { encoding: 'utf8', timeout: 120_000 })
  if (started && started.status !== 0) return { skip: `scripts/dockerd.sh start failed: ${started.stderr.trim().split('\n').at(-1)}` }
  const host = /DOCKER_HOST=(\S+)/.exec(spawnSync(SCRIPT, ['env'], { encoding: 'utf8' }).stdout)![1]!
  return { host, startedHere: !running }
}

const engine = findEngine()
if ('skip' in engine) console.warn(`[docker.e2e] skipping real-engine tests: ${engine.skip}`)
const host = 'host' in engine ? engine.host : ''

/** Runs the docker CLI against the engine; returns trimmed stdout, throws with stderr on failure. */
async function docker(...args: string[]): Promise<string> {
  const child = Bun.spawn([DOCKER_CLI, ...args], { env: { ...process.env, DOCKER_HOST: host }, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  if (code !== 0) throw new Error(`docker ${args.join(' ')} exited ${code}: ${stderr.trim()}`)
  return stdout.trim()
}

/** `docker run` options every test container gets. */
function runOptions(name: string): string[] {
  return ['--name', name, '--network', 'none', '-m', '64m', '--label', `radvisor.e2e=${PREFIX}`]
}

/** The log file of container `id` in `directory`, once it has at least `rows` rows. */
async function waitForLog(directory: string, id: string, rows: number, timeoutMs: number): Promise<string> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const file = fs.readdirSync(directory).find((name) => name.startsWith(`${id}_`) && name.endsWith('.log'))
    if (file) {
      const text = fs.readFileSync(join(directory, file), 'utf8')
      const body = text.indexOf('\n---\n', 3)
      if (body > 0 && text.slice(body + 5).split('\n').length - 2 >= rows) return join(directory, file)
    }
    if (performance.now() > deadline) throw new Error(`no log with ${rows} rows for ${id} in ${directory} within ${timeoutMs}ms`)
    await Bun.sleep(20)
  }
}

function checkComplete(log: Log, id: string): void {
  expect(log.yaml).toContain('Provider: docker')
  expect(log.yaml).toContain(`Id: ${id}`)
  expect(log.yaml).toContain(`Cgroup: docker/${id}`)
  expect(log.columns[0]).toBe('read')
  for (const row of log.rows) expect(row).toHaveLength(log.columns.length)
}

test('an unreachable engine ends radvisor with one line naming the address, exit 1', async () => {
  const socket = join(tmpdir(), `${PREFIX}-absent.sock`)
  const run = radvisor(['run', 'docker', '--docker-host', `unix://${socket}`, '-d', tmpdir(), '--color', 'never'])
  expect(await exited(run.child)).toBe(1)
  const errors = run.stderr().split('\n').filter((line) => line.includes('[provider-docker]'))
  expect(errors).toHaveLength(1)
  expect(errors[0]).toContain(`unix://${socket}`)
  expect(errors[0]).toContain('DOCKER_HOST')
  // Becoming root is advice only for those who are not.
  if (process.getuid?.() === 0) expect(errors[0]).not.toMatch(/as root/)
  else expect(errors[0]).toMatch(/run radvisor as root.*DOCKER_HOST/)
})

describe.skipIf('skip' in engine)('radvisor run docker on a real engine', () => {
  let directory = ''
  let run: ReturnType<typeof radvisor> | null = null

  beforeAll(async () => {
    directory = fs.mkdtempSync(join(tmpdir(), 'radvisor-docker-e2e-'))
    // A long poll interval: containers must be found through the event stream.
    run = radvisor(['run', 'docker', '--docker-host', host, '-d', directory, '--interval', '50ms', '--poll', '10s', '--flush-every', '100ms', '--color', 'never'])
    await run.waitFor('Beginning collection every', 15_000)
  })

  afterAll(async () => {
    const ours = await docker('ps', '-aq', '--filter', `label=radvisor.e2e=${PREFIX}`).catch(() => '')
    if (ours) await docker('rm', '-f', ...ours.split('\n')).catch(() => {})
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGKILL')
      await exited(run.child)
    }
    fs.rmSync(directory, { recursive: true, force: true })
    if ('startedHere' in engine && engine.startedHere) spawnSync(SCRIPT, ['stop'], { stdio: 'inherit' })
  })

  test('samples a busy container every interval and completes its log when it stops', async () => {
    const name = `${PREFIX}-busy`
    // Limited to a quarter of a CPU in 10 ms periods: busy in every 50 ms interval, yet light on a shared machine.
    const id = await docker('run', '-d', ...runOptions(name), '--cpu-period', '10000', '--cpu-quota', '2500', IMAGE, 'sh', '-c', 'while :; do :; done')
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    const running = readLog(await waitForLog(directory, id, 12, 10_000))
    checkComplete(running, id)
    expect(running.yaml).toContain(`- /${name}`)

    const reads = column(running, 'read').map(BigInt)
    const deltas = reads.slice(1).map((read, i) => Number(read - reads[i]!) / 1e6)
    expect(deltas.every((delta) => delta > 0)).toBe(true)
    expect(deltas.toSorted((a, b) => a - b)[deltas.length >> 1]!).toBeWithin(40, 60)
    const cpu = column(running, 'cpu.usage.total').map(Number)
    const rising = cpu.slice(1).filter((value, i) => value > cpu[i]!).length
    expect(cpu.slice(1).every((value, i) => value >= cpu[i]!)).toBe(true)
    expect(rising).toBeGreaterThanOrEqual(Math.ceil((cpu.length - 1) * 0.8))
    for (const value of column(running, 'memory.usage.current')) expect(Number(value)).toBeGreaterThan(0)
    for (const value of column(running, 'memory.limit.hard')) expect(Number(value)).toBe(64 * 1024 * 1024)
    for (const value of column(running, 'pids.current')) expect(Number(value)).toBeGreaterThanOrEqual(1)

    await docker('rm', '-f', name)
    await run!.waitFor(`Stopping collection for docker ${name}`, 5000)
    expect(run!.child.exitCode).toBeNull()
    const stopped = readLog(await waitForLog(directory, id, running.rows.length, 0))
    checkComplete(stopped, id)
    expect(stopped.rows.length).toBeGreaterThanOrEqual(running.rows.length)
    expect(stopped.rows.slice(0, running.rows.length)).toEqual(running.rows)
  }, 30_000)

  test('a container that lives 300 ms still gets a log with rows', async () => {
    const name = `${PREFIX}-short`
    await docker('run', ...runOptions(name), IMAGE, 'sleep', '0.3')
    const id = await docker('inspect', '--format', '{{.Id}}', name)
    await docker('rm', name)
    await run!.waitFor(`Stopping collection for docker ${name}`, 5000)
    const log = readLog(await waitForLog(directory, id, 1, 0))
    checkComplete(log, id)
    expect(log.rows.length).toBeGreaterThanOrEqual(1)
    // Its `sleep` shows in the first sample; the last one may come after it exited.
    expect(Number(column(log, 'pids.current')[0])).toBe(1)
    for (const value of column(log, 'cpu.usage.total')) expect(Number(value)).toBeGreaterThan(0)
  }, 30_000)

  test('short-lived containers are an ordinary sight: nothing warns about them', async () => {
    const from = run!.stderr().length
    const names = Array.from({ length: 20 }, (_, i) => `${PREFIX}-brief-${i}`)
    // Ten at a time, each living 0.1 to 0.5 s.
    for (let batch = 0; batch < names.length; batch += 10) {
      await Promise.all(
        names.slice(batch, batch + 10).map((name, i) => docker('run', '--rm', ...runOptions(name), IMAGE, 'sleep', `0.${(i % 5) + 1}`)),
      )
    }
    // Every exit has reached radvisor: the engine lists none of them, and a poll (10 s) is not needed after the events.
    expect(await docker('ps', '-aq', '--filter', `name=${PREFIX}-brief-`)).toBe('')
    await Bun.sleep(1500)
    const lines = run!.stderr().slice(from).split('\n').filter(Boolean)
    const warnings = lines.filter((line) => /^\s*(Warning|error)\b/.test(line))
    // Containers that exit are normal: nothing about them is a warning, from the provider or the runner.
    expect(warnings).toEqual([])
    expect(lines.filter((line) => /provider-docker|event stream|skipped/.test(line))).toEqual([])
  }, 60_000)

  test('SIGTERM ends radvisor with exit 0', async () => {
    run!.child.kill('SIGTERM')
    expect(await exited(run!.child)).toBe(0)
    expect(run!.stderr()).toContain('Finished')
  }, 30_000)
})
