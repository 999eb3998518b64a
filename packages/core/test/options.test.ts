import { describe, expect, test } from 'bun:test'
import { DEFAULT_MAX_DURATION_MS, formatDuration, parseDuration, parseSize, RadvisorError, resolveOptions } from '../src/index.ts'

function errorOf(call: () => unknown): RadvisorError {
  try {
    call()
  } catch (error) {
    if (error instanceof RadvisorError) return error
    throw error
  }
  throw new Error('expected a RadvisorError')
}

describe('parseDuration', () => {
  test.each([
    ['50ms', 50],
    ['1s', 1000],
    ['1m30s', 90_000],
    ['250us', 0.25],
    ['1.5s', 1500],
    ['0.5ms', 0.5],
    ['1h', 3_600_000],
    ['1h2m3s4ms5us', 3_723_004.005],
    ['007ms', 7],
    ['0.000001s', 0.001],
  ])('%s', (text, ms) => expect(parseDuration(text, '--interval')).toBe(ms))

  test.each([
    // the cases: trailing junk, a bare trailing number
    '1h99x',
    '20ms99x',
    '20ms,junk',
    '20ms5',
    // signs, spaces, exponents, bare numbers, other spellings
    '-1s',
    '+1s',
    ' 1s',
    '1s ',
    '1 s',
    '1e3ms',
    '0x10ms',
    '50',
    '1.5',
    '.5s',
    '1.s',
    '1,5s',
    '1_000ms',
    '1S',
    '1MS',
    '5µs',
    '1w',
    '1D',
    '1sec',
    // units repeated or smallest first
    '1s1s',
    '30s1m',
    '1ms1s',
    // empty, zero, nothing but a unit
    '',
    'ms',
    'abc',
    '5x',
    '0',
    '0ms',
    '0h0m',
    // finer than a microsecond
    '1.5us',
    '0.0000001s',
  ])('rejects %p naming the option', (text) => {
    const error = errorOf(() => parseDuration(text, '--interval'))
    expect(error.code).toBe('E_OPTION')
    expect(error.exitCode).toBe(2)
    expect(error.toString()).toContain(`[radvisor] [cli] invalid value '${text}' for --interval: `)
  })

  test('bounds: one day by default, the caller may allow less or more', () => {
    expect(parseDuration('24h', '--x')).toBe(DEFAULT_MAX_DURATION_MS)
    expect(errorOf(() => parseDuration('24h1us', '--x')).message).toBe("invalid value '24h1us' for --x: at most 1d")
    expect(parseDuration('1d', '--x')).toBe(DEFAULT_MAX_DURATION_MS)
    expect(parseDuration('7d12h', '--x', { maxMs: Number.POSITIVE_INFINITY })).toBe(7.5 * DEFAULT_MAX_DURATION_MS)
    expect(parseDuration('1h', '-i', { maxMs: 3_600_000 })).toBe(3_600_000)
    expect(errorOf(() => parseDuration('1h0.5s', '-i', { maxMs: 3_600_000 })).message).toBe("invalid value '1h0.5s' for -i: at most 1h")
    expect(parseDuration('99999h', '--duration', { maxMs: Number.POSITIVE_INFINITY })).toBe(99999 * 3_600_000)
  })

  test('a value past 2^53 microseconds is refused, not rounded', () => {
    const error = errorOf(() => parseDuration('99999999999h', '--duration', { maxMs: Number.POSITIVE_INFINITY }))
    expect(error.message).toMatch(/^invalid value '99999999999h' for --duration: at most \d+d/)
    expect(errorOf(() => parseDuration(`${'9'.repeat(70)}ms`, '--duration')).message).toContain('expected a duration')
  })

  test('the plugin is named, and control characters in the value are escaped', () => {
    expect(errorOf(() => parseDuration('1x', '--docker-timeout', { plugin: 'provider-docker' })).toString()).toStartWith(
      "[radvisor] [provider-docker] invalid value '1x' for --docker-timeout",
    )
    expect(errorOf(() => parseDuration('1s\n\x1b[31m', '-i')).message).toStartWith("invalid value '1s\\n\\x1b[31m' for -i")
  })

  test.each([
    [0.25, '250us'],
    [90_000, '1m30s'],
    [3_723_004.005, '1h2m3s4ms5us'],
    [DEFAULT_MAX_DURATION_MS, '1d'],
  ])('formatDuration(%p) is %p, which parses back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
    expect(parseDuration(text, '-i')).toBe(ms)
  })
})

describe('parseSize', () => {
  test.each([
    ['16MiB', 16 * 1024 * 1024],
    ['64KiB', 65536],
    ['1MB', 1_000_000],
    ['1kB', 1000],
    ['1KB', 1000],
    ['4096', 4096],
    ['4096B', 4096],
    ['1.5KiB', 1536],
    ['1.15kB', 1150],
    ['1.0001KiB', 1024],
    ['1TiB', 2 ** 40],
  ])('%s', (text, size) => expect(parseSize(text, '--buffer')).toBe(size))

  test.each([
    '0',
    '-1',
    '-5MiB',
    '+5MiB',
    'abc',
    '',
    '16M',
    '16MiBx',
    '16MiB,junk',
    '16 MiB',
    ' 16MiB',
    '16mib',
    '16kib',
    '1e3',
    '0x10',
    '1.9',
    '0.5B',
    '1PiB',
    '99999999TiB',
  ])('rejects %p naming the option', (text) => {
    const error = errorOf(() => parseSize(text, '--buffer'))
    expect(error.exitCode).toBe(2)
    expect(error.message).toContain(`'${text}' for --buffer: expected a positive size`)
  })
})

describe('resolveOptions', () => {
  const specs = {
    path: { type: 'string', description: 'where' },
    every: { type: 'duration', description: 'how often', default: '1s' },
    size: { type: 'size', description: 'how big' },
    port: { type: 'number', description: 'port', required: true },
    on: { type: 'boolean', description: 'switch', default: 'false' },
  } as const

  test('converts by type and applies defaults', () => {
    expect(resolveOptions('demo', specs, { port: '9', size: '1KiB', on: 'yes' })).toEqual({
      path: undefined,
      every: 1000,
      size: 1024,
      port: 9,
      on: true,
    })
  })

  test('names the plugin and option on bad input', () => {
    expect(errorOf(() => resolveOptions('demo', specs, {})).toString()).toBe(
      '[radvisor] [demo] missing required option demo.port',
    )
    expect(errorOf(() => resolveOptions('demo', specs, { port: 'x' })).message).toContain("'x' for demo.port")
    expect(errorOf(() => resolveOptions('demo', specs, { port: '1', colour: 'red' })).message).toBe(
      "unknown option 'colour' (known: path, every, size, port, on)",
    )
    expect(errorOf(() => resolveOptions('demo', specs, { port: '1', on: 'maybe' })).message).toContain('true or false')
  })
})

describe('resolveOptions: strict numbers, files and checks', () => {
  test.each(['0x10', '1e3', ' 5', '5 ', '', '1.', 'Infinity'])('a number option refuses %p', (text) => {
    const specs = { port: { type: 'number', description: 'port' } } as const
    expect(errorOf(() => resolveOptions('demo', specs, { port: text })).message).toContain('expected a number')
  })

  test('a file option is its path; an empty one is refused', () => {
    const specs = { path: { type: 'file', description: 'where' } } as const
    expect(resolveOptions('demo', specs, { path: './out.jsonl' })).toEqual({ path: './out.jsonl' })
    expect(errorOf(() => resolveOptions('demo', specs, { path: '' }, (key) => `--demo-${key}`)).message).toBe(
      "invalid value '' for --demo-path: expected a file path",
    )
  })

  test("an option's check sees the converted value and its error ends the resolution", () => {
    const seen: unknown[] = []
    const specs = {
      every: {
        type: 'duration',
        description: 'how often',
        check: (ms: number) => {
          seen.push(ms)
          if (ms > 1000) throw new RadvisorError('demo', 'E_OPTION', 'every is at most 1s')
        },
      },
    } as const
    expect(resolveOptions('demo', specs, { every: '500ms' })).toEqual({ every: 500 })
    expect(errorOf(() => resolveOptions('demo', specs, { every: '2s' })).message).toBe('every is at most 1s')
    expect(seen).toEqual([500, 2000])
  })
})
