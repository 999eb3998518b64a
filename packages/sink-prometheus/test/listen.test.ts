import { expect, test } from 'bun:test'
import { RadvisorError } from '@radvisor/core'
import { parseListen } from '../src/listen.ts'

test('parses host:port, [ipv6]:port and :port', () => {
  expect(parseListen('127.0.0.1:9595')).toEqual({ hostname: '127.0.0.1', port: 9595 })
  expect(parseListen('[::1]:0')).toEqual({ hostname: '::1', port: 0 })
  expect(parseListen(':9100')).toEqual({ hostname: '0.0.0.0', port: 9100 })
  expect(parseListen('localhost:80')).toEqual({ hostname: 'localhost', port: 80 })
})

test('anything else is a usage error naming --prometheus-listen', () => {
  for (const text of ['9595', '127.0.0.1', '127.0.0.1:99999', 'a:b', '::1:9595']) {
    expect(() => parseListen(text)).toThrow(RadvisorError)
    expect(() => parseListen(text)).toThrow(/--prometheus-listen/)
  }
})
