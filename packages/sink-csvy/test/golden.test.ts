/**
 * Golden CSVY logs: rows collected by the real cgroup collectors from recorded cgroup
 * trees (fake cgroupfs, v1 and v2), written by the sink, compared byte for byte. Clock
 * and host facts are injected, so nothing needs normalising. `--columns radvisor` must give
 * exactly the logs radvisor 1.4's layout gives (`<case>.log`, unchanged since before the
 * extended columns); the extended columns (the default) give `<case>.extended.log`. After an
 * intended format change, regenerate with `UPDATE_GOLDEN=1 bun test packages/sink-csvy/test/golden.test.ts`
 * and review the diff.
 */
import { expect, test } from 'bun:test'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCollectorFactory } from '@radvisor/cgroup'
import { memoryLogger, Row, type Target } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { createCsvySink } from '../src/csvy-sink.ts'
import { fakeFs, testContext } from './_context.ts'

const cases = [
  {
    name: 'v1-cgroupfs-docker',
    id: 'a84bba07931db925306a0799dc6ebd718b8c764d1c0acb3dea13519a60a077bb',
    // cpu.usage.total is the sum of the per-CPU values (652489924 at step 0).
    cpuFile: (id: string) => `cpuacct/docker/${id}/cpuacct.usage_percpu`,
    cpu: (step: number) => `${583671760 + step * 25_000_000} 68818164 \n`,
  },
  {
    name: 'v2-systemd',
    id: '579f09222a2bed27a584d21b54fa8973381f412a0a4f9fa423350b233931da53',
    cpuFile: (id: string) => `system.slice/docker-${id}.scope/cpu.stat`,
    cpu: (step: number) =>
      `usage_usec ${179471391 + step * 25_000}\nuser_usec 125629973\nsystem_usec 53841418\nnr_periods 1571\nnr_throttled 917\nthrottled_usec 3320457\n`,
  },
]

for (const golden of cases.flatMap((kase) => (['radvisor', 'extended'] as const).map((columns) => ({ ...kase, columns })))) {
  const file = `${golden.name}${golden.columns === 'radvisor' ? '' : '.extended'}.log`
  test(`${golden.name}, ${golden.columns} columns: the CSVY log of three samples matches test/golden/${file}`, () => {
    const cgroups = createFakeCgroupFs(golden.name)
    const output = fakeFs()
    const { context, clock } = testContext(output.fs)
    const factory = createCollectorFactory({ root: cgroups.root, fs: cgroups.fs, logger: memoryLogger(), clock, columns: golden.columns, procRoot: cgroups.procRoot })
    const target: Target = {
      provider: 'docker',
      id: golden.id,
      name: '/golden',
      metadata: { Id: golden.id, Names: ['/golden'], Image: 'busybox', Labels: {}, SizeRw: null },
      polledAt: 1_700_000_000_000_000_000n,
      cgroup: { kind: 'docker', id: golden.id },
    }
    const collector = factory.open(target)
    expect(collector).not.toBeNull()

    const sink = createCsvySink(context)
    const writer = sink.open(target, { version: '0.1.0', target, collector: collector!.info, initializedAt: 1_700_000_000_000_000_001n })
    const row = new Row(target, collector!.info.columns)
    for (let step = 0; step < 3; step++) {
      cgroups.write(golden.cpuFile(golden.id), golden.cpu(step))
      row.reset()
      expect(collector!.collect(row)).toBe(true)
      writer.write(row)
      clock.advance(50)
    }
    collector!.close()
    writer.close()
    sink.close()
    const [name] = output.fs.readdirSync('/stats') as string[]
    const text = output.fs.readFileSync(`/stats/${name}`, 'utf8') as string

    const path = join(import.meta.dir, 'golden', file)
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, text)
    expect(text).toBe(readFileSync(path, 'utf8'))
  })
}
