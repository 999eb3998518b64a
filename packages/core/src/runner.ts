import { type Clock, systemClock, systemTimer, type Timer, unixNanos } from './clock.ts'
import { describeError, RadvisorError } from './errors.ts'
import { quote } from './options.ts'
import type { Logger } from './logger.ts'
import type { Loss, LossLedger } from './losses.ts'
import { Outages } from './outages.ts'
import type { Collector, CollectorFactory, Provider, Sink, TargetWriter } from './plugins.ts'
import { plural } from './plural.ts'
import { TargetPool } from './pool.ts'
import { Row } from './row.ts'
import { Scheduler, type TickStats } from './scheduler.ts'
import { TimeSlices } from './slices.ts'
import { targetIdProblem } from './target-id.ts'
import type { Target } from './types.ts'

export interface RunnerOptions {
  provider: Provider
  collectors: CollectorFactory
  sinks: readonly Sink[]
  logger: Logger
  /** Where rows that never reached a sink are counted (the sinks record theirs there too). */
  losses: LossLedger
  /** radvisor's version, for log headers. */
  version: string
  intervalMs: number
  pollMs: number
  /** How often the sinks are flushed (`--flush-every`). */
  flushEveryMs: number
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
  /** The writers of the sinks that opened this target, and those sinks, index for index. */
  readonly writers: TargetWriter[]
  readonly sinks: Sink[]
  /** Sinks whose `open` failed: every row of this target is lost for them. */
  readonly unopened: { sink: Sink; reason: string }[]
  /** Whether each writer's last write threw. */
  readonly writeFailing: boolean[]
  rows: number
  failed: boolean
}

/** What a run did, reported at shutdown. */
export interface RunSummary {
  readonly stats: TickStats
  readonly targets: number
  readonly rows: number
  /** Rows a sink could not deliver, largest first (empty when nothing was lost). */
  readonly losses: readonly Loss[]
}

export interface StopOptions {
  /** Take a last sample of every target before closing it (default true; `--ticks` runs take exactly N). */
  readonly finalSample?: boolean
}

/** A target listed without a cgroup for less than this (or a poll interval) is not warned about. */
const MIN_MISSING_MS = 1_000
/** The cgroup of a target listed without one is looked for again after as long as it has been missing, up to this. */
const MAX_RETRY_MS = 30_000
/** How many ids a warning about many targets names. */
const FIRST_FEW = 3
/** How much of an id from outside a warning shows. */
const SHOWN_ID_LENGTH = 80
/** Invalid ids remembered so that each is warned about once; beyond this, repeats may warn again. */
const MAX_REMEMBERED_IDS = 1024

/**
 * Wires a provider, the target pool, collectors and sinks (DESIGN §3). Polls the provider
 * every `pollMs` (and at once when its watch reports a change), checks every target id,
 * starts and stops targets from the pool's diff (spreading the cgroup lookups of a long list
 * over turns of the event loop), collects one row per target on every scheduler tick and hands
 * it to each sink's writer, and flushes the sinks every `flushEveryMs`. Nothing one target or
 * sink does stops the others; failures are reported once per outage, and rows a sink could not
 * take are counted in `losses`.
 */
export class Runner {
  private readonly pool = new TargetPool()
  private readonly active = new Map<string, Active>()
  /** Array copy of `active` for the tick, rebuilt once per tick after a change. */
  private activeList: Active[] = []
  private activeChanged = false
  private readonly scheduler: Scheduler
  private readonly clock: Clock
  private readonly timer: Timer
  private readonly outages = new Outages()
  private pollTimer: unknown = null
  private polling: Promise<void> | null = null
  private pollAgain = false
  private stopped = false
  private targetsSeen = 0
  private rows = 0
  private ticks = 0
  private lastFlush = 0
  private flushing: Promise<void> | null = null
  /**
   * Targets listed without a cgroup, while they stay so: since when (monotonic ms), and when to
   * look for it again. The lookups back off (up to every 30 s), so that 20,000 containers
   * without cgroups do not cost 20,000 lookups a second.
   */
  private missing = new Map<string, { readonly since: number; readonly nextTry: number }>()
  /** Missing cgroups found by the poll in progress, for its verbose line. */
  private newlyMissing: Target[] = []
  /** When the poll in progress began: targets it finds missing are missing since then, all alike. */
  private pollStartedAt = 0
  /**
   * Ids of targets whose cgroup disappeared (their container ended), kept while the provider
   * still lists them: a list can name a container for a moment after it exited, and that is
   * no missing cgroup to warn about.
   */
  private ended = new Set<string>()
  private readonly warnedIds = new Set<string>()

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
    this.lastFlush = this.clock.monotonic()
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
   * Stops ticking and polling, takes a final sample of every target (unless told not to),
   * closes its writers, then flushes and closes the sinks and the provider.
   */
  async stop({ finalSample = true }: StopOptions = {}): Promise<RunSummary> {
    this.stopped = true
    this.scheduler.stop()
    if (this.pollTimer !== null) this.timer.clearTimeout(this.pollTimer)
    await this.polling
    await this.flushing
    for (const entry of [...this.active.values()]) await this.stopTarget(entry, finalSample)
    for (const sink of this.options.sinks) {
      await this.guard(sink.name, 'flush', () => sink.flush())
      await this.guard(sink.name, 'close', () => sink.close())
    }
    await this.guard(this.options.provider.name, 'close', () => this.options.provider.close(), undefined, false)
    return { stats: this.scheduler.stats, targets: this.targetsSeen, rows: this.rows, losses: this.options.losses.list() }
  }

  private schedulePoll(): void {
    if (this.stopped) return
    this.pollTimer = this.timer.setTimeout(() => {
      this.pollTimer = null
      void this.poll().finally(() => this.schedulePoll())
    }, this.options.pollMs)
  }

  private async pollOnce(): Promise<void> {
    const { provider, logger, pollMs } = this.options
    this.pollStartedAt = this.clock.monotonic()
    let listed: Target[]
    try {
      listed = await provider.poll()
    } catch (error) {
      // Keep collecting what we have: a failed poll is not an empty list.
      this.outages.fail('poll', provider.name, () =>
        logger.warn(`polling ${provider.name} failed: ${describeError(error)}; keeping the current targets and retrying every ${pollMs}ms`),
      )
      return
    }
    this.outages.recover('poll', provider.name, () => logger.status('Recovered', `polling ${provider.name} works again`))
    if (this.stopped) return
    const targets = this.validTargets(listed)
    for (const entry of this.active.values()) {
      if (entry.failed) {
        await this.stopTarget(entry, false)
        this.pool.forget(entry.target.id)
      }
    }
    const { added, removed } = this.pool.update(targets)
    for (const id of removed) {
      const entry = this.active.get(id)
      if (entry) await this.stopTarget(entry, true)
      this.missing.delete(id)
      this.ended.delete(id)
    }
    this.newlyMissing = []
    const slices = new TimeSlices(this.clock, this.timer)
    if (this.missing.size > 0 && !(await this.retryMissing(targets, slices))) return
    for (const target of added) {
      if (this.stopped) return
      await this.startTarget(target)
      await slices.yieldIfDue()
    }
    this.reportMissing(targets)
  }

  /** The listed targets whose ids are safe; the others are skipped with one line per poll that finds new ones. */
  private validTargets(listed: Target[]): Target[] {
    let invalid: { id: string; problem: string }[] | null = null
    const valid: Target[] = []
    for (const target of listed) {
      const problem = targetIdProblem(target?.id)
      if (problem === null) valid.push(target)
      else (invalid ??= []).push({ id: String(target?.id), problem })
    }
    if (invalid === null) return listed
    const fresh = invalid.filter(({ id }) => !this.warnedIds.has(id))
    if (fresh.length > 0) {
      if (this.warnedIds.size + fresh.length > MAX_REMEMBERED_IDS) this.warnedIds.clear()
      for (const { id } of fresh) this.warnedIds.add(id)
      const first = fresh
        .slice(0, FIRST_FEW)
        .map(({ id, problem }) => `${quote(id, SHOWN_ID_LENGTH)} (${problem})`)
        .join(', ')
      const { logger, provider } = this.options
      logger.warn(
        `skipped ${plural(invalid.length, 'target')} of provider ${provider.name} whose id is not a safe file name: ${first}${fresh.length > FIRST_FEW ? ', …' : ''}`,
      )
    }
    return valid
  }

  /**
   * Looks again for the cgroups of listed targets that had none, those whose wait is over: after
   * as long as they have been missing, up to every 30 s. The cgroup lookups, like the starts of
   * new targets, are spread over turns of the event loop. False when the run stopped meanwhile.
   */
  private async retryMissing(targets: readonly Target[], slices: TimeSlices): Promise<boolean> {
    for (const target of targets) {
      if (this.stopped) return false
      const waiting = this.missing.get(target.id)
      if (!waiting || this.clock.monotonic() < waiting.nextTry) continue
      if (await this.startTarget(target)) this.missing.delete(target.id)
      else {
        const now = this.clock.monotonic()
        this.missing.set(target.id, { since: waiting.since, nextTry: now + Math.min(MAX_RETRY_MS, now - waiting.since) })
      }
      await slices.yieldIfDue()
    }
    return true
  }

  /**
   * Targets listed without a cgroup. For a moment that is normal (a container that exits races
   * the poll, and the engine lists it for a moment after; one starting has no cgroup yet):
   * verbose. Still so a whole poll interval later, it is an outage worth a warning: one line
   * for all of them, one when it ends.
   */
  private reportMissing(targets: readonly Target[]): void {
    const { logger, collectors, provider, pollMs } = this.options
    if (this.newlyMissing.length > 0) logger.debug('Waiting', `for the cgroups of ${describeTargets(this.newlyMissing)}`)
    this.newlyMissing = []
    const now = this.clock.monotonic()
    const persistent: Target[] = []
    let count = 0
    if (this.missing.size > 0) {
      for (const target of targets) {
        const waiting = this.missing.get(target.id)
        if (!waiting || now - waiting.since < Math.max(pollMs, MIN_MISSING_MS) || this.ended.has(target.id)) continue
        count++
        if (persistent.length < FIRST_FEW) persistent.push(target)
      }
    }
    if (count === 0) {
      this.outages.recover('missing', provider.name, () => logger.status('Found', `the cgroups of every target ${provider.name} lists`))
      return
    }
    const tried = collectors.describe?.(persistent[0]!)
    this.outages.fail('missing', provider.name, () =>
      logger.warn(
        `${describeTargets(persistent, count)} of provider ${provider.name} ${count === 1 ? 'has' : 'have'} no cgroup yet` +
          `${tried ? ` (tried ${tried})` : ''}; looking again as polls list them (backing off up to every ${MAX_RETRY_MS / 1000} s)`,
      ),
    )
  }

  /**
   * Opens the target's collector and its sinks' writers. Returns false when its cgroup is not
   * there (yet): it stays in the pool, waiting in `missing`. A collector that cannot be opened
   * for another reason is reported and the target forgotten, so that the next poll tries again.
   */
  private async startTarget(target: Target): Promise<boolean> {
    const { collectors, logger, sinks, version } = this.options
    let collector: Collector | null
    try {
      collector = collectors.open(target)
    } catch (error) {
      this.pool.forget(target.id)
      this.report(`open:${target.id}`, error, `cannot collect ${target.name}`)
      return true
    }
    if (!collector) {
      if (!this.missing.has(target.id)) {
        this.missing.set(target.id, { since: this.pollStartedAt, nextTry: this.pollStartedAt })
        this.newlyMissing.push(target)
      }
      return false
    }
    logger.forget(`open:${target.id}`)
    const header = { version, target, collector: collector.info, initializedAt: unixNanos(this.clock.now()) }
    const entry: Active = {
      target,
      collector,
      row: new Row(target, collector.info.columns),
      writers: [],
      sinks: [],
      unopened: [],
      writeFailing: [],
      rows: 0,
      failed: false,
    }
    for (const sink of sinks) {
      try {
        const writer = await sink.open(target, header)
        entry.writers.push(writer)
        entry.sinks.push(sink)
        entry.writeFailing.push(false)
      } catch (error) {
        this.options.losses.recordSinkError()
        entry.unopened.push({ sink, reason: `opening it failed: ${describeError(error)}` })
        this.report(`${sink.name}:open`, error, `sink ${sink.name} failed to open ${target.name}`)
      }
    }
    if (this.stopped) {
      await this.closeWriters(entry)
      collector.close()
      return true
    }
    this.active.set(target.id, entry)
    this.activeChanged = true
    this.targetsSeen++
    logger.status('Beginning', `collection for ${target.provider} ${target.name}`)
    return true
  }

  private async stopTarget(entry: Active, finalSample: boolean): Promise<void> {
    this.active.delete(entry.target.id)
    this.activeChanged = true
    if (finalSample && !entry.failed) this.sample(entry, true)
    entry.collector.close()
    await this.closeWriters(entry)
    for (const { sink, reason } of entry.unopened) this.options.losses.record(sink.name, entry.target.name, entry.rows, reason)
    this.options.logger.forget(`collect:${entry.target.id}`)
    this.options.logger.status('Stopping', `collection for ${entry.target.provider} ${entry.target.name}`)
  }

  private async closeWriters(entry: Active): Promise<void> {
    for (let i = 0; i < entry.writers.length; i++) {
      const sink = entry.sinks[i]!
      await this.guard(sink.name, 'close', () => entry.writers[i]!.close(), entry.target)
    }
  }

  private tick(): void {
    if (this.activeChanged) {
      this.activeChanged = false
      this.activeList = [...this.active.values()]
    }
    const list = this.activeList
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!
      if (!entry.failed) this.sample(entry)
    }
    this.options.onTick?.(++this.ticks)
    // Flushing right after a tick uses the time until the next one instead of delaying it.
    if (this.clock.monotonic() - this.lastFlush >= this.options.flushEveryMs) this.flush()
  }

  /**
   * Collects one row of `entry` and hands it to its writers. A cgroup that disappears is how a
   * container ends, so its collection ending is verbose; other failures are warnings. The final
   * sample of a target the provider no longer lists often finds its cgroup gone: not reported.
   */
  private sample(entry: Active, final = false): void {
    const { row, collector, writers } = entry
    row.reset()
    if (!collector.collect(row)) {
      const error = collector.error
      if (error) {
        entry.failed = true
        if (final) return
        if (error instanceof RadvisorError && error.code === 'E_GONE') {
          this.ended.add(entry.target.id)
          this.options.logger.debug('Ended', `collection of ${entry.target.name}: ${error.message}`)
        } else this.report(`collect:${entry.target.id}`, error, `collection of ${entry.target.name} stopped`)
      }
      return
    }
    this.rows++
    entry.rows++
    for (let i = 0; i < writers.length; i++) {
      try {
        writers[i]!.write(row)
        if (entry.writeFailing[i]) this.writeRecovered(entry, i)
      } catch (error) {
        this.writeFailed(entry, i, error)
      }
    }
  }

  private writeFailed(entry: Active, index: number, error: unknown): void {
    const { logger, losses } = this.options
    const sink = entry.sinks[index]!
    losses.recordSinkError()
    if (entry.writeFailing[index]) {
      // Still failing: the row is counted under the reason recorded first, with no message built per row.
      losses.record(sink.name, entry.target.name, 1, '')
      return
    }
    entry.writeFailing[index] = true
    losses.record(sink.name, entry.target.name, 1, `its writer threw: ${describeError(error)}`)
    this.outages.fail(`write:${sink.name}`, entry.target.id, () =>
      logger.warn(`sink ${sink.name} failed to write a row of ${entry.target.name}: ${describeError(error)}; counting lost rows`),
    )
  }

  private writeRecovered(entry: Active, index: number): void {
    const sink = entry.sinks[index]!
    entry.writeFailing[index] = false
    this.outages.recover(`write:${sink.name}`, entry.target.id, () => this.options.logger.status('Resumed', `writing to sink ${sink.name}`))
  }

  /** Flushes every sink; a flush still running from last time is not started again. */
  private flush(): void {
    this.lastFlush = this.clock.monotonic()
    if (this.flushing) return
    const pending: Promise<unknown>[] = []
    for (const sink of this.options.sinks) {
      try {
        const result = sink.flush()
        if (result instanceof Promise) pending.push(result.catch((error: unknown) => this.sinkFailed(sink, 'flush', error)))
      } catch (error) {
        this.sinkFailed(sink, 'flush', error)
      }
    }
    if (pending.length > 0) {
      this.flushing = Promise.all(pending).then(() => {
        this.flushing = null
      })
    }
  }

  private sinkFailed(sink: Sink, step: string, error: unknown): void {
    this.options.losses.recordSinkError()
    this.report(`${sink.name}:${step}`, error, `sink ${sink.name} failed to ${step}`)
  }

  /** Runs a sink's (or the provider's) call (`step`, for `target` if any), reporting once instead of throwing. */
  private async guard(plugin: string, step: string, call: () => unknown, target?: Target, isSink = true): Promise<boolean> {
    try {
      await call()
      return true
    } catch (error) {
      if (isSink) this.options.losses.recordSinkError()
      this.report(`${plugin}:${step}`, error, `${plugin} failed to ${step}${target ? ` ${target.name}` : ''}`)
      return false
    }
  }

  private report(key: string, error: unknown, context?: string): void {
    const { logger } = this.options
    logger.once(key, () => logger.warn(context ? `${context}: ${describeError(error)}` : describeError(error)))
  }
}

/** `3 targets (first: a, b, c)`, naming only the first few of a long list of `count`. */
function describeTargets(targets: readonly Target[], count = targets.length): string {
  if (count === 1) return targets[0]!.name
  const first = targets.slice(0, FIRST_FEW).map((target) => target.name)
  return `${plural(count, 'target')} (first: ${first.join(', ')}${count > FIRST_FEW ? ', …' : ''})`
}
