import { describe, expect, test } from 'bun:test'
import { type CollectorInfo, type LogHeader, RadvisorError, Row, type Sink, type Target } from '@radvisor/core'

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
   * Everything the sink emitted so far, as text (the files it wrote, captured stdout,
   * received packets). Read after `close`. Without it the suite only checks that the
   * calls behave, not what reached the output.
   */
  readonly output?: () => string | Promise<string>
  /**
   * Whether `output` shows `sample`. The default looks for the sample's 19-digit time;
   * sinks that emit derived values (rates, aggregates) supply their own.
   */
  readonly shows?: (output: string, sample: ContractSample) => boolean
  /**
   * Makes the sink's output fail from now on (an fs whose writes throw ENOSPC, a socket
   * that refuses). Without it (a sink with nothing to break) the failing-output test is not registered.
   */
  readonly breakOutput?: () => void
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
 * Registers `bun:test` tests of the contract every sink must keep (see `Sink` in
 * `@radvisor/core`). `factory` is called once per test and must return a fresh sink.
 *
 * The contract:
 * - `open`, `write`, `flush`, `closeTarget` and `close` are called in the runner's order
 *   (open per target, writes, closeTarget per target, flush, close); rows of several targets
 *   interleave, and the `Row` object is reused after `write` returns (sinks copy).
 * - A `write` for a target that is not open (never opened, after `closeTarget`, or after
 *   `close`) is ignored: it does not throw and does not reach the output.
 * - `write` never throws, even for rows with empty, non-numeric or missing cells, or when
 *   the output fails; `flush`, `closeTarget` and `close` either succeed or fail with a
 *   `RadvisorError`.
 * - `close` alone writes out everything still buffered (shutdown flush).
 */
export function testSink(name: string, factory: () => Sink | Promise<Sink>, options: SinkContractOptions = {}): void {
  const collector = options.collector ?? defaultCollector
  const fill = options.fill ?? defaultFill
  const shows = options.shows ?? ((output: string, sample: ContractSample) => output.includes(sample.time))

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

  async function outputShowing(samples: readonly ContractSample[]): Promise<string> {
    const output = await options.output!()
    for (const sample of samples) {
      expect({ sample, shown: shows(output, sample) }).toEqual({ sample, shown: true })
    }
    return output
  }

  describe(`sink contract: ${name}`, () => {
    test('open, write, flush, closeTarget and close in the runner order keep every row', async () => {
      const sink = await factory()
      const a = fixture('contract-a', 0)
      const b = fixture('contract-b', 7)
      await sink.open(a.target, a.header)
      await sink.open(b.target, b.header)
      for (let i = 0; i < 2; i++) {
        sink.write(a.next())
        sink.write(b.next())
      }
      await sink.flush()
      sink.write(a.next())
      sink.write(b.next())
      await sink.closeTarget(a.target)
      sink.write(b.next())
      await sink.closeTarget(b.target)
      await sink.flush()
      await sink.close()
      if (!options.output) return
      const output = await outputShowing([...a.samples, ...b.samples])
      if (!options.shows) {
        // Within one target, rows keep their order.
        for (const samples of [a.samples, b.samples]) {
          const positions = samples.map((sample) => output.indexOf(sample.time))
          expect(positions).toEqual([...positions].sort((x, y) => x - y))
        }
      }
    })

    test('a write after closeTarget or after close is ignored and does not throw', async () => {
      const sink = await factory()
      const a = fixture('contract-late', 0)
      await sink.open(a.target, a.header)
      sink.write(a.next())
      sink.write(a.next())
      await sink.closeTarget(a.target)
      const kept = [...a.samples]
      expect(() => sink.write(a.next())).not.toThrow()
      await sink.flush()
      await sink.close()
      expect(() => sink.write(a.next())).not.toThrow()
      if (!options.output) return
      const output = await outputShowing(kept)
      for (const late of a.samples.slice(kept.length)) expect({ late, shown: shows(output, late) }).toEqual({ late, shown: false })
    })

    test('rows with empty, non-numeric and missing cells do not throw', async () => {
      const sink = await factory()
      const a = fixture('contract-odd', 0)
      await sink.open(a.target, a.header)
      sink.write(a.next())
      const odd = a.row
      odd.reset()
      odd.putTime(BASE_MS + 1_000)
      for (let i = 1; i < collector.columns.length; i++) {
        if (i % 2) odd.putEmpty()
        else odd.putAscii('max')
      }
      expect(() => sink.write(odd)).not.toThrow()
      odd.reset()
      odd.putTime(BASE_MS + 2_000)
      expect(() => sink.write(odd)).not.toThrow()
      sink.write(a.next())
      await sink.closeTarget(a.target)
      await sink.close()
    })

    // A sink without a breakable or readable output (Prometheus serves scrapes) has no
    // failing-output or shutdown-flush case: those tests are not registered for it.
    const breakOutput = options.breakOutput
    if (breakOutput) test(
      'a failing output: write never throws; flush, closeTarget and close fail only with a RadvisorError',
      async () => {
        const sink = await factory()
        const a = fixture('contract-broken', 0)
        await sink.open(a.target, a.header)
        sink.write(a.next())
        breakOutput()
        for (let i = 0; i < 50; i++) expect(() => sink.write(a.next())).not.toThrow()
        for (const step of [() => sink.flush(), () => sink.closeTarget(a.target), () => sink.close()]) {
          const error = await Promise.resolve()
            .then(step)
            .then(() => null, (thrown: unknown) => thrown)
          if (error !== null) expect(error).toBeInstanceOf(RadvisorError)
        }
      },
    )

    if (options.output) test('close alone writes out every buffered row (shutdown flush)', async () => {
      const sink = await factory()
      const a = fixture('contract-shutdown', 0)
      const b = fixture('contract-shutdown-b', 3)
      await sink.open(a.target, a.header)
      await sink.open(b.target, b.header)
      for (let i = 0; i < 5; i++) {
        sink.write(a.next())
        sink.write(b.next())
      }
      await sink.close()
      await outputShowing([...a.samples, ...b.samples])
    })

    test('closeTarget of a target never opened, and flush and close with no targets, do nothing', async () => {
      const sink = await factory()
      const stranger = fixture('contract-stranger', 0)
      await sink.closeTarget(stranger.target)
      for (let i = 0; i < 3; i++) expect(() => sink.write(stranger.next())).not.toThrow()
      await sink.flush()
      await sink.close()
      if (options.output) {
        const output = await options.output()
        // The last sample: sinks of rates show nothing for a first sample anyway.
        expect(shows(output, stranger.samples.at(-1)!)).toBe(false)
      }
    })
  })
}
