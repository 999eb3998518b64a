import { afterEach, describe, expect, test } from 'bun:test'
import { type CollectorInfo, type LogHeader, type PluginContext, RadvisorError, Row, resolveOptions, type Target } from '@radvisor/core'
import { testPluginContext, testSink } from '@radvisor/testing'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { prometheusSink } from '../src/index.ts'
import { createPrometheusSink, type PrometheusSink, type PrometheusSinkOptions } from '../src/prometheus-sink.ts'

const open: PrometheusSink[] = []
function start(options: Partial<PrometheusSinkOptions> = {}, plugin: PluginContext = testPluginContext()): PrometheusSink {
  const sink = createPrometheusSink(plugin, { listen: '127.0.0.1:0', ...options })
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
    contract = start({}, plugin)
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
  columns: [
    'read',
    'pids.current',
    'pids.max',
    'cpu.usage.total',
    'cpu.throttling.throttled.time',
    'memory.usage.current',
    'memory.limit.hard',
    'memory.file.inactive',
    'blkio.throttle.service.bytes.read',
    'blkio.service.bytes.read',
    'cpu.pressure/some_total',
    'memory.oom_control/oom_kill',
    'memory.oom_control/under_oom',
    'network.rx_bytes',
    'network.tx_dropped',
  ],
  columnTypes: {},
}
const v2: CollectorInfo = {
  type: 'cgroup_v2',
  cgroup: 'system.slice/docker-b.scope',
  driver: 'systemd',
  columns: [
    'read',
    'pids.current',
    'pids.max',
    'cpu.stat/usage_usec',
    'memory.current',
    'memory.max',
    'memory.stat/inactive_file',
    'io.stat/rbytes',
    'memory.stat/pgfault',
    'io.pressure/full_total',
    'memory.events/high',
    'memory.events/oom_kill',
    'network.tx_bytes',
  ],
  columnTypes: {},
}
const pod: Target = {
  provider: 'kubernetes',
  id: 'uid-1',
  name: 'default/web',
  metadata: { Labels: { app: 'web', 'app.kubernetes.io/name': 'say "hi"\nback\\slash', team: 7 } },
  polledAt: 0n,
  cgroup: { kind: 'pod', uid: 'uid-1', qos: 'burstable' },
  labels: { namespace: 'default', pod: 'web' },
}
const container: Target = {
  provider: 'docker',
  id: 'b',
  name: 'b',
  metadata: { Labels: { app: 'cache' } },
  polledAt: 0n,
  cgroup: { kind: 'docker', id: 'b' },
  labels: { container: 'b', image: 'busybox' },
}
const headerOf = (target: Target, collector: CollectorInfo): LogHeader => ({ version: '0.1.0', target, collector, initializedAt: 0n })

/** Writes a v1 row at `ms` after 1.7e12 with `cpuNs` of CPU time used so far. */
function v1Row(row: Row, ms: number, cpuNs: number, limit = '9223372036854771712'): Row {
  row.reset()
  row.putTime(1_700_000_000_000 + ms)
  row.putUint(12)
  row.putUint(4096)
  row.putUint(cpuNs)
  row.putUint(2_500_000_000)
  row.putUint(52_428_800)
  row.putAscii(limit)
  row.putUint(2_428_800)
  row.putUint(1_048_576)
  row.putEmpty()
  row.putUint(41_830_211)
  row.putUint(3)
  row.putUint(1)
  row.putUint(4_786_122)
  row.putUint(2)
  return row
}

async function scrape(sink: PrometheusSink) {
  const response = await fetch(sink.url)
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  const text = await response.text()
  const families = parsePrometheusTextFormat(text)
  const family = (name: string) => families.find((f) => f.name === name)
  const sample = (name: string, id: string) => family(name)?.metrics.find((s) => (s as { labels?: Record<string, string> }).labels?.id === id)
  const value = (name: string, id: string) => (sample(name, id) as { value?: string } | undefined)?.value
  return { text, families, family, sample, value }
}

describe('/metrics', () => {
  test('serves counters and gauges of v1 and v2 targets in base units: CPU, I/O, memory, pressure, OOM, network', async () => {
    const sink = start()
    sink.open(pod, headerOf(pod, v1)).write(v1Row(new Row(pod, v1.columns), 0, 2_000_000_000))
    const row = new Row(container, v2.columns)
    row.putTime(1_700_000_000_000)
    for (const cell of ['3', 'max', '1500000', '1048576', 'max', '2097152', '4096', '77', '380417', '14', '2', '73344']) row.putAscii(cell)
    sink.open(container, headerOf(container, v2)).write(row)

    const { family, value } = await scrape(sink)
    expect(family('radvisor_cpu_usage_seconds_total')!.type).toBe('COUNTER')
    expect(family('radvisor_memory_usage_bytes')!.type).toBe('GAUGE')
    expect(value('radvisor_cpu_usage_seconds_total', 'uid-1')).toBe('2')
    expect(value('radvisor_cpu_usage_seconds_total', 'b')).toBe('1.5')
    expect(value('radvisor_cpu_throttled_seconds_total', 'uid-1')).toBe('2.5')
    expect(value('radvisor_io_read_bytes_total', 'uid-1')).toBe('1048576')
    expect(value('radvisor_io_read_bytes_total', 'b')).toBe('4096')
    expect(value('radvisor_memory_page_faults_total', 'b')).toBe('77')
    expect(value('radvisor_memory_usage_bytes', 'uid-1')).toBe('52428800')
    // Pressure totals are µs in the columns, seconds here.
    expect(Number(value('radvisor_cpu_pressure_some_seconds_total', 'uid-1'))).toBeCloseTo(41.830211, 9)
    expect(Number(value('radvisor_io_pressure_full_seconds_total', 'b'))).toBeCloseTo(0.380417, 9)
    expect(family('radvisor_cpu_pressure_some_seconds_total')!.type).toBe('COUNTER')
    // OOM: v1's memory.oom_control, v2's memory.events, under one name.
    expect(value('radvisor_memory_oom_kills_total', 'uid-1')).toBe('3')
    expect(value('radvisor_memory_oom_kills_total', 'b')).toBe('2')
    expect(value('radvisor_memory_under_oom', 'uid-1')).toBe('1')
    expect(value('radvisor_memory_high_events_total', 'b')).toBe('14')
    expect(value('radvisor_network_receive_bytes_total', 'uid-1')).toBe('4786122')
    expect(value('radvisor_network_transmit_packets_dropped_total', 'uid-1')).toBe('2')
    expect(value('radvisor_network_transmit_bytes_total', 'b')).toBe('73344')
    expect(value('radvisor_tasks', 'b')).toBe('3')
    expect(value('radvisor_tasks_limit', 'b')).toBe('+Inf')
    expect(value('radvisor_tasks_limit', 'uid-1')).toBe('4096')
    // Families a collector has no column for have no sample for its targets.
    expect(family('radvisor_memory_page_faults_total')!.metrics.map((sample) => (sample as { labels: Record<string, string> }).labels.id)).toEqual(['b'])
    expect(family('radvisor_memory_under_oom')!.metrics).toHaveLength(1)
    // The old names are gone.
    expect(family('radvisor_pids')).toBeUndefined()
    expect(family('radvisor_cpu_peak_utilization')).toBeUndefined()
  })

  test('working set is usage less inactive page cache, floored at 0; unlimited memory is +Inf on v1 and v2 alike', async () => {
    const sink = start()
    const writer = sink.open(pod, headerOf(pod, v1))
    const row = new Row(pod, v1.columns)
    writer.write(v1Row(row, 0, 1))
    const v2Row = new Row(container, v2.columns)
    v2Row.putTime(1_700_000_000_000)
    for (const cell of ['3', 'max', '1', '1048576', 'max', '2097152', '0', '0', '0', '0', '0', '0']) v2Row.putAscii(cell)
    sink.open(container, headerOf(container, v2)).write(v2Row)
    let result = await scrape(sink)
    expect(result.value('radvisor_memory_working_set_bytes', 'uid-1')).toBe(String(52_428_800 - 2_428_800))
    expect(result.value('radvisor_memory_working_set_bytes', 'b')).toBe('0')
    expect(result.value('radvisor_memory_limit_bytes', 'uid-1')).toBe('+Inf')
    expect(result.value('radvisor_memory_limit_bytes', 'b')).toBe('+Inf')
    // 64 KiB pages round LONG_MAX lower; a real limit stays a number.
    writer.write(v1Row(row, 50, 1, '9223372036854710272'))
    expect((await scrape(sink)).value('radvisor_memory_limit_bytes', 'uid-1')).toBe('+Inf')
    writer.write(v1Row(row, 100, 1, '67108864'))
    result = await scrape(sink)
    expect(result.value('radvisor_memory_limit_bytes', 'uid-1')).toBe('67108864')
  })

  test('labels: id; name only where it is not the id; provider labels that repeat neither; allowlisted container labels as label_<key>, escaped', async () => {
    const sink = start({ labels: 'app,app.kubernetes.io/name,team,missing' })
    sink.open(pod, headerOf(pod, v1)).write(v1Row(new Row(pod, v1.columns), 0, 1))
    const row = new Row(container, v2.columns)
    row.putTime(1_700_000_000_000)
    for (const cell of ['3', 'max', '1', '1', 'max', '0', '0', '0', '0', '0', '0', '0']) row.putAscii(cell)
    sink.open(container, headerOf(container, v2)).write(row)
    const cgroupTarget: Target = {
      provider: 'cgroup',
      id: 'system.slice+sshd.service',
      name: 'system.slice/sshd.service',
      metadata: {},
      polledAt: 0n,
      cgroup: { kind: 'path', path: 'system.slice/sshd.service' },
      labels: { cgroup: 'system.slice/sshd.service' },
    }
    sink.open(cgroupTarget, headerOf(cgroupTarget, v2)).write(row)
    const { sample, text } = await scrape(sink)
    const labelsOf = (id: string) => (sample('radvisor_tasks', id) as { labels: Record<string, string> }).labels
    expect(labelsOf('uid-1')).toEqual({
      id: 'uid-1',
      name: 'default/web',
      provider: 'kubernetes',
      namespace: 'default',
      pod: 'web',
      label_app: 'web',
      label_app_kubernetes_io_name: 'say "hi"\nback\\slash',
    })
    expect(text).toContain('label_app_kubernetes_io_name="say \\"hi\\"\\nback\\\\slash"')
    // Docker: the name is the id's short form elsewhere; here `container` repeats the name and goes.
    expect(labelsOf('b')).toEqual({ id: 'b', provider: 'docker', image: 'busybox', label_app: 'cache' })
    expect(labelsOf('system.slice+sshd.service')).toEqual({ id: 'system.slice+sshd.service', name: 'system.slice/sshd.service', provider: 'cgroup' })
  })

  test('--prometheus-labels: empty entries and keys that become the same label are usage errors', () => {
    const check = prometheusSink.options.labels.check!
    expect(() => check('app,,team' as never)).toThrow(/invalid value 'app,,team' for --prometheus-labels/)
    expect(() => check('app.name,app_name' as never)).toThrow("'app.name' and 'app_name' would both be the Prometheus label label_app_name")
    expect(() => check('app,app' as never)).not.toThrow()
    expect(() => start({ labels: 'a/b,a.b' })).toThrow(RadvisorError)
  })

  test('radvisor_cpu_peak_cores: the busiest single interval in the last 15 s, the same for every scrape, on a sliding window', async () => {
    const plugin = testPluginContext()
    const sink = start({}, plugin)
    const writer = sink.open(pod, headerOf(pod, v1))
    const row = new Row(pod, v1.columns)
    const peak = async () => (await scrape(sink)).value('radvisor_cpu_peak_cores', 'uid-1')
    const at = (ms: number, cpuNs: number) => {
      plugin.clock.advance(1_700_000_000_000 + ms - plugin.clock.now())
      writer.write(v1Row(row, ms, cpuNs))
    }
    at(0, 0)
    expect(await peak()).toBeUndefined()
    // 50 ms intervals using 10 ms, 45 ms (0.9 cores) and 5 ms of CPU.
    at(50, 10_000_000)
    at(100, 55_000_000)
    at(150, 60_000_000)
    // Every scraper sees it: reading takes nothing away.
    for (let i = 0; i < 3; i++) expect(Number(await peak())).toBeCloseTo(0.9, 4)
    // Later intervals at 0.2 cores: the 0.9 stays until it leaves the window, 15-16 s on.
    let cpu = 60_000_000
    for (let ms = 200; ms <= 15_000; ms += 50) at(ms, (cpu += 10_000_000))
    expect(Number(await peak())).toBeCloseTo(0.9, 4)
    for (let ms = 15_050; ms <= 17_000; ms += 50) at(ms, (cpu += 10_000_000))
    expect(Number(await peak())).toBeCloseTo(0.2, 4)
    // A counter reset (the cgroup was recreated) is not an interval.
    at(17_050, 1_000)
    at(17_100, 26_001_000)
    expect(Number(await peak())).toBeCloseTo(0.52, 4)
    // Nothing in the window (a target that stopped being sampled): no sample.
    plugin.clock.advance(60_000)
    expect(await peak()).toBeUndefined()
    expect((await scrape(sink)).family('radvisor_cpu_peak_cores')!.help).toBe(
      'Highest CPU use in cores over any single sampling interval that ended in the last 15s (the same for every scraper).',
    )
  })

  test('--prometheus-peak-window sets the window; shorter than the interval or longer than 1h is a usage error', async () => {
    const plugin = testPluginContext()
    const sink = start({ peakWindowMs: 2_000 }, plugin)
    const writer = sink.open(pod, headerOf(pod, v1))
    const row = new Row(pod, v1.columns)
    writer.write(v1Row(row, 0, 0))
    writer.write(v1Row(row, 50, 40_000_000))
    plugin.clock.advance(1_900)
    expect(Number((await scrape(sink)).value('radvisor_cpu_peak_cores', 'uid-1'))).toBeCloseTo(0.8, 4)
    plugin.clock.advance(400)
    expect((await scrape(sink)).value('radvisor_cpu_peak_cores', 'uid-1')).toBeUndefined()
    const error = (() => {
      try {
        start({ peakWindowMs: 20 })
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toMatchObject({ code: 'E_OPTION', exitCode: 2, message: "invalid value '20ms' for --prometheus-peak-window: shorter than the interval (50ms), it would hold no interval" })
    const resolve = (window: string) => resolveOptions('sink-prometheus', prometheusSink.options, { 'peak-window': window }, (key) => `--prometheus-${key}`)
    expect(resolve('1h')['peak-window']).toBe(3_600_000)
    expect(() => resolve('1h1ms')).toThrow("invalid value '1h1ms' for --prometheus-peak-window: at most 1h")
  })

  test('radvisor’s own health: build, targets, ticks, lateness summary, rows dropped, sink errors', async () => {
    const plugin = testPluginContext({
      tickStats: () => ({ intervalMs: 50, ticks: 1200, missed: 3, lateness: { p50: 0.25, p99: 1.5, max: 7, sum: 420 } }),
      settings: { version: '1.2.3' },
    })
    plugin.losses.record('csvy', 'web', 5, 'disk full')
    plugin.losses.recordSinkError()
    plugin.losses.recordSinkError()
    const sink = start({}, plugin)
    sink.open(pod, headerOf(pod, v1)).write(v1Row(new Row(pod, v1.columns), 0, 1))
    const { family, text } = await scrape(sink)
    const only = (name: string) => family(name)!.metrics[0] as { value: string; labels?: Record<string, string> }
    expect(only('radvisor_build_info')).toEqual({ value: '1', labels: { version: '1.2.3' } })
    expect(only('radvisor_targets').value).toBe('1')
    expect(only('radvisor_ticks_total').value).toBe('1200')
    expect(family('radvisor_ticks_missed_total')!.type).toBe('COUNTER')
    expect(only('radvisor_ticks_missed_total').value).toBe('3')
    expect(family('radvisor_tick_lateness_seconds')!.type).toBe('SUMMARY')
    expect(text).toContain('radvisor_tick_lateness_seconds{quantile="0.5"} 0.00025\n')
    expect(text).toContain('radvisor_tick_lateness_seconds{quantile="0.99"} 0.0015\n')
    expect(text).toContain('radvisor_tick_lateness_seconds_sum 0.42\nradvisor_tick_lateness_seconds_count 1200\n')
    expect(only('radvisor_tick_lateness_max_seconds').value).toBe('0.007')
    expect(only('radvisor_rows_dropped_total').value).toBe('5')
    expect(only('radvisor_sink_errors_total').value).toBe('2')
  })

  test('a target’s series disappear when its writer closes', async () => {
    const sink = start()
    const writer = sink.open(pod, headerOf(pod, v1))
    writer.write(v1Row(new Row(pod, v1.columns), 0, 1))
    expect((await scrape(sink)).value('radvisor_tasks', 'uid-1')).toBe('12')
    writer.close()
    const after = await scrape(sink)
    expect(after.value('radvisor_tasks', 'uid-1')).toBeUndefined()
    expect((after.family('radvisor_targets')!.metrics[0] as { value: string }).value).toBe('0')
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
        start({ listen: `127.0.0.1:${port}` })
      } catch (thrown) {
        return thrown
      }
    })()
    expect(error).toBeInstanceOf(RadvisorError)
    expect(error).toMatchObject({ code: 'E_OPTION', exitCode: 2 })
    expect((error as Error).message).toContain(`127.0.0.1:${port} (--prometheus-listen)`)
  })
})
