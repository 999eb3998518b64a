import { describe, expect, test } from 'bun:test'
import {
  type Collector,
  type CollectorFactory,
  type LogHeader,
  ManualClock,
  memoryLogger,
  type Provider,
  type Row,
  Runner,
  type RunnerOptions,
  type Sink,
  type Target,
} from '../src/index.ts'

const target = (id: string): Target => ({
  provider: 'test',
  id,
  name: `name-${id}`,
  metadata: {},
  polledAt: 0n,
  cgroup: { kind: 'path', path: id },
})

class FakeProvider implements Provider {
  readonly name = 'test'
  targets: Target[] = []
  failNext = false
  polls = 0
  notify: (() => void) | null = null
  closed = false
  async init() {}
  async poll() {
    this.polls++
    if (this.failNext) {
      this.failNext = false
      throw new Error('api down')
    }
    return this.targets
  }
  watch(onChange: () => void) {
    this.notify = onChange
  }
  async close() {
    this.closed = true
  }
}

class CountingCollector implements Collector {
  readonly info = { type: 'test', cgroup: 'x', driver: null, columns: ['read', 'count'], columnTypes: {} }
  error: Error | null = null
  count = 0
  closed = false
  constructor(
    private readonly clock: ManualClock,
    public failAt = Number.POSITIVE_INFINITY,
  ) {}
  collect(row: Row): boolean {
    if (this.error) return false
    if (++this.count >= this.failAt) {
      this.error = new Error('cgroup removed')
      return false
    }
    row.putTime(this.clock.now())
    row.putUint(this.count)
    return true
  }
  close() {
    this.closed = true
  }
}

class Collectors implements CollectorFactory {
  readonly opened = new Map<string, CountingCollector>()
  missing = new Set<string>()
  failAt = new Map<string, number>()
  constructor(private readonly clock: ManualClock) {}
  open(t: Target) {
    if (this.missing.has(t.id)) return null
    const collector = new CountingCollector(this.clock, this.failAt.get(t.id))
    this.opened.set(t.id, collector)
    return collector
  }
  describe(t: Target) {
    return `/fake/${t.id}`
  }
}

class RecordingSink implements Sink {
  readonly events: string[] = []
  rows = new Map<string, string[]>()
  throwOnWrite = false
  throwOnOpen = false
  constructor(readonly name: string) {}
  open(t: Target, header: LogHeader) {
    if (this.throwOnOpen) throw new Error('no space for a new log')
    this.events.push(`open ${t.id} ${header.collector.columns.join('|')}`)
    this.rows.set(t.id, [])
  }
  write(row: Row) {
    if (this.throwOnWrite) throw new Error('disk on fire')
    this.rows.get(row.target.id)!.push(row.toString())
  }
  closeTarget(t: Target) {
    this.events.push(`close ${t.id}`)
  }
  flush() {
    this.events.push('flush')
  }
  close() {
    this.events.push('close')
  }
}

function setup(extra: Partial<RunnerOptions> = {}) {
  const clock = new ManualClock()
  const provider = new FakeProvider()
  const collectors = new Collectors(clock)
  const sinks = [new RecordingSink('a'), new RecordingSink('b')]
  const logger = memoryLogger()
  const runner = new Runner({
    provider,
    collectors,
    sinks,
    logger,
    version: '9.9.9',
    intervalMs: 50,
    pollMs: 1000,
    clock,
    timer: clock,
    ...extra,
  })
  return { clock, provider, collectors, sinks, logger, runner }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('Runner', () => {
  test('starts targets from the first poll and writes a row per tick to every sink', async () => {
    const { clock, provider, sinks, runner } = setup()
    provider.targets = [target('a'), target('b')]
    await runner.start()
    clock.advance(100) // ticks at 0, 50, 100
    for (const sink of sinks) {
      expect(sink.events).toEqual(['open a read|count', 'open b read|count'])
      expect(sink.rows.get('a')).toHaveLength(3)
      expect(sink.rows.get('a')![2]).toMatch(/^\d{19},3$/)
    }
    expect(runner.targets).toEqual(['a', 'b'])
  })

  test('a target gone from the poll gets a final sample and is closed in every sink', async () => {
    const { clock, provider, collectors, sinks, runner } = setup()
    provider.targets = [target('a'), target('b')]
    await runner.start()
    clock.advance(50)
    provider.targets = [target('b')]
    await runner.poll()
    expect(sinks[0]!.rows.get('a')).toHaveLength(3) // ticks 0, 50 + final sample
    expect(sinks[0]!.events).toContain('close a')
    expect(collectors.opened.get('a')!.closed).toBe(true)
    expect(runner.targets).toEqual(['b'])
  })

  test('a failing collector is reported once, stops writing, and is reopened at the next poll', async () => {
    const { clock, provider, collectors, sinks, logger, runner } = setup()
    provider.targets = [target('a'), target('b')]
    collectors.failAt.set('a', 2)
    await runner.start()
    clock.advance(200)
    expect(sinks[0]!.rows.get('a')).toHaveLength(1)
    expect(sinks[0]!.rows.get('b')).toHaveLength(5)
    expect(logger.lines.filter((l) => l.includes('cgroup removed'))).toHaveLength(1)
    collectors.failAt.delete('a')
    await runner.poll()
    expect(sinks[0]!.events.filter((e) => e === 'open a read|count')).toHaveLength(2)
    expect(sinks[0]!.events).toContain('close a')
  })

  test('a throwing sink is reported once and does not stop the other sinks', async () => {
    const { clock, provider, sinks, logger, runner } = setup()
    provider.targets = [target('a')]
    sinks[0]!.throwOnWrite = true
    await runner.start()
    clock.advance(200)
    expect(sinks[1]!.rows.get('a')).toHaveLength(5)
    expect(logger.lines.filter((l) => l.includes('disk on fire'))).toHaveLength(1)
  })

  test('a target whose cgroup is gone by its final sample is closed without a warning', async () => {
    const { clock, provider, collectors, sinks, logger, runner } = setup()
    provider.targets = [target('a')]
    collectors.failAt.set('a', 3)
    await runner.start()
    clock.advance(50) // two rows; the third collect (the final sample) finds the cgroup gone
    provider.targets = []
    await runner.poll()
    expect(sinks[0]!.rows.get('a')).toHaveLength(2)
    expect(sinks[0]!.events).toContain('close a')
    expect(logger.lines.filter((l) => l.includes('cgroup removed'))).toEqual([])
  })

  test('a sink that cannot open a target is reported with its name and left out for that target only', async () => {
    const { clock, provider, sinks, logger, runner } = setup()
    provider.targets = [target('a')]
    sinks[0]!.throwOnOpen = true
    await runner.start()
    clock.advance(100)
    expect(sinks[0]!.rows.size).toBe(0)
    expect(sinks[1]!.rows.get('a')).toHaveLength(3)
    expect(logger.lines.filter((l) => l.includes('a failed to open name-a: no space for a new log'))).toHaveLength(1)
    await runner.stop()
    expect(sinks[0]!.events).toEqual(['flush', 'close'])
  })

  test('a target whose cgroup is missing is warned about once and retried on each poll', async () => {
    const { provider, collectors, sinks, logger, runner } = setup()
    provider.targets = [target('a')]
    collectors.missing.add('a')
    await runner.start()
    await runner.poll()
    await runner.poll()
    expect(logger.lines.filter((l) => l.includes('/fake/a'))).toHaveLength(1)
    expect(sinks[0]!.events).toEqual([])
    collectors.missing.delete('a')
    await runner.poll()
    expect(sinks[0]!.events).toEqual(['open a read|count'])
  })

  test('a failed poll keeps the current targets', async () => {
    const { provider, sinks, logger, runner } = setup()
    provider.targets = [target('a')]
    await runner.start()
    provider.failNext = true
    await runner.poll()
    expect(runner.targets).toEqual(['a'])
    expect(sinks[0]!.events).not.toContain('close a')
    expect(logger.lines.some((l) => l.includes('polling test failed: api down'))).toBe(true)
  })

  test('polls on the interval and when the watch reports a change', async () => {
    const { clock, provider, runner } = setup()
    await runner.start()
    expect(provider.polls).toBe(1)
    clock.advance(1000)
    await settle()
    expect(provider.polls).toBe(2)
    provider.targets = [target('new')]
    provider.notify!()
    await settle()
    expect(provider.polls).toBe(3)
    expect(runner.targets).toEqual(['new'])
  })

  test('stop takes a final sample, closes targets, flushes and closes sinks and the provider', async () => {
    const { clock, provider, sinks, runner } = setup()
    provider.targets = [target('a')]
    await runner.start()
    clock.advance(50)
    const summary = await runner.stop()
    expect(sinks[0]!.events).toEqual(['open a read|count', 'close a', 'flush', 'close'])
    expect(sinks[0]!.rows.get('a')).toHaveLength(3)
    expect(provider.closed).toBe(true)
    expect(summary.rows).toBe(3)
    expect(summary.stats.ticks).toBe(2)
    clock.advance(1000)
    expect(sinks[0]!.rows.get('a')).toHaveLength(3)
  })

  test('onTick is told the number of ticks run after each tick, with that tick\'s rows written', async () => {
    const seen: [number, number][] = []
    const { clock, provider, sinks, runner } = setup({ onTick: (ticks) => seen.push([ticks, sinks[0]!.rows.get('a')!.length]) })
    provider.targets = [target('a')]
    await runner.start()
    clock.advance(100)
    expect(seen).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ])
  })
})
