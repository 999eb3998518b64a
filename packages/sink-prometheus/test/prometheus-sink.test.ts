import { afterEach, describe, expect, test } from 'bun:test'
import { type CollectorInfo, type LogHeader, type PluginContext, RadvisorError, Row, type Target } from '@radvisor/core'
import { testPluginContext, testSink } from '@radvisor/testing'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { createPrometheusSink, type PrometheusSink } from '../src/prometheus-sink.ts'

const context = (): PluginContext => testPluginContext()

const open: PrometheusSink[] = []
function start(plugin: PluginContext = context()): PrometheusSink {
  const sink = createPrometheusSink(plugin, '127.0.0.1:0')
  open.push(sink)
  return sink
}
afterEach(async () => {
  for (const sink of open.splice(0)) await sink.close()
})

let contract: PrometheusSink
testSink(
  'prometheus',
  (plugin) => {
    contract = start(plugin)
    return contract
  },
  {
    state: true,
    output: async () => (await fetch(contract.url)).text(),
    // The suite's rows use 25 ms of CPU per sample: the counter shows the latest one's total.
    shows: (output, sample) => {
      const line = output.split('\n').find((text) => text.startsWith(`radvisor_cpu_usage_seconds_total{id="${sample.targetId}"`))
      return line !== undefined && Number(line.split(' ').at(-1)) === sample.index * 0.025
    },
  },
)

const v1: CollectorInfo = {
  type: 'cgroup_v1',
  cgroup: 'kubepods/burstable/pod1',
  driver: 'cgroupfs',
  columns: ['read', 'pids.current', 'pids.max', 'cpu.usage.total', 'cpu.throttling.throttled.time', 'memory.usage.current', 'memory.limit.hard', 'blkio.throttle.service.bytes.read', 'blkio.service.bytes.read'],
  columnTypes: {},
}
const v2: CollectorInfo = {
  type: 'cgroup_v2',
  cgroup: 'system.slice/docker-b.scope',
  driver: 'systemd',
  columns: ['read', 'pids.current', 'pids.max', 'cpu.stat/usage_usec', 'memory.current', 'memory.max', 'io.stat/rbytes', 'memory.stat/pgfault'],
  columnTypes: {},
}
const pod: Target = {
  provider: 'kubernetes',
  id: 'uid-1',
  name: 'default/web',
  metadata: {},
  polledAt: 0n,
  cgroup: { kind: 'pod', uid: 'uid-1', qos: 'burstable' },
  labels: { namespace: 'default', pod: 'web', 'app.kubernetes.io/name': 'say "hi"' },
}
const container: Target = { provider: 'docker', id: 'b', name: '/b', metadata: {}, polledAt: 0n, cgroup: { kind: 'docker', id: 'b' } }
const headerOf = (target: Target, collector: CollectorInfo): LogHeader => ({ version: '0.1.0', target, collector, initializedAt: 0n })

/** Writes a v1 row at `ms` with `cpuNs` of CPU time used so far. */
function v1Row(row: Row, ms: number, cpuNs: number): Row {
  row.reset()
  row.putTime(1_700_000_000_000 + ms)
  row.putUint(12)
  row.putUint(4096)
  row.putUint(cpuNs)
  row.putUint(2_500_000_000)
  row.putUint(52_428_800)
  row.putUint(9223372036854771712)
  row.putUint(1_048_576)
  row.putEmpty()
  return row
}

async function scrape(sink: PrometheusSink) {
  const response = await fetch(sink.url)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  const families = parsePrometheusTextFormat(await response.text())
  const value = (name: string, id: string) =>
    families.find((family) => family.name === name)?.metrics.find((sample) => sample.labels?.id === id)?.value
  return { families, value }
}

describe('/metrics', () => {
  test('serves counters and gauges of v1 and v2 targets, labelled with id, name, provider and target labels', async () => {
    const sink = start()
    sink.open(pod, headerOf(pod, v1)).write(v1Row(new Row(pod, v1.columns), 0, 2_000_000_000))
    const row = new Row(container, v2.columns)
    row.putTime(1_700_000_000_000)
    for (const cell of ['3', 'max', '1500000', '1048576', 'max', '4096', '77']) row.putAscii(cell)
    sink.open(container, headerOf(container, v2)).write(row)

    const { families, value } = await scrape(sink)
    const family = (name: string) => families.find((f) => f.name === name)!
    expect(family('radvisor_cpu_usage_seconds_total').type).toBe('COUNTER')
    expect(family('radvisor_memory_usage_bytes').type).toBe('GAUGE')
    expect(value('radvisor_cpu_usage_seconds_total', 'uid-1')).toBe('2')
    expect(value('radvisor_cpu_usage_seconds_total', 'b')).toBe('1.5')
    expect(value('radvisor_cpu_throttled_seconds_total', 'uid-1')).toBe('2.5')
    expect(value('radvisor_io_read_bytes_total', 'uid-1')).toBe('1048576')
    expect(value('radvisor_io_read_bytes_total', 'b')).toBe('4096')
    expect(value('radvisor_memory_page_faults_total', 'b')).toBe('77')
    expect(value('radvisor_memory_usage_bytes', 'uid-1')).toBe('52428800')
    expect(value('radvisor_memory_limit_bytes', 'b')).toBe('+Inf')
    expect(value('radvisor_pids', 'b')).toBe('3')
    expect(value('radvisor_pids_limit', 'b')).toBe('+Inf')
    expect(value('radvisor_pids_limit', 'uid-1')).toBe('4096')
    expect(family('radvisor_memory_page_faults_total').metrics.map((sample) => sample.labels?.id)).toEqual(['b'])
    expect(family('radvisor_pids').metrics.find((sample) => sample.labels?.id === 'uid-1')!.labels).toEqual({
      id: 'uid-1',
      name: 'default/web',
      provider: 'kubernetes',
      namespace: 'default',
      pod: 'web',
      app_kubernetes_io_name: 'say "hi"',
    })
  })

  test('radvisor_cpu_peak_utilization is the busiest single interval since the previous scrape', async () => {
    const sink = start()
    const writer = sink.open(pod, headerOf(pod, v1))
    const row = new Row(pod, v1.columns)
    const peak = async () => (await scrape(sink)).value('radvisor_cpu_peak_utilization', 'uid-1')
    writer.write(v1Row(row, 0, 0))
    expect(await peak()).toBeUndefined()
    // 50 ms intervals using 10 ms, 45 ms (0.9 cores) and 5 ms of CPU.
    writer.write(v1Row(row, 50, 10_000_000))
    writer.write(v1Row(row, 100, 55_000_000))
    writer.write(v1Row(row, 150, 60_000_000))
    expect(Number(await peak())).toBeCloseTo(0.9, 4)
    writer.write(v1Row(row, 200, 70_000_000))
    expect(Number(await peak())).toBeCloseTo(0.2, 4)
    // No interval ended since: the latest interval's utilisation.
    expect(Number(await peak())).toBeCloseTo(0.2, 4)
    // A counter reset (the cgroup was recreated) is not an interval.
    writer.write(v1Row(row, 250, 1_000))
    writer.write(v1Row(row, 300, 25_001_000))
    expect(Number(await peak())).toBeCloseTo(0.5, 4)
  })

  test('a target’s series disappear when its writer closes', async () => {
    const sink = start()
    const writer = sink.open(pod, headerOf(pod, v1))
    writer.write(v1Row(new Row(pod, v1.columns), 0, 1))
    expect((await scrape(sink)).value('radvisor_pids', 'uid-1')).toBe('12')
    writer.close()
    expect((await scrape(sink)).value('radvisor_pids', 'uid-1')).toBeUndefined()
  })

  test('other paths are 404', async () => {
    const sink = start()
    const response = await fetch(sink.url.replace('/metrics', '/nope'))
    expect(response.status).toBe(404)
  })

  test('a busy address fails at create as a usage error naming the option', () => {
    const sink = start()
    const port = new URL(sink.url).port
    const error = (() => {
      try {
        open.push(createPrometheusSink(testPluginContext(), `127.0.0.1:${port}`))
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toBeInstanceOf(RadvisorError)
    expect(error).toMatchObject({ code: 'E_OPTION', exitCode: 2 })
    expect((error as Error).message).toContain(`127.0.0.1:${port} (--prometheus-listen)`)
  })
})
