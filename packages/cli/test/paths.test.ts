import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RadvisorError } from '@radvisor/core'
import { checkDirectory, checkOutputFile } from '../src/_paths.ts'

const work = mkdtempSync(join(tmpdir(), 'radvisor-paths-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
const file = join(work, 'a-file')
writeFileSync(file, 'x')
mkdirSync(join(work, 'folder'))
/** A folder even root may not write: the kernel refuses new entries in /proc/sys/kernel. */
const unwritable = '/proc/sys/kernel'

function refusal(call: () => void): string {
  try {
    call()
  } catch (error) {
    if (!(error instanceof RadvisorError)) throw error
    expect(error.exitCode).toBe(2)
    return error.toString()
  }
  throw new Error('expected a refusal')
}

describe('checkDirectory', () => {
  test.each([
    ['an existing writable directory', join(work, 'folder')],
    ['a missing directory under a writable one', join(work, 'new', 'deeper', 'still')],
    ['a relative path', '.'],
  ])('accepts %s', (_name, path) => {
    expect(() => checkDirectory(path, '-d/--directory')).not.toThrow()
  })

  test.each([
    ['a file', file, "invalid value '<path>' for -d/--directory: it is not a directory"],
    ['a path under a file', join(file, 'sub'), `invalid value '<path>' for -d/--directory: '${file}' is not a directory`],
    ['a folder that is not writable', `${unwritable}/radvisor-x`, `invalid value '<path>' for -d/--directory: '${unwritable}' is not writable (EACCES)`],
    ['an empty path', '', "invalid value '' for -d/--directory: expected a path"],
  ])('refuses %s, naming the option', (_name, path, message) => {
    expect(refusal(() => checkDirectory(path, '-d/--directory'))).toStartWith(`[radvisor] [cli] ${message.replace('<path>', path)}`)
  })
})

describe('checkOutputFile', () => {
  test.each([
    ['a new file in a writable folder', join(work, 'folder', 'new.csv')],
    ['an existing writable file', file],
    ['a device', '/dev/null'],
  ])('accepts %s', (_name, path) => {
    expect(() => checkOutputFile(path, '-f/--flush-log')).not.toThrow()
  })

  test.each([
    ['a missing folder', '/proc/nope/flush.csv', "folder '/proc/nope' does not exist"],
    ['a folder that is a file', join(file, 'flush.csv'), `'${file}' is not a directory`],
    ['a directory', join(work, 'folder'), 'it is a directory'],
    ['a folder that is not writable', `${unwritable}/flush.csv`, `folder '${unwritable}' is not writable (EACCES)`],
  ])('refuses %s, naming the option', (_name, path, reason) => {
    expect(refusal(() => checkOutputFile(path, '-f/--flush-log'))).toBe(
      `[radvisor] [cli] invalid value '${path}' for -f/--flush-log: ${reason}; give a file in an existing, writable folder`,
    )
  })

  test('checks create nothing', () => {
    checkDirectory(join(work, 'made', 'not'), '-d')
    checkOutputFile(join(work, 'folder', 'not.csv'), '-f')
    expect(existsSync(join(work, 'made'))).toBe(false)
    expect(readdirSync(join(work, 'folder'))).toEqual([])
  })
})
