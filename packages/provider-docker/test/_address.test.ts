import { describe, expect, test } from 'bun:test'
import { parseDockerHost, resolveDockerHost } from '../src/_address.ts'
import { radvisorErrorOf } from '@radvisor/testing'

describe('parseDockerHost', () => {
  test('unix sockets keep their path and use a placeholder host', () => {
    expect(parseDockerHost('unix:///run/user/1000/docker.sock')).toEqual({
      text: 'unix:///run/user/1000/docker.sock',
      baseUrl: 'http://docker',
      socketPath: '/run/user/1000/docker.sock',
    })
  })

  test.each([
    ['tcp://127.0.0.1:2375', 'http://127.0.0.1:2375'],
    ['tcp://docker.internal:2375/', 'http://docker.internal:2375'],
    ['tcp://[::1]:2375', 'http://[::1]:2375'],
  ])('%s becomes %s', (text, baseUrl) => {
    expect(parseDockerHost(text)).toEqual({ text, baseUrl, socketPath: null })
  })

  test.each(['unix://relative.sock', 'tcp://host', 'tcp://host:99999', 'http://host:2375', '/var/run/docker.sock', ''])(
    'rejects %p',
    (text) => expect(parseDockerHost(text)).toBeNull(),
  )
})

describe('resolveDockerHost', () => {
  test('--docker-host wins over DOCKER_HOST, which wins over the default socket', () => {
    const env = { DOCKER_HOST: 'tcp://10.0.0.1:2375' }
    expect(resolveDockerHost('unix:///a.sock', env).text).toBe('unix:///a.sock')
    expect(resolveDockerHost(undefined, env).text).toBe('tcp://10.0.0.1:2375')
    expect(resolveDockerHost(undefined, {}).text).toBe('unix:///var/run/docker.sock')
    expect(resolveDockerHost(undefined, { DOCKER_HOST: '' }).text).toBe('unix:///var/run/docker.sock')
  })

  test('a bad --docker-host is a usage error naming the flag', () => {
    const error = radvisorErrorOf(() => resolveDockerHost('localhost:2375', {}))
    expect(error.code).toBe('E_OPTION')
    expect(error.message).toBe(
      "invalid value 'localhost:2375' for --docker-host: expected unix:///path/to/docker.sock or tcp://host:port",
    )
  })

  test('a bad DOCKER_HOST names the variable and the way out', () => {
    const error = radvisorErrorOf(() => resolveDockerHost(undefined, { DOCKER_HOST: 'ssh://me@host' }))
    expect(error.code).toBe('E_CONFIG')
    expect(error.exitCode).toBe(1)
    expect(error.message).toContain("DOCKER_HOST is 'ssh://me@host'")
    expect(error.message).toContain('--docker-host')
  })
})
