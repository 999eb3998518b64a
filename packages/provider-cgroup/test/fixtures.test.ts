import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { memoryLogger } from '@radvisor/core'
import { createFakeCgroupFs, cgroupFixturesDir } from '@radvisor/testing'
import { CgroupProvider } from '../src/provider.ts'
import { fixedClock, ROOT } from './_hosts.ts'

interface FixtureTarget {
  readonly cgroup: { readonly kind: string }
  readonly path: string
}

const cases = readdirSync(cgroupFixturesDir).filter((name) => existsSync(join(cgroupFixturesDir, name, 'targets.json')))

/** The cgroup paths the provider finds on a recorded host. */
async function poll(fixture: string, patterns: string[] | null): Promise<string[]> {
  const cgroups = new CgroupProvider({ patterns, root: ROOT, fs: createFakeCgroupFs(fixture).fs, clock: fixedClock, logger: memoryLogger() })
  await cgroups.init()
  return (await cgroups.poll()).map((target) => (target.cgroup.kind === 'path' ? target.cgroup.path : target.id))
}

describe('recorded hosts (fixtures/cgroup)', () => {
  test('there are recorded hosts to check', () => {
    expect(cases.length).toBeGreaterThan(0)
  })

  for (const fixture of cases) {
    const targets: FixtureTarget[] = JSON.parse(readFileSync(join(cgroupFixturesDir, fixture, 'targets.json'), 'utf8'))

    test(`${fixture}: the defaults find the root and every container and pod cgroup, not containers inside pods`, async () => {
      const found = await poll(fixture, null)
      expect(found[0]).toBe('')
      for (const target of targets) {
        if (target.cgroup.kind === 'pod-container') expect(found).not.toContain(target.path)
        else expect(found).toContain(target.path)
      }
    })

    test(`${fixture}: ** finds every recorded cgroup, containers inside pods included`, async () => {
      const found = await poll(fixture, ['**'])
      for (const target of targets) expect(found).toContain(target.path)
    })
  }
})
