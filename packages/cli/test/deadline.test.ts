import { describe, expect, test } from 'bun:test'
import { ManualClock } from '@radvisor/core'
import { MAX_TIMER_DELAY_MS, setDeadline } from '../src/_deadline.ts'

/** A manual clock that records every delay it is asked for, as a real timer would get them. */
function recordingClock() {
  const clock = new ManualClock()
  const delays: number[] = []
  const timer = {
    setTimeout: (callback: () => void, delayMs: number) => {
      delays.push(delayMs)
      return clock.setTimeout(callback, delayMs)
    },
    clearTimeout: (handle: unknown) => clock.clearTimeout(handle),
  }
  return { clock, timer, delays }
}

const DAY = 86_400_000

describe('setDeadline', () => {
  test('a short deadline is one timer', () => {
    const { clock, timer, delays } = recordingClock()
    let fired = 0
    setDeadline(clock, timer, 300, () => fired++)
    clock.advance(299)
    expect(fired).toBe(0)
    clock.advance(1)
    expect(fired).toBe(1)
    expect(delays).toEqual([300])
  })

  test('a deadline beyond one timer (a year) re-arms in pieces a timer holds and fires once, on time', () => {
    const { clock, timer, delays } = recordingClock()
    let firedAt = -1
    setDeadline(clock, timer, 365 * DAY, () => {
      firedAt = clock.monotonic()
    })
    clock.advance(365 * DAY - 1)
    expect(firedAt).toBe(-1)
    clock.advance(1)
    expect(firedAt).toBe(365 * DAY)
    expect(delays.length).toBe(Math.ceil((365 * DAY) / MAX_TIMER_DELAY_MS))
    expect(Math.max(...delays)).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS)
    clock.advance(365 * DAY)
    expect(clock.pending).toBe(0)
  })

  test('a timer that fires early is re-armed for the rest', () => {
    const { clock, timer, delays } = recordingClock()
    const early = { ...timer, setTimeout: (callback: () => void, delayMs: number) => timer.setTimeout(callback, delays.length === 0 ? delayMs - 5 : delayMs) }
    let fired = 0
    setDeadline(clock, early, 100, () => fired++)
    clock.advance(99)
    expect(fired).toBe(0)
    expect(delays).toEqual([95, 5])
    clock.advance(1)
    expect(fired).toBe(1)
  })

  test('cancelling stops it, also between pieces', () => {
    const { clock, timer } = recordingClock()
    let fired = 0
    const cancel = setDeadline(clock, timer, 60 * DAY, () => fired++)
    clock.advance(30 * DAY)
    cancel()
    clock.advance(60 * DAY)
    expect(fired).toBe(0)
    expect(clock.pending).toBe(0)
  })
})
