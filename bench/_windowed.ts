import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseDuration } from '@radvisor/core'
import type { BenchCgroups } from './_cgroups.ts'
import { type CliSetup, collectorBackToBack, radvisorCommand } from './_runs.ts'

/** The options of the benches that compare runs every `--interval` over a measured window (`periodic.ts`, `threads.ts`). */
export const WINDOWED_OPTIONS = {
  n: { type: 'string', default: '100' },
  interval: { type: 'string', default: '50ms' },
  settle: { type: 'string', default: '15s' },
  window: { type: 'string', default: '10s' },
  columns: { type: 'string', default: 'radvisor' },
  'cgroup-root': { type: 'string', default: '/sys/fs/cgroup' },
  /** How the CLI is started, split at spaces (default: Bun on the sources). */
  radvisor: { type: 'string' },
} as const

export interface WindowedSettings {
  readonly targets: number
  readonly intervalMs: number
  readonly settleMs: number
  readonly windowMs: number
  readonly columns: 'radvisor' | 'extended'
  readonly root: string
  readonly radvisor: readonly string[] | undefined
}

/** The values of `WINDOWED_OPTIONS`, checked. */
export function windowedSettings(values: { [K in Exclude<keyof typeof WINDOWED_OPTIONS, 'radvisor'>]: string } & { radvisor?: string }): WindowedSettings {
  const { columns } = values
  if (columns !== 'radvisor' && columns !== 'extended') throw new Error(`--columns: radvisor or extended, not ${columns}`)
  return {
    targets: Number(values.n),
    intervalMs: parseDuration(values.interval, '--interval'),
    settleMs: parseDuration(values.settle, '--settle'),
    windowMs: parseDuration(values.window, '--window'),
    columns,
    root: values['cgroup-root'],
    radvisor: radvisorCommand(values.radvisor),
  }
}

/** What the windowed runs read: the target paths, the files the collectors hold open (for the floor), and the CLI's setup. */
export interface WindowedTargets {
  readonly pathsFile: string
  readonly fileList: string
  readonly filesPerTarget: number
  readonly setup: CliSetup
}

/**
 * Grows the bench cgroups to `settings.targets`, starts their busy processes, and lists the
 * targets and the files radvisor's collectors open for them (a one-tick probe), in `scratch`.
 */
export async function prepareTargets(cgroups: BenchCgroups, scratch: string, settings: WindowedSettings): Promise<WindowedTargets> {
  const { root, targets, columns } = settings
  cgroups.grow(targets)
  const note = cgroups.startBusyProcesses(scratch)
  if (note) console.error(`bench: ${note}`)
  const pathsFile = join(scratch, 'paths.txt')
  writeFileSync(pathsFile, `${cgroups.paths.slice(0, targets).join('\n')}\n`)
  const probe = await collectorBackToBack(root, pathsFile, 1, 1, columns)
  const fileList = join(scratch, 'files.txt')
  writeFileSync(fileList, `${probe.files.join('\n')}\n`)
  const setup = { root, match: `${cgroups.group}/*`, scratch, targets, columns, ...(settings.radvisor && { radvisor: settings.radvisor }) }
  return { pathsFile, fileList, filesPerTarget: probe.files.length / targets, setup }
}
