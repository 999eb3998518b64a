import { describe, expect, test } from 'bun:test'
import type { FileSystem } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { SegmentMatcher } from '../src/_matcher.ts'
import { walkMatching } from '../src/_walk.ts'

const tree = {
  'cgroup.procs': '',
  'a/cgroup.procs': '',
  'a/x/cgroup.procs': '',
  'a/x/deep/cgroup.procs': '',
  'a/y/cgroup.procs': '',
  'b/z/cgroup.procs': '',
}

/** A fake cgroup tree that records the folders listed and fails listing the ones in `failing`. */
function spyFs(failing: string[] = []) {
  const { fs } = createFakeCgroupFs(tree, { root: '/cg' })
  const listed: string[] = []
  const readdirSync = ((path: string, options?: unknown) => {
    listed.push(path)
    if (failing.includes(path)) throw Object.assign(new Error(`EACCES: permission denied, scandir '${path}'`), { code: 'EACCES' })
    return (fs.readdirSync as (p: string, o?: unknown) => unknown)(path, options)
  }) as FileSystem['readdirSync']
  return { fs: { ...fs, readdirSync } as FileSystem, listed }
}

describe('walkMatching', () => {
  test('lists matching folders, not files, in name order', () => {
    const { fs } = spyFs()
    expect(walkMatching(fs, '/cg', new SegmentMatcher(['*/*']), () => {})).toEqual(['a/x', 'a/y', 'b/z'])
  })

  test('reads only as deep as the patterns need', () => {
    const { fs, listed } = spyFs()
    expect(walkMatching(fs, '/cg', new SegmentMatcher(['a/*']), () => {})).toEqual(['a/x', 'a/y'])
    expect(listed).toEqual(['/cg', '/cg/a'])
  })

  test('** walks the whole tree', () => {
    const { fs } = spyFs()
    expect(walkMatching(fs, '/cg', new SegmentMatcher(['a/**']), () => {})).toEqual(['a', 'a/x', 'a/x/deep', 'a/y'])
  })

  test('a folder that cannot be listed is skipped and reported', () => {
    const { fs } = spyFs(['/cg/a'])
    const skipped: string[] = []
    expect(walkMatching(fs, '/cg', new SegmentMatcher(['*/*']), (path) => skipped.push(path))).toEqual(['b/z'])
    expect(skipped).toEqual(['a'])
  })

  test('the top folder failing throws', () => {
    const { fs } = spyFs(['/cg'])
    expect(() => walkMatching(fs, '/cg', new SegmentMatcher(['*']), () => {})).toThrow('EACCES')
  })
})
