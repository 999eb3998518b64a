import { describe, expect, test } from 'bun:test'
import { ManualClock, Scheduler } from '../src/index.ts'

function setup(intervalMs: number, onTick: (tick: number, clock: ManualClock) => void = () => {}) {
  const clock = new ManualClock(1000)
  const fired: { tick: number; at: number }[] = []
  const errors: unknown[] = []
  const scheduler = new Scheduler({
    intervalMs,
    clock,
    timer: clock,
    onTick: (tick) => {
      fired.push({ tick, at: clock.monotonic() })
      onTick(tick, clock)
    },
    onError: (error) => errors.push(error),
  })
  return { clock, fired, errors, scheduler }
}

describe('Scheduler', () => {
  test('tick k fires at start + k·interval', () => {
    const { clock, fired, scheduler } = setup(50)
    scheduler.start()
    clock.advance(200)
    expect(fired.map((f) => f.at - 1000)).toEqual([0, 50, 100, 150, 200])
    expect(scheduler.stats.ticks).toBe(5)
  })

  test('compensates drift: late timers do not push later ticks back', () => {
    const { clock, fired, scheduler } = setup(50)
    clock.lateness = 3
    scheduler.start()
    clock.advance(1000)
    // Every tick is 3 ms late, but the schedule stays on the 50 ms grid.
    expect(fired.slice(0, 4).map((f) => f.at - 1000)).toEqual([3, 53, 103, 153])
    expect(fired).toHaveLength(20)
    expect(scheduler.stats.lateness.p50).toBeCloseTo(3, 1)
    expect(scheduler.stats.lateness.max).toBeCloseTo(3, 5)
    expect(scheduler.stats.missed).toBe(0)
  })

  test('a fractional interval does not drift even though delays are whole milliseconds', () => {
    const { clock, fired, scheduler } = setup(33.3)
    scheduler.start()
    clock.advance(3330)
    expect(fired).toHaveLength(101)
    expect(fired.at(-1)!.at - 1000).toBeCloseTo(3330, 0)
  })

  test('with whole-millisecond timers, a tick runs within half a millisecond of its due time', () => {
    const { clock, fired, scheduler } = setup(33.3)
    scheduler.start()
    clock.advance(1000)
    for (const { tick, at } of fired) expect(Math.abs(at - 1000 - tick * 33.3)).toBeLessThanOrEqual(0.5 + 1e-9)
    expect(scheduler.stats.lateness.max).toBeLessThanOrEqual(0.5 + 1e-9)
  })

  test('a timer that fires more than half a millisecond early is re-armed', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    const timer = {
      // A timer that fires 2 ms early the first time it is used.
      early: true,
      setTimeout(callback: () => void, delayMs: number) {
        const delay = this.early ? Math.max(0, delayMs - 2) : delayMs
        this.early = false
        return clock.setTimeout(callback, delay)
      },
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
    }
    const scheduler = new Scheduler({ intervalMs: 50, clock, timer, onTick: () => fired.push(clock.monotonic()) })
    scheduler.start()
    clock.advance(0)
    clock.advance(100)
    expect(fired).toEqual([0, 50, 100])
  })

  test('with a precise wait, the timer fires 1–2 ms early and each tick starts exactly when due', () => {
    const clock = new ManualClock(1000)
    const fired: number[] = []
    const delays: number[] = []
    const waits: number[] = []
    const timer = {
      setTimeout: (callback: () => void, delayMs: number) => (delays.push(delayMs), clock.setTimeout(callback, delayMs)),
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
      wait: (ms: number) => (waits.push(ms), clock.spend(ms)),
    }
    const scheduler = new Scheduler({ intervalMs: 33.3, clock, timer, onTick: (tick) => fired.push(clock.monotonic() - 1000 - tick * 33.3) })
    scheduler.start()
    clock.advance(1000)
    expect(fired).toHaveLength(31)
    for (const offset of fired) expect(Math.abs(offset)).toBeLessThan(1e-9)
    expect(scheduler.stats.lateness.max).toBe(0)
    // Whole-millisecond delays, waking 1 to 2 ms before the tick; the wait covers the rest.
    for (const delay of delays.slice(1)) expect(Number.isInteger(delay)).toBe(true)
    for (const ms of waits.slice(1)) {
      expect(ms).toBeGreaterThanOrEqual(1)
      expect(ms).toBeLessThanOrEqual(2)
    }
  })

  test('with a precise wait, a timer that fires far too early is set again, not waited out', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    const waits: number[] = []
    let early = true
    const timer = {
      // The first timer fires 10 ms early.
      setTimeout: (callback: () => void, delayMs: number) => {
        const delay = early ? Math.max(0, delayMs - 10) : delayMs
        early = false
        return clock.setTimeout(callback, delay)
      },
      clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
      wait: (ms: number) => (waits.push(ms), clock.spend(ms)),
    }
    const scheduler = new Scheduler({ intervalMs: 50, clock, timer, onTick: () => fired.push(clock.monotonic()) })
    scheduler.start()
    clock.advance(0)
    clock.advance(100)
    expect(fired).toEqual([0, 50, 100])
    expect(Math.max(...waits)).toBeLessThanOrEqual(3)
  })

  test('an overrunning tick skips the slots it covered and counts them as missed', () => {
    const { clock, fired, scheduler } = setup(50, (tick, c) => {
      if (tick === 2) c.spend(120) // runs from 100 to 220: slots 3 and 4 are gone
    })
    scheduler.start()
    clock.advance(300)
    expect(fired.map((f) => f.tick)).toEqual([0, 1, 2, 5, 6])
    expect(fired.map((f) => f.at - 1000)).toEqual([0, 50, 100, 250, 300])
    expect(scheduler.stats.missed).toBe(2)
  })

  test('never runs two ticks at once', () => {
    let running = false
    let overlapped = false
    const { clock, scheduler } = setup(10, (_tick, c) => {
      if (running) overlapped = true
      running = true
      c.spend(25)
      running = false
    })
    scheduler.start()
    clock.advance(500)
    expect(overlapped).toBe(false)
    expect(scheduler.stats.missed).toBeGreaterThan(0)
  })

  test('a throwing tick is reported and the loop goes on', () => {
    const { clock, fired, errors, scheduler } = setup(50, (tick) => {
      if (tick === 1) throw new Error('boom')
    })
    scheduler.start()
    clock.advance(150)
    expect(errors).toHaveLength(1)
    expect(fired).toHaveLength(4)
  })

  test('stop cancels the pending tick', () => {
    const { clock, fired, scheduler } = setup(50)
    scheduler.start()
    clock.advance(60)
    scheduler.stop()
    clock.advance(500)
    expect(fired).toHaveLength(2)
    expect(clock.pending).toBe(0)
  })

  test('lateness quantiles come from every tick', () => {
    const clock = new ManualClock()
    const scheduler = new Scheduler({ intervalMs: 10, clock, timer: clock, onTick: () => {} })
    scheduler.start()
    for (let i = 0; i < 100; i++) {
      clock.lateness = i === 99 ? 5 : 1
      clock.advance(10)
    }
    const { lateness, ticks } = scheduler.stats
    expect(ticks).toBe(100)
    expect(lateness.p50).toBeCloseTo(1, 1)
    expect(lateness.p99).toBeCloseTo(1, 1)
    expect(lateness.max).toBeCloseTo(5, 5)
  })

  test('rejects a non-positive interval', () => {
    expect(() => new Scheduler({ intervalMs: 0, onTick: () => {} })).toThrow(RangeError)
  })
})
