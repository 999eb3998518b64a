import { type FileSystem, ManualClock, memoryLogger, type RunSettings } from '@radvisor/core'
import { testPluginContext } from '@radvisor/testing'
import { createFsFromVolume, Volume } from 'memfs'

/** Host files of a fixed machine, so that `System` in headers is the same everywhere. */
export const hostFiles: Record<string, string> = {
  '/proc/sys/kernel/ostype': 'Linux\n',
  '/proc/sys/kernel/osrelease': '6.1.0-test-amd64\n',
  '/proc/sys/kernel/hostname': 'node-1.example\n',
  '/proc/meminfo': 'MemTotal:        8039428 kB\nMemFree:         1234567 kB\nSwapTotal:       2097148 kB\n',
  '/proc/cpuinfo': 'processor\t: 0\ncpu MHz\t\t: 2596.146\n\nprocessor\t: 1\ncpu MHz\t\t: 2400.000\n',
  '/sys/devices/system/cpu/possible': '0-3\n',
  '/sys/devices/system/cpu/online': '0-1\n',
  '/etc/os-release':
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
}

/** Where the test context's fs fails writes, for disk-full tests. */
export interface WriteFault {
  /** The errno code thrown by every `writeSync` while set. */
  code: string | null
}

/** A memfs with the host files, whose `writeSync` fails while `fault.code` is set. */
export function fakeFs(files: Record<string, string> = {}) {
  const volume = Volume.fromJSON({ ...hostFiles, ...files })
  const memfs = createFsFromVolume(volume) as unknown as FileSystem
  const fault: WriteFault = { code: null }
  const fs: FileSystem = {
    ...memfs,
    writeSync: ((...args: Parameters<FileSystem['writeSync']>) => {
      if (fault.code) throw Object.assign(new Error(`${fault.code}: simulated write failure`), { code: fault.code })
      return (memfs.writeSync as (...a: unknown[]) => number)(...args)
    }) as FileSystem['writeSync'],
  }
  return { fs, volume, fault }
}

/** A plugin context on `fs` with a manual clock and an in-memory logger. */
export function testContext(fs: FileSystem, settings: Partial<RunSettings> = {}) {
  const clock = new ManualClock()
  const logger = memoryLogger()
  const context = testPluginContext({ logger, clock, fs, settings: { version: '0.1.0', ...settings } })
  return { context, clock, logger }
}
