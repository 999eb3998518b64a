import { describe, expect, test } from 'bun:test'
import { ratios, spread } from '../_stats.ts'

describe('spread', () => {
  test('median of an odd and an even count, with the range', () => {
    expect(spread([3, 1, 2])).toMatchObject({ median: 2, min: 1, max: 3 })
    expect(spread([4, 1, 3, 2])).toMatchObject({ median: 2.5, min: 1, max: 4 })
  })

  test('ignores values that are not finite; none left gives NaN', () => {
    expect(spread([Number.NaN, 5, Number.POSITIVE_INFINITY])).toMatchObject({ median: 5, min: 5, max: 5 })
    expect(spread([Number.NaN]).median).toBeNaN()
  })
})

test('ratios divide pair by pair', () => {
  expect(ratios([2, 9], [1, 3])).toEqual([2, 3])
})
