import { describe, expect, test } from 'bun:test'
import { Row, type Target } from '../src/index.ts'

const target: Target = { provider: 't', id: 'x', name: 'x', metadata: {}, polledAt: 0n, cgroup: { kind: 'path', path: '' } }
const bytes = (text: string) => new TextEncoder().encode(text)

describe('Row', () => {
  test('writes cells as one CSV line with their offsets', () => {
    const row = new Row(target, ['read', 'a', 'b', 'c', 'd'])
    row.putTime(1_700_000_000_123.5)
    row.putUint(42)
    row.putEmpty()
    const source = bytes('xx 9223372036854771712\n')
    row.putBytes(source, 3, source.length - 1)
    row.putAscii('max')
    expect(row.toString()).toBe('1700000000123500000,42,,9223372036854771712,max')
    expect(row.cells).toBe(5)
    expect(row.text(1)).toBe('42')
    expect(row.text(2)).toBeNull()
    expect(row.number(1)).toBe(42)
    expect(row.number(2)).toBeNull()
    expect(row.number(4)).toBeNull()
    expect(row.text(3)).toBe('9223372036854771712')
  })

  test('the time cell always has 19 digits and never rounds up into the next millisecond', () => {
    const row = new Row(target, ['read'])
    row.putTime(0.9999999)
    expect(row.toString()).toBe('0000000000000999999')
    row.reset()
    row.putTime(1_700_000_000_005)
    expect(row.toString()).toBe('1700000000005000000')
    row.reset()
    row.putTime(9_999_999_999_999.999)
    expect(row.toString()).toMatch(/^9999999999999\d{6}$/)
  })

  test('a time 19 digits cannot hold is an empty cell', () => {
    const inputs = [-1, Number.NaN, Number.POSITIVE_INFINITY, 10_000_000_000_000]
    const row = new Row(target, inputs.map(String))
    for (const value of inputs) row.putTime(value)
    expect(row.toString()).toBe(',,,')
  })

  test('zero and multi-digit integers', () => {
    const row = new Row(target, ['a', 'b', 'c'])
    row.putUint(0)
    row.putUint(10)
    row.putUint(2 ** 53 - 1)
    expect(row.toString()).toBe('0,10,9007199254740991')
  })

  test('reset starts a new line in the same buffer', () => {
    const row = new Row(target, ['a'])
    const buffer = row.line
    row.putUint(123456)
    row.reset()
    row.putUint(7)
    expect(row.toString()).toBe('7')
    expect(row.line).toBe(buffer)
  })

  test('grows when a line outgrows its buffer', () => {
    const row = new Row(target, ['read', 'percpu'], 16)
    row.putTime(1_700_000_000_000)
    const wide = bytes('1234567890 '.repeat(20))
    row.putBytes(wide, 0, wide.length)
    expect(row.toString()).toBe(`1700000000000000000,${'1234567890 '.repeat(20)}`)
  })

  test('putBytes copies exactly the given range, short or long, into a growing line', () => {
    const row = new Row(target, ['a', 'b', 'c', 'd'], 8)
    const source = bytes(`x${'7'.repeat(64)}y${'8'.repeat(65)}z`)
    row.putBytes(source, 1, 65) // 64 bytes: the loop
    row.putBytes(source, 66, 131) // 65 bytes: set()
    row.putBytes(source, 65, 66)
    row.putBytes(source, 3, 3)
    expect(row.toString()).toBe(`${'7'.repeat(64)},${'8'.repeat(65)},y,`)
    expect([...row.starts]).toEqual([0, 65, 131, 133])
    expect([...row.ends]).toEqual([64, 130, 132, 133])
  })
})

describe('Row.putUint', () => {
  test('writes every safe non-negative integer exactly, up to 2^53 - 1', () => {
    const row = new Row(target, ['a', 'b', 'c', 'd'])
    row.putUint(9)
    row.putUint(1_000_000_000_000)
    row.putUint(Number.MAX_SAFE_INTEGER)
    row.putUint(-0)
    expect(row.toString()).toBe('9,1000000000000,9007199254740991,0')
  })

  test('anything it cannot write exactly is an empty cell, and it never hangs', () => {
    const inputs = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -1, 1.5, 2 ** 53, 1e308, Number.MIN_VALUE]
    const row = new Row(target, inputs.map(String))
    for (const value of inputs) row.putUint(value)
    expect(row.cells).toBe(inputs.length)
    expect(row.toString()).toBe(','.repeat(inputs.length - 1))
  })

  test('putDigits copies a run of digits, and writes nothing when a byte is not one', () => {
    const row = new Row(target, ['read', 'a', 'b', 'c'])
    const source = bytes('x 18446744073709551615 12a4 007')
    expect(row.putDigits(source, 2, 22)).toBe(true)
    expect(row.putDigits(source, 23, 27)).toBe(false)
    expect(row.toString()).toBe('18446744073709551615')
    expect(row.putDigits(source, 28, 31)).toBe(true)
    expect(row.putDigits(source, 28, 28)).toBe(true)
    expect(row.putDigits(source, 0, 1)).toBe(false)
    expect(row.toString()).toBe('18446744073709551615,007,')
    expect([row.cells, row.text(1), row.text(2)]).toEqual([3, '007', null])
  })

  test('bytes is the line as written, the same view while the length stays, a new one when it changes or the line grows', () => {
    const row = new Row(target, ['read', 'a'], 8)
    row.putUint(12)
    row.putUint(3)
    const first = row.bytes
    expect(new TextDecoder().decode(first)).toBe('12,3')
    row.reset()
    row.putUint(45)
    row.putUint(6)
    expect(row.bytes).toBe(first)
    expect(new TextDecoder().decode(row.bytes)).toBe('45,6')
    row.reset()
    row.putUint(789)
    expect(new TextDecoder().decode(row.bytes)).toBe('789')
    row.putUint(123456789)
    expect(new TextDecoder().decode(row.bytes)).toBe('789,123456789')
  })
})
