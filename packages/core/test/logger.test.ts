import { describe, expect, test } from 'bun:test'
import { excerpt, Logger, memoryLogger, printable, RadvisorError } from '../src/index.ts'

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

describe('one line per message', () => {
  test('control characters from outside are escaped in every kind of line', () => {
    const logger = memoryLogger('verbose')
    const hostile = 'web\nWarning: forged\r\x1b[31mred\x1b[0m\0\t\u202eevil\u2028'
    logger.status('Beginning', `collection for docker ${hostile}`)
    logger.warn(hostile)
    logger.debug('Detail', hostile)
    logger.error(new RadvisorError('provider-docker', 'E_PROTOCOL', hostile))
    const escaped = 'web\\nWarning: forged\\r\\x1b[31mred\\x1b[0m\\0\\t\\u202eevil\\u2028'
    expect(logger.lines).toEqual([
      `   Beginning collection for docker ${escaped}`,
      `     Warning ${escaped}`,
      `      Detail ${escaped}`,
      `error: [radvisor] [provider-docker] ${escaped}`,
    ])
  })

  test('the colours the logger adds itself stay', () => {
    const lines: string[] = []
    new Logger({ write: (line) => lines.push(line), isTTY: true }, 'normal', 'always').warn('disk \x1b[2Jfull')
    expect(lines).toEqual(['\x1b[1;33m     Warning\x1b[0m disk \\x1b[2Jfull\n'])
  })

  test('a message of 10 KB is shortened in the middle to one readable line', () => {
    const logger = memoryLogger()
    logger.warn(`cgroup of ${'a'.repeat(10_240)} not found; retrying on the next poll`)
    const [line] = logger.lines
    expect(line!.length).toBeLessThanOrEqual(1000 + 12)
    expect(line).toStartWith('     Warning cgroup of aaaa')
    expect(line).toEndWith('aaa not found; retrying on the next poll')
    expect(line).toContain('…(9312 more characters)…')
  })
})

describe('printable', () => {
  test('leaves ordinary text, Unicode included, alone', () => {
    expect(printable('pods on node wörker-1 — ok ✓')).toBe('pods on node wörker-1 — ok ✓')
  })

  test('escapes C0, DEL and C1 controls, line separators and bidi overrides', () => {
    expect(printable('\x00\x07\x1f\x7f\x85\x9b\u2028\u2029\u202a\u2066')).toBe('\\0\\x07\\x1f\\x7f\\x85\\x9b\\u2028\\u2029\\u202a\\u2066')
  })

  test('shortens beyond maxLength, keeping the start and the end and saying how much is left out', () => {
    const id = `${'0123456789abcdef'.repeat(640)}`
    const shown = printable(id, 80)
    expect(shown.length).toBeLessThanOrEqual(80)
    expect(shown).toStartWith('0123456789abcdef0123456789abcdef0123456789')
    expect(shown).toContain('…(10185 more characters)…')
    expect(shown).toEndWith('3456789abcdef')
    expect(printable('x'.repeat(80), 80)).toBe('x'.repeat(80))
  })

  test('measures the escaped text, so escapes cannot smuggle a long line past the limit', () => {
    expect(printable('\0'.repeat(100), 80).length).toBeLessThanOrEqual(80)
  })

  test('excerpt folds whitespace, then escapes and shortens', () => {
    expect(excerpt('<html>\r\n  <body>\x1b[5m</body>\n</html>')).toBe('<html> <body>\\x1b[5m</body> </html>')
  })
})

describe('once memory', () => {
  test('is bounded: the least recently seen key is forgotten first', () => {
    const logger = memoryLogger()
    const limited = new Logger({ write: (line) => logger.lines.push(line) }, 'normal', 'never', 4)
    for (const key of ['a', 'b', 'c']) limited.once(key, () => limited.warn(key))
    limited.once('a', () => limited.warn('a again'))
    limited.once('d', () => limited.warn('d'))
    expect(limited.onceKeys).toBeLessThanOrEqual(4)
    // 'b' was the least recently seen: it went; 'a' was seen again and stays.
    limited.once('a', () => limited.warn('a again'))
    limited.once('b', () => limited.warn('b again'))
    expect(logger.lines.map((line) => line.trim())).toEqual(['Warning a', 'Warning b', 'Warning c', 'Warning d', 'Warning b again'])
  })

  test('100,000 distinct keys, as a 50,000-container run makes, keep at most the limit', () => {
    const logger = new Logger({ write: () => {} }, 'normal', 'never')
    let printed = 0
    for (let i = 0; i < 100_000; i++) logger.once(`missing:${i.toString(16).padStart(64, '0')}`, () => printed++)
    expect(printed).toBe(100_000)
    expect(logger.onceKeys).toBeLessThanOrEqual(10_000)
    expect(logger.onceKeys).toBeGreaterThanOrEqual(5_000)
    // A key that recurs all along is never forgotten among them.
    let recurring = 0
    for (let i = 0; i < 100_000; i++) {
      logger.once('collect:the-one-that-fails-every-tick', () => recurring++)
      logger.once(`other:${i}`, () => {})
    }
    expect(recurring).toBe(1)
  })

  test('a key built from a 10 KB id is stored as a digest, and still told apart from its neighbours', () => {
    const logger = memoryLogger()
    const long = (last: string) => `missing:${'f'.repeat(10_240)}${last}`
    logger.once(long('1'), () => logger.warn('one'))
    logger.once(long('2'), () => logger.warn('two'))
    logger.once(long('1'), () => logger.warn('one again'))
    expect(logger.lines).toHaveLength(2)
    logger.forget(long('1'))
    logger.once(long('1'), () => logger.warn('one after forget'))
    expect(logger.lines).toHaveLength(3)
  })
})
