import { readdirSync, readFileSync } from 'node:fs'

/** Each thread of a live process: its name (`comm`, trailing digits folded into `#`) and CPU so far in ns, by thread id. */
export type ThreadCpu = Map<string, { readonly name: string; readonly ns: number }>

/**
 * CPU time each thread of a live process has used so far: `/proc/<pid>/task/<tid>/schedstat`
 * (time on CPU, nanosecond resolution). `/proc/<pid>/stat` counts in clock ticks (10 ms), too
 * coarse for a window of seconds.
 */
export function threadCpu(pid: number): ThreadCpu {
  const threads: ThreadCpu = new Map()
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim().replace(/\d+$/, '#')
      threads.set(task, { name, ns: Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]) })
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return threads
}

/**
 * CPU used between two `threadCpu` samples, ns, per thread name and in all (`''`): per thread
 * id, so that a thread ending in between does not take its whole lifetime off the sum
 * (JavaScriptCore's JIT workers end when idle, often 15–25 s after start: a plain sum of both
 * samples lost ~200 ms of a 10 s window that way). A thread that ended in between loses only
 * its CPU inside the window.
 */
export function cpuBetween(before: ThreadCpu, after: ThreadCpu): Map<string, number> {
  const byName = new Map<string, number>([['', 0]])
  for (const [task, { name, ns }] of after) {
    const used = ns - (before.get(task)?.ns ?? 0)
    byName.set(name, (byName.get(name) ?? 0) + used)
    byName.set('', byName.get('')! + used)
  }
  return byName
}

/**
 * CPU time a live process has used so far, its ended threads included: utime + stime of
 * `/proc/<pid>/stat`, nanoseconds at clock-tick (10 ms) resolution. The counterpart of
 * `resourceUsage()` after exit, which also counts every thread.
 */
export function processCpuNs(pid: number): number {
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000_000
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
