/**
 * Peak memory of `radvisor report` on a large log (not a timed test). Generates a ~200 MB
 * cgroup v1 CSVY log (override with REPORT_BENCH_MB), then reads it in a fresh child
 * process per mode and prints the child's peak RSS (VmHWM) next to the file size:
 *   summary  analysis only (text/JSON output)
 *   html     analysis plus the full-resolution HTML page, written to /dev/null
 * Run: bun bench/report-memory.ts
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import * as nodeFs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatText, reportFiles, writeHtml } from '@radvisor/report'
import { syntheticChunks } from '../packages/report/scripts/_synthetic.ts'

const [mode, path] = process.argv.slice(2)

if (mode === 'summary' || mode === 'html') {
  const started = performance.now()
  const report = await reportFiles(nodeFs, [path as string])
  formatText(report)
  if (mode === 'html') {
    const fd = openSync('/dev/null', 'w')
    writeHtml(report, (chunk) => writeSync(fd, chunk))
    closeSync(fd)
  }
  const peak = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
  console.log(JSON.stringify({ peakKiB: Number(peak), samples: report.targets[0]?.summary.samples, seconds: (performance.now() - started) / 1000 }))
} else {
  const targetBytes = Number(process.env.REPORT_BENCH_MB ?? 200) * 1024 * 1024
  const directory = mkdtempSync(join(tmpdir(), 'radvisor-report-bench-'))
  const log = join(directory, 'big.log')
  try {
    // ~330 bytes per synthetic v1 row (4 CPUs in cpu.usage.percpu)
    const rows = Math.ceil(targetBytes / 330)
    const fd = openSync(log, 'w')
    for (const chunk of syntheticChunks({ name: 'big', schema: 'cgroup_v1', rows, hostCpus: 4, lateEvery: 500, bursts: [{ resource: 'cpu', at: 1000, rows: 3 }] }, 1 << 20)) {
      writeSync(fd, chunk)
    }
    closeSync(fd)
    const size = statSync(log).size
    console.log(`log: ${(size / 1024 / 1024).toFixed(0)} MiB, ${rows} rows (cgroup v1)`)
    for (const childMode of ['summary', 'html']) {
      const child = Bun.spawnSync([process.execPath, import.meta.path, childMode, log], { stderr: 'inherit' })
      const result = JSON.parse(child.stdout.toString())
      console.log(
        `${childMode.padEnd(8)} peak RSS ${(result.peakKiB / 1024).toFixed(0)} MiB (${((result.peakKiB * 1024) / size).toFixed(2)}x the file), ` +
          `${result.samples} samples in ${result.seconds.toFixed(1)} s`,
      )
    }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
}
