import { type FileSystem, ManualClock, memoryLogger, type RunSettings } from '@radvisor/core'
import { testPluginContext } from '@radvisor/testing'
import { createFsFromVolume, Volume } from 'memfs'

/** A memfs whose `writeSync` fails with `fault.code` while it is set. */
export function fakeFs() {
  const memfs = createFsFromVolume(new Volume()) as unknown as FileSystem
  const fault: { code: string | null } = { code: null }
  const fs: FileSystem = {
    ...memfs,
    writeSync: ((...args: unknown[]) => {
      if (fault.code) throw Object.assign(new Error(`${fault.code}: simulated write failure`), { code: fault.code })
      return (memfs.writeSync as (...a: unknown[]) => number)(...args)
    }) as FileSystem['writeSync'],
  }
  return { fs, fault }
}

export function testContext(fs: FileSystem, settings: Partial<RunSettings> = {}) {
  const clock = new ManualClock()
  const logger = memoryLogger()
  const context = testPluginContext({ logger, clock, fs, settings: { version: '0.1.0', ...settings } })
  return { context, clock, logger }
}
