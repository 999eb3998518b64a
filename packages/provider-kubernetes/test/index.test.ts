import { describe, expect, test } from 'bun:test'
import * as nodeFs from 'node:fs'
import { RadvisorError, resolveOptions, systemClock } from '@radvisor/core'
import { testPluginContext } from '@radvisor/testing'
import kubernetes, { KubernetesProvider } from '../src/index.ts'

const context = testPluginContext({ clock: systemClock, fs: nodeFs })

describe('the kubernetes provider definition', () => {
  test('is a provider named kubernetes whose option keys are its flags', () => {
    expect(kubernetes.kind).toBe('provider')
    expect(kubernetes.name).toBe('kubernetes')
    expect(Object.keys(kubernetes.options)).toEqual(['kube-config', 'node-name', 'granularity'])
    expect(kubernetes.options.granularity.default).toBe('pod')
  })

  test('creates the provider with the options the CLI resolved (granularity pod by default)', async () => {
    const options = resolveOptions('kubernetes', kubernetes.options, { 'node-name': 'worker-1' })
    const provider = await kubernetes.create(options, context)
    expect(provider).toBeInstanceOf(KubernetesProvider)
    expect(provider.name).toBe('kubernetes')
  })

  test('rejects a granularity other than pod or container as a usage error', () => {
    const options = resolveOptions('kubernetes', kubernetes.options, { granularity: 'node' })
    let error: unknown
    try {
      kubernetes.create(options, context)
    } catch (thrown) {
      error = thrown
    }
    expect(error).toBeInstanceOf(RadvisorError)
    expect((error as RadvisorError).message).toBe("invalid value 'node' for --granularity: expected pod or container")
    expect((error as RadvisorError).exitCode).toBe(2)
  })
})
