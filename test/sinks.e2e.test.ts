/**
 * End to end through the real `radvisor` bin: the built-in sinks and a sink plugin
 * loaded by path, fed by a made-up provider (test/fixtures/providers/static.ts), so these
 * run on any machine.
 */
import { afterAll, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { parse } from 'yaml'

const REPO = resolve(import.meta.dir, '..')
const RADVISOR = join(REPO, 'node_modules/.bin/radvisor')
const PROVIDER = './test/fixtures/providers/static.ts'
const tmp = mkdtempSync(join(tmpdir(), 'radvisor-sinks-e2e-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function spawnRadvisor(args: string[]) {
  return Bun.spawn([RADVISOR, ...args], {
    cwd: REPO,
    stdout: 'pipe',
    stderr: 'pipe',
    // The bin's `#!/usr/bin/env bun` finds the workspace's bun.
    env: { ...process.env, NO_COLOR: '1', PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH}` },
  })
}

async function radvisor(args: string[]) {
  const child = spawnRadvisor(args)
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { stdout, stderr, code }
}

/** A path of its own for one test, in the test's temporary folder. */
const folder = (name: string): string => join(tmp, name)

/** The one log in `directory`, read the way analysis scripts read CSVY. */
function readLog(directory: string) {
  const names = readdirSync(directory)
  expect(names).toHaveLength(1)
  expect(names[0]).toMatch(/^static-1_\d{10}\.log$/)
  const text = readFileSync(join(directory, names[0]!), 'utf8')
  const [before, yaml, csv] = text.split(/^---$/m)
  expect(before).toBe('')
  const [columns, ...rows] = csv!.trim().split('\n').map((line) => line.split(','))
  for (const row of rows) expect(row).toHaveLength(columns!.length)
  return { text, header: parse(yaml!, { intAsBigInt: true }), columns: columns!, rows }
}

test('csvy, jsonl and a custom sink loaded by path all receive the same rows', async () => {
  const stats = folder('three-sinks')
  const jsonl = join(tmp, 'three-sinks.jsonl')
  const received: string[] = []
  const listener = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    socket: { data: (_socket, data) => void received.push(Buffer.from(data).toString()) },
  })
  try {
    const { code, stderr } = await radvisor([
      'run', PROVIDER, '--duration', '1s', '-d', stats,
      '--sink', 'csvy', '--sink', 'jsonl', '--jsonl-path', jsonl,
      '--sink', './examples/custom-sink/statsd-sink.ts', '--sink-option', `statsd.port=${listener.port}`,
    ])
    expect({ code, stderr }).toMatchObject({ code: 0 })
    expect(stderr).toContain('Flushed')

    const log = readLog(stats)
    expect(log.header.Provider).toBe('static')
    expect(log.header.CollectorType).toBe('cgroup_v1')
    expect(log.header.System.CpuCount).toBeGreaterThan(0)
    expect(log.columns).toEqual(['read', 'cpu.usage.total', 'pids.current', 'cpu.usage.percpu', 'memory.limit.hard'])
    expect(log.rows.length).toBeGreaterThanOrEqual(5)

    const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n')
    expect(lines.map((line) => line.match(/"time":(\d{19})/)?.[1])).toEqual(log.rows.map((row) => row[0]))
    expect(lines[0]).toContain('"memory.limit.hard":9223372036854771712')
    expect(JSON.parse(lines[0]!)).toMatchObject({ target: 'static-1', provider: 'static', values: { 'pids.current': 7, 'cpu.usage.percpu': '11 22' } })

    // UDP datagrams sent just before exit may still be in flight.
    for (let i = 0; i < 100 && received.length === 0; i++) await Bun.sleep(10)
    expect(received.join('')).toMatch(/^radvisor\.static\.static-1\.cpu:\d+\.\d{4}\|g$/m)
  } finally {
    listener.close()
  }
})

test('jsonl writes to stdout by default, keeping stdout free of status lines', async () => {
  const { code, stdout, stderr } = await radvisor(['run', PROVIDER, '--duration', '500ms', '--sink', 'jsonl', '-d', folder('unused')])
  expect(code).toBe(0)
  const lines = stdout.trimEnd().split('\n')
  expect(lines.length).toBeGreaterThanOrEqual(3)
  for (const line of lines) expect(JSON.parse(line).target).toBe('static-1')
  expect(stderr).toContain('JSON lines to stdout')
})

test('-b, --flush-every and -f: buffers are written at least that often and every write is in the flush log', async () => {
  const stats = folder('flush-every')
  const flushLog = join(tmp, 'flush.csv')
  const { code } = await radvisor(['run', PROVIDER, '--duration', '1s', '-d', stats, '-b', '64KiB', '--flush-every', '200ms', '-f', flushLog])
  expect(code).toBe(0)
  const log = readLog(stats)
  const [head, ...events] = readFileSync(flushLog, 'utf8').trimEnd().split('\n')
  expect(head).toBe('timestamp,target_id,written,success')
  // 64 KiB holds the whole run: the header at open, then only --flush-every (and the final flush) write it.
  expect(events.length).toBeGreaterThanOrEqual(1 + 4)
  for (const event of events) expect(event).toMatch(/^\d{19},static-1,\d+,true$/)
  expect(events.reduce((sum, event) => sum + Number(event.split(',')[2]), 0)).toBe(Buffer.byteLength(log.text))
})

test('a directory that cannot be written stops radvisor at startup with exit code 2, naming it', async () => {
  writeFileSync(join(tmp, 'a-file'), '')
  const directory = join(tmp, 'a-file', 'stats')
  const { code, stderr } = await radvisor(['run', PROVIDER, '--duration', '1s', '-d', directory])
  expect(code).toBe(2)
  expect(stderr).toBe(`[radvisor] [cli] invalid value '${directory}' for -d/--directory: '${join(tmp, 'a-file')}' is not a directory; give a directory radvisor can create or write to\n`)
  expect(existsSync(directory)).toBe(false)
})

test('a module that is not a sink is refused with exit code 2, naming it', async () => {
  const { code, stderr } = await radvisor(['run', PROVIDER, '--duration', '1s', '-d', folder('unused'), '--sink', './test/fixtures/sinks/not-a-sink.ts'])
  expect(code).toBe(2)
  expect(stderr).toContain("'./test/fixtures/sinks/not-a-sink.ts' is not a valid sink")
})

test('the Prometheus endpoint can be scraped during a run', async () => {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = probe.port
  await probe.stop(true)
  const child = spawnRadvisor(['run', PROVIDER, '--duration', '4s', '-d', folder('unused'), '--sink', 'prometheus', '--prometheus-listen', `127.0.0.1:${port}`])
  try {
    let text: string | null = null
    // Wait for the server to come up and for a few samples to be taken.
    for (let i = 0; i < 300 && !text?.includes('radvisor_cpu_peak_cores{'); i++) {
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text(), () => null)
      if (!text?.includes('radvisor_cpu_peak_cores{')) await Bun.sleep(10)
    }
    const families = parsePrometheusTextFormat(text ?? '')
    const sample = (name: string) => families.find((family) => family.name === name)?.metrics[0]
    expect(sample('radvisor_cpu_usage_seconds_total')?.labels).toEqual({ id: 'static-1', name: 'static/one', provider: 'static', namespace: 'e2e' })
    expect(sample('radvisor_tasks')?.value).toBe('7')
    // The made-up counter grows by half a core.
    expect(Number(sample('radvisor_cpu_peak_cores')?.value)).toBeGreaterThan(0.3)
    // radvisor's own health: the run's version, one target, ticks that ran.
    expect(sample('radvisor_build_info')?.labels).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
    expect(sample('radvisor_targets')?.value).toBe('1')
    expect(Number(sample('radvisor_ticks_total')?.value)).toBeGreaterThan(0)
  } finally {
    expect(await child.exited).toBe(0)
  }
})
