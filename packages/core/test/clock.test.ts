import { describe, expect, test } from 'bun:test'
import { systemClock, systemTimer, unixNanos } from '../src/index.ts'

describe('systemTimer', () => {
  test('a zero delay runs on the next turn of the event loop, and can be cancelled', async () => {
    const order: string[] = []
    systemTimer.setTimeout(() => order.push('zero'), 0)
    const cancelled = systemTimer.setTimeout(() => order.push('cancelled'), 0)
    systemTimer.clearTimeout(cancelled)
    setTimeout(() => order.push('timeout'), 1)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(order).toEqual(['zero', 'timeout'])
  })

  test('a positive delay can be cancelled', async () => {
    let fired = false
    systemTimer.clearTimeout(systemTimer.setTimeout(() => (fired = true), 5))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(fired).toBe(false)
  })
})

describe('systemClock', () => {
  test('now is Unix milliseconds and monotonic never goes back', () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50)
    const a = systemClock.monotonic()
    expect(systemClock.monotonic()).toBeGreaterThanOrEqual(a)
  })

  test('unixNanos keeps whole nanoseconds', () => {
    expect(unixNanos(1_700_000_000_123.5)).toBe(1_700_000_000_123_500_000n)
    expect(unixNanos(0.9999999)).toBe(999_999n)
  })
})
