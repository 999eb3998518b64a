import { type Clock, systemClock, systemTimer, type Timer, unixNanos } from './clock.ts'
import { describeError } from './errors.ts'
import type { Logger } from './logger.ts'
import type { Collector, CollectorFactory, Provider, Sink } from './plugins.ts'
import { TargetPool } from './pool.ts'
import { Row } from './row.ts'
import { Scheduler, type TickStats } from './scheduler.ts'
import type { Target } from './types.ts'

export interface RunnerOptions {
  provider: Provider
  collectors: CollectorFactory
  sinks: readonly Sink[]
  logger: Logger
  /** radvisor's version, for log headers. */
  version: string
  intervalMs: number
  pollMs: number
  clock?: Clock
  timer?: Timer
  /** Called after every tick with the number of ticks run so far (the CLI's `--ticks` stops on it). */
  onTick?: (ticks: number) => void
}

/** One target being collected. */
interface Active {
  readonly target: Target
  readonly collector: Collector
  readonly row: Row
  /** The sinks whose `open` succeeded for this target. */
  readonly sinks: Sink[]
  failed: boolean
}

/** What a run did, reported at shutdown. */
export interface RunSummary {
  readonly stats: TickStats
  readonly targets: number
  readonly rows: number
}

/**
 * Wires a provider, the target pool, collectors and sinks (DESIGN §3). Polls the provider
 * every `pollMs` (and at once when its watch reports a change), starts and stops targets
 * from the pool's diff, and on every scheduler tick collects one row per target and hands
 * it to each sink. Nothing that one target or sink does stops the others; each distinct
 * error is reported once.
 */
export class Runner {
  private readonly pool = new TargetPool()
  private readonly active = new Map<string, Active>()
  /** Array copy of `active`, rebuilt on change, so the tick iterates without allocating. */
  private activeList: Active[] = []
  private readonly scheduler: Scheduler
  private readonly clock: Clock
  private readonly timer: Timer
  private pollTimer: unknown = null
  private polling: Promise<void> | null = null
  private pollAgain = false
  private stopped = false
  private targetsSeen = 0
  private rows = 0
  private ticks = 0

  constructor(private readonly options: RunnerOptions) {
    this.clock = options.clock ?? systemClock
    this.timer = options.timer ?? systemTimer
    this.scheduler = new Scheduler({
      intervalMs: options.intervalMs,
      clock: this.clock,
      timer: this.timer,
      onTick: () => this.tick(),
      onError: (error) => this.report('tick', error),
    })
  }

  get tickStats(): TickStats {
    return this.scheduler.stats
  }

  /** Ids of the targets being collected now. */
  get targets(): string[] {
    return [...this.active.keys()]
  }

  /** Runs the first poll, then starts ticking, periodic polls and the provider's watch. */
  async start(): Promise<void> {
    await this.poll()
    this.scheduler.start()
    this.options.provider.watch?.(() => void this.poll())
    this.schedulePoll()
  }

  /**
   * Polls the provider now and applies the difference. Concurrent calls coalesce: a call
   * during a poll makes one more poll run after it.
   */
  poll(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.polling) {
      this.pollAgain = true
      return this.polling
    }
    this.polling = (async () => {
      do {
        this.pollAgain = false
        await this.pollOnce()
      } while (this.pollAgain && !this.stopped)
    })().finally(() => {
      this.polling = null
    })
    return this.polling
  }

  /**
   * Stops ticking and polling, takes a final sample of every target (unless `finalSample`
   * is false: `--ticks` wants exactly its rows), closes it in every sink, then flushes and
   * closes the sinks and the provider.
   */
  async stop({ finalSample = true }: { finalSample?: boolean } = {}): Promise<RunSummary> {
    this.stopped = true
    this.scheduler.stop()
    if (this.pollTimer !== null) this.timer.clearTimeout(this.pollTimer)
    await this.polling
    for (const entry of [...this.active.values()]) await this.stopTarget(entry, finalSample)
    for (const sink of this.options.sinks) {
      await this.guard(sink.name, 'flush', () => sink.flush())
      await this.guard(sink.name, 'close', () => sink.close())
    }
    await this.guard(this.options.provider.name, 'close', () => this.options.provider.close())
    return { stats: this.scheduler.stats, targets: this.targetsSeen, rows: this.rows }
  }

  private schedulePoll(): void {
    if (this.stopped) return
    this.pollTimer = this.timer.setTimeout(() => {
      this.pollTimer = null
      void this.poll().finally(() => this.schedulePoll())
    }, this.options.pollMs)
  }

  private async pollOnce(): Promise<void> {
    const { provider, logger } = this.options
    let targets: Target[]
    try {
      targets = await provider.poll()
      logger.forget(`poll:${provider.name}`)
    } catch (error) {
      // Keep collecting what we have: a failed poll is not an empty list.
      this.report(`poll:${provider.name}`, error, `polling ${provider.name} failed`)
      return
    }
    if (this.stopped) return
    for (const entry of this.active.values()) {
      if (entry.failed) {
        await this.stopTarget(entry, false)
        this.pool.forget(entry.target.id)
      }
    }
    const { added, removed } = this.pool.update(targets)
    for (const target of removed) {
      const entry = this.active.get(target.id)
      if (entry) await this.stopTarget(entry, true)
    }
    for (const target of added) await this.startTarget(target)
  }

  private async startTarget(target: Target): Promise<void> {
    const { collectors, logger, sinks, version } = this.options
    let collector: Collector | null
    try {
      collector = collectors.open(target)
    } catch (error) {
      this.pool.forget(target.id)
      this.report(`open:${target.id}`, error, `cannot collect ${target.name}`)
      return
    }
    if (!collector) {
      this.pool.forget(target.id)
      const tried = collectors.describe?.(target)
      logger.once(`missing:${target.id}`, () =>
        logger.warn(`cgroup of ${target.name} not found${tried ? ` (tried ${tried})` : ''}; retrying on the next poll`),
      )
      return
    }
    logger.forget(`missing:${target.id}`)
    const header = {
      version,
      target,
      collector: collector.info,
      initializedAt: unixNanos(this.clock.now()),
    }
    const opened: Sink[] = []
    for (const sink of sinks) {
      if (await this.guard(sink.name, 'open', () => sink.open(target, header), target)) opened.push(sink)
    }
    if (this.stopped) {
      collector.close()
      return
    }
    const entry: Active = { target, collector, row: new Row(target, collector.info.columns), sinks: opened, failed: false }
    this.active.set(target.id, entry)
    this.activeList = [...this.active.values()]
    this.targetsSeen++
    logger.status('Beginning', `collection for ${target.provider} ${target.name}`)
  }

  private async stopTarget(entry: Active, finalSample: boolean): Promise<void> {
    this.active.delete(entry.target.id)
    this.activeList = [...this.active.values()]
    if (finalSample && !entry.failed) this.sample(entry, true)
    entry.collector.close()
    for (const sink of entry.sinks) {
      await this.guard(sink.name, 'close', () => sink.closeTarget(entry.target), entry.target)
    }
    this.options.logger.status('Stopping', `collection for ${entry.target.provider} ${entry.target.name}`)
  }

  private tick(): void {
    const list = this.activeList
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!
      if (!entry.failed) this.sample(entry)
    }
    this.options.onTick?.(++this.ticks)
  }

  /**
   * Collects one row of `entry` and hands it to its sinks. The final sample of a target the
   * provider no longer lists often finds its cgroup already gone: that is expected, not reported.
   */
  private sample(entry: Active, final = false): void {
    const { row, collector, sinks } = entry
    row.reset()
    if (!collector.collect(row)) {
      if (collector.error) {
        entry.failed = true
        if (!final) this.report(`collect:${entry.target.id}`, collector.error, `collection of ${entry.target.name} stopped`)
      }
      return
    }
    this.rows++
    for (let i = 0; i < sinks.length; i++) {
      const sink = sinks[i]!
      try {
        sink.write(row)
      } catch (error) {
        this.report(`write:${sink.name}`, error, `sink ${sink.name} failed to write`)
      }
    }
  }

  /** Runs a sink or provider call (`step`, for `target` if any), reporting once instead of throwing. */
  private async guard(plugin: string, step: string, call: () => unknown, target?: Target): Promise<boolean> {
    try {
      await call()
      return true
    } catch (error) {
      this.report(`${plugin}:${step}`, error, `${plugin} failed to ${step}${target ? ` ${target.name}` : ''}`)
      return false
    }
  }

  private report(key: string, error: unknown, context?: string): void {
    const { logger } = this.options
    logger.once(`${key}:${describeError(error)}`, () => logger.warn(context ? `${context}: ${describeError(error)}` : describeError(error)))
  }
}
