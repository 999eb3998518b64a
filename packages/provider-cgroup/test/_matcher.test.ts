import { describe, expect, test } from 'bun:test'
import { SegmentMatcher } from '../src/_matcher.ts'
import { ROOT_PATTERN } from '../src/patterns.ts'

/** Whether `path` ('' for the root) matches, stepping through its segments like the walk does. */
function matches(patterns: string[], path: string): boolean {
  const matcher = new SegmentMatcher(patterns)
  let state = matcher.start()
  for (const name of path === '' ? [] : path.split('/')) state = matcher.step(state, name)
  return matcher.matches(state)
}

describe('SegmentMatcher', () => {
  test('* matches exactly one segment', () => {
    expect(matches(['docker/*'], 'docker/abc')).toBe(true)
    expect(matches(['docker/*'], 'docker')).toBe(false)
    expect(matches(['docker/*'], 'docker/abc/def')).toBe(false)
    expect(matches(['system.slice/*.service'], 'system.slice/ssh.service')).toBe(true)
    expect(matches(['system.slice/*.service'], 'system.slice/var-lib.mount')).toBe(false)
  })

  test('** matches any depth, zero segments included', () => {
    expect(matches(['kubepods.slice/**/*.scope'], 'kubepods.slice/a.scope')).toBe(true)
    expect(matches(['kubepods.slice/**/*.scope'], 'kubepods.slice/x/y/z.scope')).toBe(true)
    expect(matches(['kubepods.slice/**/*.scope'], 'kubepods.slice/x/y')).toBe(false)
    expect(matches(['a/**'], 'a')).toBe(true)
    expect(matches(['a/**'], 'a/b/c')).toBe(true)
  })

  test('?, [...] and {a,b} work within a segment', () => {
    expect(matches(['pod?'], 'pod1')).toBe(true)
    expect(matches(['pod[ab]'], 'podc')).toBe(false)
    expect(matches(['{ssh,cron}.service'], 'cron.service')).toBe(true)
  })

  test('only the root pattern, or **, matches the root cgroup', () => {
    expect(matches([ROOT_PATTERN], '')).toBe(true)
    expect(matches([ROOT_PATTERN], 'a')).toBe(false)
    expect(matches(['**'], '')).toBe(true)
    expect(matches(['*'], '')).toBe(false)
  })

  test('a path matches when any pattern does', () => {
    expect(matches(['docker/*', 'system.slice/*.service'], 'system.slice/ssh.service')).toBe(true)
  })

  test('stops descending once no pattern has segments left', () => {
    const matcher = new SegmentMatcher(['docker/*'])
    const docker = matcher.step(matcher.start(), 'docker')
    expect(matcher.canDescend(docker)).toBe(true)
    expect(matcher.canDescend(matcher.step(docker, 'abc'))).toBe(false)
    expect(matcher.step(matcher.start(), 'other')).toEqual([])
  })
})
