import { describe, expect, test } from 'bun:test'
import { type CollectorInfo, type LogHeader, type PluginContext, RadvisorError, Row, type Sink, type Target } from '@radvisor/core'
import { type TestPluginContextOptions, testPluginContext } from './plugin-context.ts'

/** One sample the suite wrote, for `shows`. */
export interface ContractSample {
  readonly targetId: string
  /** Position of the sample among its target's rows (0, 1, ...). */
  readonly index: number
  /** The sample's `read` cell: 19 digits of nanoseconds. */
  readonly time: string
}

/** How the suite observes and breaks a sink; everything is optional. */
export interface SinkContractOptions {
  /**
   * What the sink has emitted, as text: for a sink that writes a log (files, stdout, packets),
   * everything so far, read after `close`; for a sink that serves its current state (a scrape),
   * that state now (set `state`). Without it the suite only checks that the calls behave.
   */
  readonly output?: () => string | Promise<string>
  /**
   * The output is the sink's current state (Prometheus' rendered text), not a log: the suite
   * then checks after every write that the target's latest sample shows, and that a target
   * disappears when its writer closes.
   */
  readonly state?: boolean
  /**
   * Whether `output` shows `sample`. The default looks for the sample's 19-digit time; sinks
   * that emit derived values (rates, aggregates) supply their own.
   */
  readonly shows?: (output: string, sample: ContractSample) => boolean
  /**
   * Makes the sink's output fail from now on (an fs whose writes throw ENOSPC, a socket that
   * refuses). With it, the suite checks that every row missing from `output` is counted in
   * `context.losses`.
   */
  readonly breakOutput?: () => void
  /** Parts of the `PluginContext` the suite passes to `factory` (an fs of your own, settings). */
  readonly context?: TestPluginContextOptions | (() => TestPluginContextOptions)
  /** Collector the test targets claim (default: a small cgroup v1 layout). */
  readonly collector?: CollectorInfo
  /** Fills `row` for sample `index` taken at `unixMs` (default: time, a CPU counter, pids, percpu, an empty limit). */
  readonly fill?: (row: Row, index: number, unixMs: number) => void
}

const BASE_MS = 1_700_000_000_000
const INTERVAL_MS = 50

const defaultCollector: CollectorInfo = {
  type: 'cgroup_v1',
  cgroup: 'contract',
  driver: 'cgroupfs',
  columns: ['read', 'cpu.usage.total', 'pids.current', 'cpu.usage.percpu', 'memory.limit.hard'],
  columnTypes: { read: { Type: 'epoch19' }, 'cpu.usage.percpu': { Type: 'int', Count: 2 } },
}

/** Half a core of CPU time per 50 ms sample, so that rate-deriving sinks see real values. */
function defaultFill(row: Row, index: number, unixMs: number): void {
  row.putTime(unixMs)
  row.putUint(index * 25_000_000)
  row.putUint(3)
  row.putAscii(`${index * 10} ${index * 15}`)
  row.putEmpty()
}

/**
 * Registers `bun:test` tests of the contract every sink keeps (see `Sink` and `TargetWriter`
 * in `@radvisor/core`). `factory` is called once per test with a fresh `PluginContext` and must
 * return a fresh sink built on it.
 *
 * The contract:
 * - The runner's order: `open` per target (returning its writer), `write` per row on that
 *   writer, `flush` at any time, the writer's `close` when the target stops, then `flush` and
 *   `close` of the sink. Rows of several targets interleave; a `Row` is reused after `write`.
 * - Nothing is lost silently: every row written either reaches the output, in order per
 *   target, or is counted in `context.losses`.
 * - `write` never throws, even for rows with empty, non-numeric or missing cells, or when the
 *   output fails; `flush` and `close` either succeed or fail with a `RadvisorError`.
 * - The sink's `close` alone writes out everything still buffered (shutdown flush).
 */
export function testSink(name: string, factory: (context: PluginContext) => Sink | Promise<Sink>, options: SinkContractOptions = {}): void {
  const collector = options.collector ?? defaultCollector
  const fill = options.fill ?? defaultFill
  const shows = options.shows ?? ((output: string, sample: ContractSample) => output.includes(sample.time))
  const { output, state = false, breakOutput } = options

  const createContext = () => testPluginContext(typeof options.context === 'function' ? options.context() : options.context)

  /** One target the suite drives, with its reused row and the samples written so far. */
  function fixture(id: string, offsetMs: number) {
    const target: Target = {
      provider: 'contract',
      id,
      name: `contract/${id}`,
      metadata: { Name: id },
      polledAt: 1_700_000_000_000_000_000n,
      cgroup: { kind: 'path', path: `contract/${id}` },
      labels: { namespace: 'contract' },
    }
    const header: LogHeader = { version: '0.0.0-contract', target, collector, initializedAt: 1_700_000_000_000_000_001n }
    const row = new Row(target, collector.columns)
    const samples: ContractSample[] = []
    const next = (): Row => {
      const index = samples.length
      const unixMs = BASE_MS + offsetMs + index * INTERVAL_MS
      row.reset()
      fill(row, index, unixMs)
      samples.push({ targetId: id, index, time: row.text(0) ?? '' })
      return row
    }
    return { target, header, row, samples, next }
  }

  async function expectShown(samples: readonly ContractSample[], shown: boolean): Promise<string> {
    const text = await output!()
    for (const sample of samples) expect({ sample, shown: shows(text, sample) }).toEqual({ sample, shown })
    return text
  }

  describe(`sink contract: ${name}`, () => {
    test('every row written reaches the output, in order per target, through open, write, flush and close', async () => {
      const context = createContext()
      const sink = await factory(context)
      const a = fixture('contract-a', 0)
      const b = fixture('contract-b', 7)
      const writerA = await sink.open(a.target, a.header)
      const writerB = await sink.open(b.target, b.header)
      /** For a state sink, the latest sample of each target shows right after its write. */
      const write = async (writer: typeof writerA, target: typeof a) => {
        writer.write(target.next())
        if (output && state) await expectShown(target.samples.slice(-1), true)
      }
      for (let i = 0; i < 2; i++) {
        await write(writerA, a)
        await write(writerB, b)
      }
      await sink.flush()
      await write(writerA, a)
      await write(writerB, b)
      await writerA.close()
      if (output && state) await expectShown(a.samples.slice(-1), false)
      await write(writerB, b)
      await writerB.close()
      await sink.flush()
      await sink.close()
      expect(context.losses.list()).toEqual([])
      if (!output || state) return
      const text = await expectShown([...a.samples, ...b.samples], true)
      if (!options.shows) {
        for (const samples of [a.samples, b.samples]) {
          const positions = samples.map((sample) => text.indexOf(sample.time))
          expect(positions).toEqual([...positions].sort((x, y) => x - y))
        }
      }
    })

    test('rows with empty, non-numeric and missing cells do not throw', async () => {
      const sink = await factory(createContext())
      const a = fixture('contract-odd', 0)
      const writer = await sink.open(a.target, a.header)
      writer.write(a.next())
      const odd = a.row
      odd.reset()
      odd.putTime(BASE_MS + 1_000)
      for (let i = 1; i < collector.columns.length; i++) {
        if (i % 2) odd.putEmpty()
        else odd.putAscii('max')
      }
      expect(() => writer.write(odd)).not.toThrow()
      odd.reset()
      odd.putTime(BASE_MS + 2_000)
      expect(() => writer.write(odd)).not.toThrow()
      writer.write(a.next())
      await writer.close()
      await sink.close()
    })

    if (breakOutput) {
      test('a failing output: write never throws, flush and close fail only with a RadvisorError, and every row missing from the output is counted as lost', async () => {
        const context = createContext()
        const sink = await factory(context)
        const a = fixture('contract-broken', 0)
        const writer = await sink.open(a.target, a.header)
        writer.write(a.next())
        await sink.flush()
        breakOutput()
        for (let i = 0; i < 50; i++) expect(() => writer.write(a.next())).not.toThrow()
        for (const step of [() => sink.flush(), () => writer.close(), () => sink.flush(), () => sink.close()]) {
          const error = await Promise.resolve()
            .then(step)
            .then(
              () => null,
              (thrown: unknown) => thrown,
            )
          if (error !== null) expect(error).toBeInstanceOf(RadvisorError)
        }
        if (!output || state) return
        const text = await output()
        const missing = a.samples.filter((sample) => !shows(text, sample)).length
        expect({ missing, counted: context.losses.total }).toEqual({ missing, counted: missing })
        expect(missing).toBeGreaterThan(0)
      })
    }

    if (output && !state) {
      test('close alone writes out every buffered row (shutdown flush)', async () => {
        const sink = await factory(createContext())
        const a = fixture('contract-shutdown', 0)
        const b = fixture('contract-shutdown-b', 3)
        const writerA = await sink.open(a.target, a.header)
        const writerB = await sink.open(b.target, b.header)
        for (let i = 0; i < 5; i++) {
          writerA.write(a.next())
          writerB.write(b.next())
        }
        await writerA.close()
        await writerB.close()
        await sink.close()
        await expectShown([...a.samples, ...b.samples], true)
      })
    }

    test('flush and close with no targets do nothing and do not throw', async () => {
      const context = createContext()
      const sink = await factory(context)
      await sink.flush()
      await sink.close()
      expect(context.losses.total).toBe(0)
    })
  })
}
