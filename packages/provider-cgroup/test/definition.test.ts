import { describe, expect, test } from 'bun:test'
import { type FileSystem, RadvisorError } from '@radvisor/core'
import { testPluginContext } from '@radvisor/testing'
import { cgroupProvider } from '../src/definition.ts'
import { fixedClock, ROOT, v2Host } from './_hosts.ts'

const context = (fs: FileSystem) => testPluginContext({ clock: fixedClock, fs, cgroupRoot: ROOT })

describe('cgroup provider definition', () => {
  test('is the provider named cgroup with a --match option', () => {
    expect(cgroupProvider).toMatchObject({ kind: 'provider', name: 'cgroup', options: { match: { type: 'string' } } })
  })

  test('--match takes comma-separated patterns relative to --cgroup-root', async () => {
    const provider = await cgroupProvider.create({ match: 'system.slice/ssh.service, system.slice/docker-*.scope' }, context(v2Host().fs))
    await provider.init()
    expect((await provider.poll()).map((t) => t.id)).toEqual([`system.slice+docker-${'a'.repeat(64)}.scope`, 'system.slice+ssh.service'])
  })

  test('without --match it collects the host defaults and the root cgroup', async () => {
    const provider = await cgroupProvider.create({ match: undefined }, context(v2Host().fs))
    await provider.init()
    const ids = (await provider.poll()).map((t) => t.id)
    expect(ids[0]).toBe('root')
    expect(ids).toContain('system.slice+ssh.service')
  })

  test('a bad --match fails at once, as a usage error', async () => {
    const error = await Promise.resolve()
      .then(() => cgroupProvider.create({ match: '../x' }, context(v2Host().fs)))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RadvisorError)
    expect((error as RadvisorError).exitCode).toBe(2)
  })
})
