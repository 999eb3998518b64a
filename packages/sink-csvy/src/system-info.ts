import { availableParallelism } from 'node:os'
import type { FileSystem } from '@radvisor/core'

/** The Linux distribution, from os-release (keys as radvisor writes them). */
export interface Distribution {
  Id: string | null
  IdLike: string | null
  Name: string | null
  PrettyName: string | null
  Version: string | null
  VersionId: string | null
  VersionCodename: string | null
  CpeName: string | null
  BuildId: string | null
  Variant: string | null
  VariantId: string | null
}

/** Host facts written as `System` in every log header; `null` where the host does not say. */
export interface SystemInfo {
  OsType: string | null
  OsRelease: string | null
  Distribution: Distribution | null
  /** KiB. */
  MemoryTotal: number | null
  /** KiB. */
  SwapTotal: number | null
  Hostname: string | null
  /** CPUs the kernel can bring online (`/sys/devices/system/cpu/possible`). */
  CpuCount: number
  /** CPUs online now. */
  CpuOnlineCount: number
  /** MHz of the first CPU. */
  CpuSpeed: number | null
}

const OS_RELEASE_KEYS: Record<string, keyof Distribution> = {
  ID: 'Id',
  ID_LIKE: 'IdLike',
  NAME: 'Name',
  PRETTY_NAME: 'PrettyName',
  VERSION: 'Version',
  VERSION_ID: 'VersionId',
  VERSION_CODENAME: 'VersionCodename',
  CPE_NAME: 'CpeName',
  BUILD_ID: 'BuildId',
  VARIANT: 'Variant',
  VARIANT_ID: 'VariantId',
}

/**
 * Reads the host facts radvisor records (`System`) through `fs`, so that tests can hand
 * it a fake `/proc`. `fallbackCpuCount` is used only where `/sys` does not list CPUs.
 */
export function readSystemInfo(fs: FileSystem, fallbackCpuCount: () => number = availableParallelism): SystemInfo {
  const text = (path: string) => {
    try {
      return fs.readFileSync(path, 'utf8') as string
    } catch {
      return null
    }
  }
  const line = (path: string) => text(path)?.trim() || null
  const meminfo = text('/proc/meminfo')
  const possible = cpuListSize(line('/sys/devices/system/cpu/possible'))
  const online = cpuListSize(line('/sys/devices/system/cpu/online'))
  return {
    OsType: line('/proc/sys/kernel/ostype'),
    OsRelease: line('/proc/sys/kernel/osrelease'),
    Distribution: parseOsRelease(text('/etc/os-release') ?? text('/usr/lib/os-release')),
    MemoryTotal: meminfoKiB(meminfo, 'MemTotal'),
    SwapTotal: meminfoKiB(meminfo, 'SwapTotal'),
    Hostname: line('/proc/sys/kernel/hostname'),
    CpuCount: possible ?? online ?? fallbackCpuCount(),
    CpuOnlineCount: online ?? possible ?? fallbackCpuCount(),
    CpuSpeed: cpuMhz(text('/proc/cpuinfo'), line('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq')),
  }
}

/** Number of CPUs in a kernel CPU list such as `0-3,8,10-11`. */
function cpuListSize(list: string | null): number | null {
  if (!list) return null
  let count = 0
  for (const part of list.split(',')) {
    const [first, last = first] = part.split('-').map(Number)
    if (!Number.isInteger(first) || !Number.isInteger(last) || last! < first!) return null
    count += last! - first! + 1
  }
  return count
}

function meminfoKiB(meminfo: string | null, key: string): number | null {
  const match = meminfo && new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)
  return match ? Number(match[1]) : null
}

/** `cpu MHz` of the first CPU in /proc/cpuinfo, else cpufreq's maximum (kHz). */
function cpuMhz(cpuinfo: string | null, maxFreqKHz: string | null): number | null {
  const match = cpuinfo && /^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)
  if (match) return Math.floor(Number(match[1]))
  const khz = Number(maxFreqKHz)
  return maxFreqKHz && Number.isFinite(khz) ? Math.floor(khz / 1000) : null
}

/** Parses os-release (`KEY=value`, values optionally quoted with shell escapes). */
function parseOsRelease(text: string | null): Distribution | null {
  if (text === null) return null
  const distribution = Object.fromEntries(Object.values(OS_RELEASE_KEYS).map((key) => [key, null])) as unknown as Distribution
  for (const raw of text.split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(raw)
    const key = match && OS_RELEASE_KEYS[match[1]!]
    if (key) distribution[key] = unquote(match[2]!.trim())
  }
  return distribution
}

function unquote(value: string): string {
  const quoted = /^(["'])(.*)\1$/.exec(value)
  return quoted ? quoted[2]!.replace(/\\(["'$`\\])/g, '$1') : value
}
