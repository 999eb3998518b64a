import { describe, expect, test } from 'bun:test'
import { Logger, memoryLogger, RadvisorError } from '../src/index.ts'

describe('Logger', () => {
  test('right-aligns status verbs', () => {
    const logger = memoryLogger('normal')
    logger.status('Beginning', 'collection')
    logger.status('Initializing', 'docker provider')
    expect(logger.lines).toEqual(['   Beginning collection', 'Initializing docker provider'])
  })

  test('quiet hides status and warnings but not errors; verbose shows debug', () => {
    const quiet = memoryLogger('quiet')
    quiet.status('Beginning', 'x')
    quiet.warn('y')
    quiet.error(new RadvisorError('sink-csvy', 'E_IO', 'disk full'))
    expect(quiet.lines).toEqual(['error: [radvisor] [sink-csvy] disk full'])
    const normal = memoryLogger('normal')
    normal.debug('Detail', 'hidden')
    expect(normal.lines).toEqual([])
    const verbose = memoryLogger('verbose')
    verbose.debug('Detail', 'shown')
    expect(verbose.lines).toEqual(['      Detail shown'])
  })

  test('once reports a key a single time until forgotten', () => {
    const logger = memoryLogger()
    for (let i = 0; i < 3; i++) logger.once('k', () => logger.warn('again'))
    logger.forget('k')
    logger.once('k', () => logger.warn('again'))
    expect(logger.lines).toHaveLength(2)
  })

  test('colour is on with always, off with never and for non-terminals under auto', () => {
    const lines: string[] = []
    const output = { write: (line: string) => lines.push(line), isTTY: false }
    new Logger(output, 'normal', 'always').status('Beginning', 'x')
    new Logger(output, 'normal', 'never').status('Beginning', 'x')
    new Logger(output, 'normal', 'auto').status('Beginning', 'x')
    expect(lines[0]).toContain('\x1b[1;32m')
    expect(lines[1]).not.toContain('\x1b[')
    expect(lines[2]).not.toContain('\x1b[')
  })
})
