/**
 * Child process of the benchmark: radvisor's collectors alone over the bench cgroups, rows
 * filled and discarded, ticks back to back. Not a module to import.
 *
 * usage: bun bench/_collector-loop.ts <cgroup-root> <paths-file> <warmup-ticks> <ticks> [extended|radvisor]
 *
 * The last argument is the column set (`--columns`; default extended). Prints one JSON line:
 * the CPU time (whole process, all threads: `process.cpuUsage`; also its user part), minor
 * page faults and wall time of the measured ticks (after the warm-up ticks, which let the JIT
 * settle), the rows collected, how files were read (`native`, or why not), and the files the
 * collectors hold open (cgroup files and the targets' processes' `/proc` files), in reading
 * order (for the floor program).
 */
import * as fs from 'node:fs'
import { createCollectorFactory } from '@radvisor/cgroup'
import { type Collector, Logger, Row, Scheduler, systemClock, systemFileSystem, systemTimer, type Target } from '@radvisor/core'

const [root, pathsFile, warmupText, ticksText, columns = 'extended', everyText] = process.argv.slice(2)
if (!root || !pathsFile || !warmupText || !ticksText || (columns !== 'extended' && columns !== 'radvisor')) {
  console.error('usage: bun bench/_collector-loop.ts <cgroup-root> <paths-file> <warmup-ticks> <ticks> [extended|radvisor]')
  process.exit(2)
}
const paths = fs.readFileSync(pathsFile, 'utf8').split('\n').filter(Boolean)
// As the CLI reads: node:fs plus the native batch read (one call per target and tick) where it compiles.
const system = systemFileSystem()
const factory = createCollectorFactory({ root, fs: system.fs, logger: new Logger(undefined, 'quiet'), clock: systemClock, columns })

const collectors: Collector[] = []
const rows: Row[] = []
for (const path of paths) {
  const target: Target = { provider: 'bench', id: path, name: path, metadata: {}, polledAt: 0n, cgroup: { kind: 'path', path } }
  const collector = factory.open(target)
  if (!collector) throw new Error(`no cgroup found for ${path}`)
  collectors.push(collector)
  rows.push(new Row(target, collector.info.columns))
}

let collected = 0
function tick(): void {
  for (let i = 0; i < collectors.length; i++) {
    const row = rows[i]!
    row.reset()
    if (collectors[i]!.collect(row)) collected++
  }
}

for (let i = Number(warmupText); i > 0; i--) tick()
if (everyText !== undefined) {
  new Scheduler({ intervalMs: Number(everyText), clock: systemClock, timer: systemTimer, onTick: tick }).start()
  console.log('ready')
  await new Promise(() => {})
}
collected = 0
const ticks = Number(ticksText)
const faultsBefore = process.resourceUsage().minorPageFault
const cpuBefore = process.cpuUsage()
const wallBefore = performance.now()
for (let i = 0; i < ticks; i++) tick()
const cpu = process.cpuUsage(cpuBefore)
const pageFaults = process.resourceUsage().minorPageFault - faultsBefore
const wallUs = Math.round((performance.now() - wallBefore) * 1000)

const files = openCgroupFiles(root)
for (const collector of collectors) collector.close()
console.log(JSON.stringify({ ticks, targets: paths.length, collected, cpuUs: cpu.user + cpu.system, userUs: cpu.user, pageFaults, wallUs, rowBytes: rows[0]?.length ?? 0, batchRead: system.problem ?? 'native', files }))

/**
 * The cgroup and /proc files this process holds open and reads each tick, in the order it
 * reads them (descriptors are numbered in opening order, target by target). A process's
 * `oom_score_adj`, held open but read once a second, is left out.
 */
function openCgroupFiles(cgroupRoot: string): string[] {
  const open: [fd: number, path: string][] = []
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`)
      if (target.startsWith(`${cgroupRoot}/`) || /^\/proc\/\d+\/net\/dev$/.test(target)) open.push([Number(fd), target])
    } catch {
      // The descriptor that listed the folder is closed by now.
    }
  }
  return open.sort((a, b) => a[0] - b[0]).map(([, path]) => path)
}
