// The provider contract of @radvisor/testing, against the mock engine of the kit.
import { afterAll, beforeEach } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveOptions } from '@radvisor/core'
import { MockDockerEngine, testPluginContext, testProvider } from '@radvisor/testing'
import dockerProvider from '../src/index.ts'

let engine: MockDockerEngine | null = null
beforeEach(async () => {
  await engine?.close()
  engine = MockDockerEngine.start()
  engine.addContainer({ name: 'web' })
})
afterAll(() => engine?.close())
const nowhere = mkdtempSync(join(tmpdir(), 'radvisor-docker-contract-'))
afterAll(() => rmSync(nowhere, { recursive: true, force: true }))

const create = (address: string) =>
  dockerProvider.create(resolveOptions('docker', dockerProvider.options, { 'docker-host': address, 'docker-timeout': '2s' }), testPluginContext())

testProvider('docker', () => create(engine!.address), {
  addTarget: () => engine!.startContainer().Id,
  removeTarget: (id) => engine!.stopContainer(id),
  watches: true,
  watching: async () => {
    while (engine!.subscribers === 0) await Bun.sleep(5)
  },
  failNextPoll: () => engine!.failNext('/containers/json', 'status-500'),
  unreachable: () => create(`unix://${join(nowhere, 'docker.sock')}`),
})
