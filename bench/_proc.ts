import { readdirSync, readFileSync } from 'node:fs'

/**
 * CPU time a live process has used so far, user plus system, in nanoseconds: the sum of
 * `/proc/<pid>/task/<tid>/schedstat` (time on CPU, nanosecond resolution) over its threads.
 * `/proc/<pid>/stat` counts in clock ticks (10 ms), too coarse for a window of seconds.
 */
export function processCpuNs(pid: number): number {
  let total = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0])
    } catch {
      // The thread ended between listing and reading; its time is lost to a window sample.
    }
  }
  return total
}

/** Machine facts for the report. */
export interface Machine {
  readonly cpus: number
  readonly cpuModel: string
  readonly kernel: string
  readonly bun: string
  /** The 1-minute load average when the benchmark started and when it ended. */
  loadAtStart: number
  loadAtEnd: number
}

export function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown'
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    bun: Bun.version,
    loadAtStart: loadAverage(),
    loadAtEnd: Number.NaN,
  }
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])
}
