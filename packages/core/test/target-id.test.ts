import { describe, expect, test } from 'bun:test'
import { fileInDirectory, RadvisorError, targetIdProblem } from '../src/index.ts'

describe('targetIdProblem', () => {
  test('container ids, pod uids, escaped cgroup paths and systemd units are ids', () => {
    for (const id of [
      'a'.repeat(64),
      '0b3f6d2e-5c1a-4e8b-9d7f-2a6c8e4b1d03',
      'system.slice+docker-abc.scope',
      'user.slice+user@1000.service',
      'system.slice+a%5Cx2db.service',
      'root',
    ]) {
      expect(targetIdProblem(id)).toBeNull()
    }
  })

  test('anything that could steer a path or a terminal is not', () => {
    expect(targetIdProblem('x/../../escaped')).toContain('characters')
    expect(targetIdProblem('..')).toBe('it names a directory')
    expect(targetIdProblem('.')).toBe('it names a directory')
    expect(targetIdProblem('')).toBe('it is empty')
    expect(targetIdProblem(undefined)).toBe('it is empty')
    expect(targetIdProblem('a\u0000b')).toContain('characters')
    expect(targetIdProblem('a\nb')).toContain('characters')
    expect(targetIdProblem('\u001b[31m')).toContain('characters')
    expect(targetIdProblem('a b')).toContain('characters')
    expect(targetIdProblem('x'.repeat(225))).toContain('longer than 224')
  })
})

describe('fileInDirectory', () => {
  test('joins a safe name to the directory', () => {
    expect(fileInDirectory('/var/log/stats', 'abc_1700000000.log', 'sink-test')).toBe('/var/log/stats/abc_1700000000.log')
  })

  test('refuses names that leave the directory or are not tokens, naming the plugin', () => {
    for (const name of ['../x.log', '/etc/passwd', 'a/b.log', '..', 'x\u0000.log']) {
      expect(() => fileInDirectory('/var/log/stats', name, 'sink-test')).toThrow(RadvisorError)
    }
    expect(() => fileInDirectory('/d', '../x', 'sink-test')).toThrow(/refusing file name "..\/x" in \/d/)
  })
})
