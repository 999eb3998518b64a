import { describe, expect, test } from 'bun:test'
import { TargetPool, type Target } from '../src/index.ts'

const target = (id: string): Target => ({
  provider: 'test',
  id,
  name: id,
  metadata: {},
  polledAt: 0n,
  cgroup: { kind: 'path', path: id },
})

describe('TargetPool', () => {
  test('reports added and removed targets between updates', () => {
    const pool = new TargetPool()
    expect(pool.update([target('a'), target('b')]).added.map((t) => t.id)).toEqual(['a', 'b'])
    const diff = pool.update([target('b'), target('c')])
    expect(diff.added.map((t) => t.id)).toEqual(['c'])
    expect(diff.removed).toEqual(['a'])
    expect(pool.size).toBe(2)
  })

  test('repeated ids in one list count once', () => {
    const pool = new TargetPool()
    expect(pool.update([target('a'), target('a')]).added).toHaveLength(1)
    expect(pool.update([target('a')])).toEqual({ added: [], removed: [] })
  })

  test('an empty list removes everything; an empty pool stays empty', () => {
    const pool = new TargetPool()
    expect(pool.update([])).toEqual({ added: [], removed: [] })
    pool.update([target('a'), target('b')])
    expect(pool.update([]).removed).toEqual(['a', 'b'])
    expect(pool.size).toBe(0)
  })

  test('a forgotten target is added again by the next update', () => {
    const pool = new TargetPool()
    pool.update([target('a')])
    pool.forget('a')
    expect(pool.has('a')).toBe(false)
    expect(pool.update([target('a')]).added.map((t) => t.id)).toEqual(['a'])
  })
})
