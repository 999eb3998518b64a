import { describe, expect, test } from 'bun:test'
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
