import { expect, test } from 'bun:test'
import { createCollectorFactory } from '@radvisor/cgroup'
import { type CollectorInfo, ManualClock, memoryLogger, Row, type Target } from '@radvisor/core'
import { createFakeCgroupFs, testPluginContext, testSink } from '@radvisor/testing'
import statsdDefinition, { createStatsdSink, type Transport } from '../statsd-sink.ts'

function context(flushEveryMs: number | null = null) {
  const clock = new ManualClock()
  const logger = memoryLogger()
  return { plugin: testPluginContext({ clock, logger, settings: { flushEveryMs } }), clock, logger }
}

/** A transport that keeps datagrams, and can be made to refuse them. */
function memoryTransport() {
  const datagrams: string[] = []
  let refusing = false
  const transport: Transport = {
    send(datagram) {
      if (refusing) throw new Error('ECONNREFUSED')
      datagrams.push(datagram)
    },
    close() {},
  }
  return { transport, datagrams, refuse: () => void (refusing = true) }
}

const options = { host: '127.0.0.1', port: 8125, prefix: 'radvisor' }

let current = memoryTransport()
testSink(
  'statsd example',
  () => {
    current = memoryTransport()
    return createStatsdSink(options, context().plugin, current.transport)
  },
  {
    output: () => current.datagrams.join(''),
    // The contract's rows use half a core per interval; sample n ends the n-th interval.
    shows: (output, sample) => output.split(`.${sample.targetId}.cpu:0.5000|g\n`).length - 1 >= sample.index,
    breakOutput: () => current.refuse(),
  },
)

const v2: CollectorInfo = { type: 'cgroup_v2', cgroup: 'x', driver: null, columns: ['read', 'cpu.stat/usage_usec'], columnTypes: {} }
const target: Target = { provider: 'cgroup', id: 'system.slice_x', name: 'system.slice/x', metadata: {}, polledAt: 0n, cgroup: { kind: 'path', path: 'x' } }

test('utilisation per interval from cgroup v2 microseconds, batched until --flush-every passes', () => {
  const { plugin, clock } = context(1_000)
  const { transport, datagrams } = memoryTransport()
  const sink = createStatsdSink(options, plugin, transport)
  sink.open(target, { version: '0', target, collector: v2, initializedAt: 0n })
  const row = new Row(target, v2.columns)
  const usec = [0, 10_000, 60_000, 60_000]
  usec.forEach((value, i) => {
    row.reset()
    row.putTime(1_700_000_000_000 + i * 50)
    row.putUint(value)
    sink.write(row)
  })
  expect(datagrams).toEqual([])
  clock.advance(1_000)
  row.reset()
  row.putTime(1_700_000_000_200)
  row.putUint(85_000)
  sink.write(row)
  expect(datagrams).toEqual([
    [0.2, 1, 0, 0.5].map((cores) => `radvisor.cgroup.system_slice_x.cpu:${cores.toFixed(4)}|g\n`).join(''),
  ])
})

test('sends real UDP datagrams to a StatsD listener', async () => {
  const received = Promise.withResolvers<string>()
  const listener = await Bun.udpSocket({
    hostname: '127.0.0.1',
    port: 0,
    socket: { data: (_socket, data) => received.resolve(Buffer.from(data).toString()) },
  })
  try {
    const { plugin } = context()
    const sink = await statsdDefinition.create({ host: '127.0.0.1', port: listener.port, prefix: 'ci' }, plugin)
    sink.open(target, { version: '0', target, collector: v2, initializedAt: 0n })
    const row = new Row(target, v2.columns)
    for (const [ms, usec] of [[0, 0], [50, 25_000]] as const) {
      row.reset()
      row.putTime(1_700_000_000_000 + ms)
      row.putUint(usec)
      sink.write(row)
    }
    await sink.close()
    expect(await received.promise).toBe('ci.cgroup.system_slice_x.cpu:0.5000|g\n')
  } finally {
    listener.close()
  }
})

test('forwards utilisation of rows collected from a fake cgroup v1 tree', () => {
  const id = 'a84bba07931db925306a0799dc6ebd718b8c764d1c0acb3dea13519a60a077bb'
  const cgroups = createFakeCgroupFs('v1-cgroupfs-docker')
  const { plugin, clock, logger } = context()
  const docker: Target = { provider: 'docker', id, name: '/web', metadata: {}, polledAt: 0n, cgroup: { kind: 'docker', id } }
  const collector = createCollectorFactory({ root: cgroups.root, fs: cgroups.fs, logger, clock }).open(docker)!
  const { transport, datagrams } = memoryTransport()
  const sink = createStatsdSink(options, plugin, transport)
  sink.open(docker, { version: '0', target: docker, collector: collector.info, initializedAt: 0n })
  const row = new Row(docker, collector.info.columns)
  // cpuacct.usage grows by 40 ms of CPU per 50 ms tick: 0.8 cores.
  for (let tick = 0; tick < 3; tick++) {
    cgroups.write(`cpuacct/docker/${id}/cpuacct.usage`, `${1_000_000_000 + tick * 40_000_000}\n`)
    row.reset()
    expect(collector.collect(row)).toBe(true)
    sink.write(row)
    clock.advance(50)
  }
  sink.flush()
  expect(datagrams.join('')).toBe(`radvisor.docker.${id}.cpu:0.8000|g\n`.repeat(2))
})
