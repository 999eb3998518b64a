import { describe, expect, test } from 'bun:test'
import { ascii } from '../src/_bytes.ts'
import { KeyedValues } from '../src/_keyed.ts'

function values(keys: KeyedValues, names: readonly string[], text: string): (string | null)[] {
  const buf = ascii(text)
  keys.locate(buf, buf.length)
  return names.map((_, k) => (keys.starts[k]! < 0 ? null : text.slice(keys.starts[k], keys.ends[k])))
}

describe('KeyedValues', () => {
  const names = ['cache', 'rss', 'rss_huge', 'swap']
  const keys = new KeyedValues(names)

  test('finds whole keys only, in any order, and reports absent ones', () => {
    expect(values(keys, names, 'rss_huge 3\nrss 2\nxcache 9\ncache 1\n')).toEqual(['1', '2', '3', null])
  })

  test('follows lines that moved when earlier values changed length, and keys that moved up', () => {
    expect(values(keys, names, 'cache 1\nrss 2\nrss_huge 3\nswap 4\n')).toEqual(['1', '2', '3', '4'])
    expect(values(keys, names, 'cache 1000000\nrss 20\nrss_huge 3\nswap 4')).toEqual(['1000000', '20', '3', '4'])
    expect(values(keys, names, 'swap 5\ncache 1\nrss 2\nrss_huge 3\n')).toEqual(['1', '2', '3', '5'])
  })

  test('a file cut inside a key does not match it', () => {
    expect(values(keys, names, 'cache 1\nrs')).toEqual(['1', null, null, null])
  })
})
