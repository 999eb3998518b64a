import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { detectHierarchy } from '@radvisor/cgroup'
import { BenchCgroups, type BenchCgroupsOptions } from './_cgroups.ts'
import { killChildren } from './_children.ts'

/**
 * Runs `work` with the bench's own cgroup group and a scratch folder, and always cleans up
 * after it: on return, on a throw, and on SIGINT/SIGTERM (children killed and waited for,
 * network namespaces deleted, then every cgroup folder removed, deepest first). Needs root on Linux.
 */
export async function withBenchCgroups<T>(
  root: string,
  work: (cgroups: BenchCgroups, scratch: string) => Promise<T>,
  options: BenchCgroupsOptions = {},
): Promise<T> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    console.error('bench: needs root on Linux (it creates cgroups of its own)')
    process.exit(2)
  }
  const cgroups = new BenchCgroups(detectHierarchy({ root, fs }), options)
  const scratch = fs.mkdtempSync(join(tmpdir(), 'radvisor-bench-'))
  let cleaning: Promise<void> | null = null
  const cleanup = () =>
    (cleaning ??= (async () => {
      await killChildren()
      const left = await cgroups.remove()
      if (left.length > 0) console.error(`bench: could not remove ${left.length} cgroup folders, e.g. ${left[0]}`)
      fs.rmSync(scratch, { recursive: true, force: true })
    })())
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\nbench: ${signal}, removing the bench cgroups`)
    void cleanup().finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await work(cgroups, scratch)
  } finally {
    await cleanup()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
