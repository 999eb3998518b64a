import { accessSync, constants, type Stats, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { describeError, quote, RadvisorError } from '@radvisor/core'

const WRITABLE_FOLDER = constants.W_OK | constants.X_OK

/**
 * Checks, creating nothing, that `path` is a writable directory or can be created as one:
 * its nearest existing ancestor is a writable directory. `flag` names the option in errors.
 */
export function checkDirectory(path: string, flag: string): void {
  const refuse = (reason: string) => invalidPath(path, flag, `${reason}; give a directory radvisor can create or write to`)
  if (path === '') throw invalidPath(path, flag, 'expected a path')
  let existing = resolve(path)
  let stats = statOrMissing(existing, refuse)
  while (stats === null) {
    existing = dirname(existing)
    stats = statOrMissing(existing, refuse)
  }
  const shown = existing === resolve(path) ? 'it' : quote(existing)
  if (!stats.isDirectory()) throw refuse(`${shown} is not a directory`)
  checkAccess(existing, WRITABLE_FOLDER, (code) => refuse(`${shown} is not writable (${code})`))
}

/**
 * Checks, creating nothing, that the file at `path` can be written: it is an existing
 * writable file (or device, or pipe), or its folder exists and is writable.
 */
export function checkOutputFile(path: string, flag: string): void {
  const refuse = (reason: string) => invalidPath(path, flag, `${reason}; give a file in an existing, writable folder`)
  if (path === '') throw invalidPath(path, flag, 'expected a file path')
  const file = resolve(path)
  const stats = statOrMissing(file, refuse)
  if (stats !== null) {
    if (stats.isDirectory()) throw refuse('it is a directory')
    checkAccess(file, constants.W_OK, (code) => refuse(`it is not writable (${code})`))
    return
  }
  const folder = dirname(file)
  const folderStats = statOrMissing(folder, refuse)
  if (folderStats === null) throw refuse(`folder ${quote(folder)} does not exist`)
  if (!folderStats.isDirectory()) throw refuse(`${quote(folder)} is not a directory`)
  checkAccess(folder, WRITABLE_FOLDER, (code) => refuse(`folder ${quote(folder)} is not writable (${code})`))
}

/** The stats of `path`, or null when it (or a folder on the way) does not exist. */
function statOrMissing(path: string, refuse: (reason: string) => RadvisorError): Stats | null {
  try {
    return statSync(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw refuse(`cannot inspect ${quote(path)} (${describeError(error)})`)
  }
}

function checkAccess(path: string, mode: number, refuse: (code: string) => RadvisorError): void {
  try {
    accessSync(path, mode)
  } catch (error) {
    throw refuse((error as NodeJS.ErrnoException).code ?? describeError(error))
  }
}

function invalidPath(path: string, flag: string, reason: string): RadvisorError {
  return new RadvisorError('cli', 'E_OPTION', `invalid value ${quote(path)} for ${flag}: ${reason}`)
}
