/**
 * Discovery latency of `radvisor run docker` against a real engine: the time from
 * `docker start` returning to the first row of that container on disk, over 20
 * containers, with the event stream on (the default) and off (poll only, as radvisor
 * 1.4 does). Not a test: prints a table for bench/README.md.
 *
 *   eval "$(scripts/dockerd.sh start)"; bun bench/discovery.ts [--containers 20] [--poll 1s]
 *
 * Without DOCKER_HOST it starts the engine with scripts/dockerd.sh (root) and stops it
 * afterwards. Each container is created first, so `docker start` alone is timed; a random
 * pause before each start spreads the starts over the poll period. radvisor runs with
 * `--flush-every 1ms`, so a row is on disk as soon as it is sampled: what is measured is
 * discovery, not buffering.
 */
import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { spread } from './_stats.ts'

const REPO = resolve(import.meta.dir, '..')
const SCRIPT = join(REPO, 'scripts/dockerd.sh')
const DOCKER_CLI = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker'
const IMAGE = 'radvisor-busybox:latest'
const LABEL = `radvisor.bench=discovery-${process.pid}`

const { values: flags } = parseArgs({
  options: { containers: { type: 'string', default: '20' }, poll: { type: 'string', default: '1s' } },
})
const containers = Number(flags.containers)

function engineHost(): { host: string; startedHere: boolean } {
  if (process.env.DOCKER_HOST) return { host: process.env.DOCKER_HOST, startedHere: false }
  const running = spawnSync(SCRIPT, ['status']).status === 0
  const started = spawnSync(SCRIPT, [running ? 'env' : 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  if (started.status !== 0) throw new Error('scripts/dockerd.sh start failed (it needs root)')
  return { host: /DOCKER_HOST=(\S+)/.exec(started.stdout)![1]!, startedHere: !running }
}

const engine = engineHost()

async function docker(...args: string[]): Promise<string> {
  const child = Bun.spawn([DOCKER_CLI, ...args], { env: { ...process.env, DOCKER_HOST: engine.host }, stdout: 'pipe', stderr: 'pipe' })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  if (code !== 0) throw new Error(`docker ${args.join(' ')} exited ${code}: ${stderr.trim()}`)
  return stdout.trim()
}

/** Resolves when `<id>_*.log` in `directory` holds its first row; polls every 2 ms. */
async function firstRow(directory: string, id: string): Promise<void> {
  for (;;) {
    const file = fs.readdirSync(directory).find((name) => name.startsWith(`${id}_`))
    if (file) {
      const text = fs.readFileSync(join(directory, file), 'utf8')
      const body = text.indexOf('\n---\n', 3)
      // Header row plus one complete row.
      if (body > 0 && text.slice(body + 5).split('\n').length >= 3) return
    }
    await Bun.sleep(2)
  }
}

interface Measured {
  readonly discoveryMs: number[]
  readonly startMs: number[]
}

async function measure(events: boolean): Promise<Measured> {
  const directory = fs.mkdtempSync(join(tmpdir(), 'radvisor-discovery-'))
  const args = ['run', 'docker', '--docker-host', engine.host, '-d', directory, '--poll', flags.poll!, '--flush-every', '1ms', '-q']
  if (!events) args.push('--no-docker-events')
  const radvisor = spawn(join(REPO, 'node_modules/.bin/radvisor'), args, {
    env: { ...process.env, PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const result: Measured = { discoveryMs: [], startMs: [] }
  try {
    // Let radvisor connect and settle before the first container.
    await Bun.sleep(1500)
    for (let i = 0; i < containers; i++) {
      const name = `radvisor-discovery-${process.pid}-${events ? 'events' : 'poll'}-${i}`
      const id = await docker('create', '--name', name, '--label', LABEL, '--network', 'none', '-m', '64m', IMAGE, 'sleep', '3600')
      await Bun.sleep(Math.random() * 1000)
      const before = performance.now()
      await docker('start', name)
      const started = performance.now()
      await firstRow(directory, id)
      result.discoveryMs.push(performance.now() - started)
      result.startMs.push(started - before)
      await docker('rm', '-f', name)
    }
  } finally {
    radvisor.kill('SIGTERM')
    await new Promise((done) => (radvisor.exitCode !== null ? done(null) : radvisor.once('exit', done)))
    fs.rmSync(directory, { recursive: true, force: true })
  }
  return result
}

function row(label: string, values: number[]): string {
  const { median, max, min } = spread(values)
  return `| ${label} | ${median.toFixed(0)} | ${max.toFixed(0)} | ${min.toFixed(0)} |`
}

try {
  const withEvents = await measure(true)
  const pollOnly = await measure(false)
  console.log(`${containers} containers, --interval 50ms, --poll ${flags.poll}\n`)
  console.log('| from `docker start` returning to the first row on disk | median ms | max ms | min ms |')
  console.log('|---|---:|---:|---:|')
  console.log(row('events on (default)', withEvents.discoveryMs))
  console.log(row('events off (poll only, as radvisor 1.4)', pollOnly.discoveryMs))
  console.log(row('`docker start` itself', [...withEvents.startMs, ...pollOnly.startMs]))
} finally {
  const left = await docker('ps', '-aq', '--filter', `label=${LABEL}`).catch(() => '')
  if (left) await docker('rm', '-f', ...left.split('\n')).catch(() => {})
  if (engine.startedHere) spawnSync(SCRIPT, ['stop'], { stdio: 'inherit' })
}
