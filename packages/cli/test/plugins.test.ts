import { describe, expect, test } from 'bun:test'
import { RadvisorError } from '@radvisor/core'
import { checkSink } from '../src/_plugins.ts'

function refusal(value: unknown): RadvisorError {
  try {
    checkSink(value, './my-sink.ts')
  } catch (error) {
    if (error instanceof RadvisorError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

describe('checkSink', () => {
  const fn = () => {}

  test('accepts a sink with a name, open(), flush() and close()', () => {
    const sink = { name: 'statsd', open: fn, flush: async () => {}, close: fn }
    expect(checkSink(sink, './statsd.ts')).toBe(sink as never)
  })

  test.each([
    ['nothing', undefined, 'undefined, not a sink object'],
    ['null', null, 'null, not a sink object'],
    ['a function', fn, 'function, not a sink object'],
    ['no name or flush', { open: fn, close: fn }, 'a sink without name, flush()'],
    ['an empty name', { name: '', open: fn, flush: fn, close: fn }, 'a sink without name'],
    ['a name that is no string', { name: 7, open: fn, flush: fn, close: fn }, 'a sink without name'],
    ['flush that is no function', { name: 'x', open: fn, flush: true, close: fn }, 'a sink without flush()'],
    ['nothing at all', {}, 'a sink without name, open(), flush(), close()'],
  ])('refuses %s, naming the module and what is missing', (_name, value, missing) => {
    const error = refusal(value)
    expect(error.exitCode).toBe(2)
    expect(error.toString()).toStartWith(`[radvisor] [cli] sink './my-sink.ts' is not valid: its create() returned ${missing}`)
  })
})
