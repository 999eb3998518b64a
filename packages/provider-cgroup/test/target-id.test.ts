import { describe, expect, test } from 'bun:test'
import { targetIdProblem } from '@radvisor/core'
import { cgroupTargetId, ROOT_TARGET_ID } from '../src/target-id.ts'

describe('cgroupTargetId', () => {
  test('replaces / with +', () => {
    expect(cgroupTargetId('system.slice/ssh.service')).toBe('system.slice+ssh.service')
  })

  test('the root cgroup is root', () => {
    expect(cgroupTargetId('')).toBe(ROOT_TARGET_ID)
  })

  test('ids stay unique where names contain the escape characters or are called root', () => {
    const paths = ['', 'root', 'a/b', 'a+b', 'a%2Bb', 'a%b', 'a/b+c', 'a+b/c', '%72oot', 'x/root']
    const ids = paths.map(cgroupTargetId)
    expect(new Set(ids).size).toBe(paths.length)
    expect(cgroupTargetId('root')).not.toBe('root')
  })

  test('ids are tokens core accepts: systemd escapes, spaces, control characters and UTF-8 are %XX', () => {
    expect(cgroupTargetId('system.slice/systemd-fsck@dev-disk-by\\x2duuid-1.service')).toBe('system.slice+systemd-fsck@dev-disk-by%5Cx2duuid-1.service')
    expect(cgroupTargetId('user.slice/user-1000.slice/user@1000.service')).toBe('user.slice+user-1000.slice+user@1000.service')
    expect(cgroupTargetId('a b/\n\u001b[31m/é')).toBe('a%20b+%0A%1B%5B31m+%C3%A9')
    for (const path of ['a b', '..', '.', 'x/../y', '\u0000', 'é'.repeat(200)]) expect(targetIdProblem(cgroupTargetId(path))).toBeNull()
  })

  test('ids are valid file name prefixes', () => {
    for (const path of ['a/b/c', 'kubepods.slice/kubepods-pod1_2.slice', 'x'.repeat(300), `${'y'.repeat(150)}/${'z'.repeat(150)}`]) {
      const id = cgroupTargetId(path)
      expect(id).not.toContain('/')
      expect(Buffer.byteLength(`${id}_1700000000.log`)).toBeLessThanOrEqual(255)
    }
  })

  test('long paths that share a prefix get different ids', () => {
    const prefix = 'p'.repeat(250)
    expect(cgroupTargetId(`${prefix}/a`)).not.toBe(cgroupTargetId(`${prefix}/b`))
  })
})
