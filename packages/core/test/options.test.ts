import { describe, expect, test } from 'bun:test'
import { parseDuration, parseSize, RadvisorError, resolveOptions } from '../src/index.ts'

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
  ])('%s', (text, ms) => expect(parseDuration(text, '--interval')).toBe(ms))

  test.each(['0', '0ms', 'abc', '-1s', '50', '', 'ms', '5x'])('rejects %p naming the option', (text) => {
    const error = errorOf(() => parseDuration(text, '--interval'))
    expect(error.code).toBe('E_OPTION')
    expect(error.exitCode).toBe(2)
    expect(error.toString()).toContain(`[radvisor] [cli] invalid value '${text}' for --interval`)
  })
})

describe('parseSize', () => {
  test.each([
    ['16MiB', 16 * 1024 * 1024],
    ['64KiB', 65536],
    ['1MB', 1_000_000],
    ['4096', 4096],
  ])('%s', (text, size) => expect(parseSize(text, '--buffer')).toBe(size))

  test.each(['0', '-1', '-5MiB', 'abc', '', '16M'])('rejects %p naming the option', (text) => {
    expect(errorOf(() => parseSize(text, '--buffer')).message).toContain(`'${text}' for --buffer`)
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
