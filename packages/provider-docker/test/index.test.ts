import { afterEach, expect, test } from 'bun:test'
import { resolveOptions } from '@radvisor/core'
import { MockDockerEngine, recordingLogger, testPluginContext } from '@radvisor/testing'
import dockerProvider from '../src/index.ts'

let engine: MockDockerEngine | null = null
afterEach(() => engine?.close())

const context = () => testPluginContext({ logger: recordingLogger() })

test('is the docker provider, with its flags and their defaults', () => {
  expect(dockerProvider.kind).toBe('provider')
  expect(dockerProvider.name).toBe('docker')
  expect(Object.keys(dockerProvider.options)).toEqual(['docker-host', 'docker-events', 'docker-timeout'])
  expect(resolveOptions('docker', dockerProvider.options, {})).toEqual({
    'docker-host': undefined,
    'docker-events': true,
    'docker-timeout': 5000,
  })
})

test('creates a provider for the --docker-host it is given', async () => {
  engine = MockDockerEngine.start()
  const container = engine.addContainer({ name: 'web' })
  const options = resolveOptions('docker', dockerProvider.options, { 'docker-host': engine.address, 'docker-events': 'false' })
  const provider = await dockerProvider.create(options, context())
  await provider.init()
  expect((await provider.poll()).map((target) => target.id)).toEqual([container.Id])
  await provider.close()
})

test('a malformed --docker-host fails at creation', () => {
  const options = resolveOptions('docker', dockerProvider.options, { 'docker-host': 'docker.sock' })
  expect(() => dockerProvider.create(options, context())).toThrow("invalid value 'docker.sock' for --docker-host")
})
