/**
 * Providers that list 20,000 containers (or 5,000 pods) without cgroups next to one real one: the known
 * container keeps its ticks, and stderr gets one line about the 20,000, not 20,000 lines.
 * The real Docker provider talks to the mock engine over its unix socket; the real cgroup
 * collectors read a recorded v1 tree.
 */
import { afterAll, expect, test } from 'bun:test'
import * as nodeFs from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCollectorFactory } from '@radvisor/cgroup'
import { LossLedger, memoryLogger, Runner, type Sink, systemClock } from '@radvisor/core'
import { createDockerProvider, parseDockerHost } from '@radvisor/provider-docker'
import { KubernetesProvider } from '@radvisor/provider-kubernetes'
import { createFakeCgroupFs } from '@radvisor/testing'

const KNOWN = 'a84bba07931db925306a0799dc6ebd718b8c764d1c0acb3dea13519a60a077bb'
const INTERVAL_MS = 50

const engine = Bun.spawn([process.execPath, join(import.meta.dir, 'fixtures/mock-docker-engine.ts'), '20000', `${KNOWN}:known`], {
  stdout: 'pipe',
  stderr: 'inherit',
})
/** The first line a child prints: where it serves. */
async function firstLine(stdout: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stdout.getReader()
  let text = ''
  while (!text.includes('\n')) text += new TextDecoder().decode((await reader.read()).value)
  reader.releaseLock()
  return text.trim()
}
const socket = firstLine(engine.stdout)
afterAll(() => engine.kill('SIGTERM'))

test('20,000 listed containers without cgroups delay no tick of the known one by an interval, and print one line', async () => {
  const cgroupfs = createFakeCgroupFs('v1-cgroupfs-docker')
  const logger = memoryLogger('normal')
  const provider = createDockerProvider({
    address: parseDockerHost(`unix://${await socket}`)!,
    events: true,
    timeoutMs: 30_000,
    logger,
    clock: systemClock,
  })
  await provider.init()
  const rowTimes: number[] = []
  const sink: Sink = {
    name: 'times',
    open: (target) => ({
      write: () => void (target.id === KNOWN && rowTimes.push(performance.now())),
      close() {},
    }),
    flush() {},
    close() {},
  }
  const collectors = createCollectorFactory({ root: cgroupfs.root, fs: cgroupfs.fs, logger, clock: systemClock })
  const runner = new Runner({
    provider,
    collectors,
    sinks: [sink],
    logger,
    losses: new LossLedger(),
    version: 'test',
    intervalMs: INTERVAL_MS,
    pollMs: 1_000,
    flushEveryMs: 2_000,
  })
  const started = performance.now()
  await runner.start()
  // Polls of the 20,000 go on; a second one makes their warning. Then two more seconds of ticks.
  const deadline = performance.now() + 20_000
  while (!logger.lines.some((line) => line.includes('no cgroup yet')) && performance.now() < deadline) await Bun.sleep(50)
  await Bun.sleep(2_000)
  const summary = await runner.stop({ finalSample: false })
  console.log(`big-lists: ${summary.stats.ticks} ticks, ${summary.stats.missed} missed in ${Math.round(performance.now() - started)} ms, lateness p50 ${summary.stats.lateness.p50.toFixed(2)} p99 ${summary.stats.lateness.p99.toFixed(2)} max ${summary.stats.lateness.max.toFixed(2)} ms`)

  // Ticks from the first poll's end on: every one of them on time within an interval.
  expect(runner.targets).toEqual([])
  expect(summary.stats.ticks).toBeGreaterThan(2_000 / INTERVAL_MS)
  expect(summary.stats.lateness.p99).toBeLessThan(INTERVAL_MS)
  const gaps = rowTimes.slice(1).map((at, i) => at - rowTimes[i]!)
  gaps.sort((a, b) => a - b)
  expect(gaps[Math.floor(gaps.length * 0.99)]!).toBeLessThan(2 * INTERVAL_MS)
  // One warning for the 20,000, naming the first few, once; nothing else about them.
  const warnings = logger.lines.filter((line) => line.includes('Warning'))
  expect(warnings).toEqual([expect.stringMatching(/20,000 targets \(first: .+, …\) of provider docker have no cgroup yet/)])
  expect(logger.lines.length).toBeLessThan(10)
}, 45_000)

test('5,000 pods of this node without cgroups delay no tick by an interval, and print one line', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'radvisor-big-pods-'))
  const api = Bun.spawn([process.execPath, join(import.meta.dir, 'fixtures/mock-kubernetes-api.ts'), '5000', join(folder, 'kubeconfig')], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  try {
    const kubeconfig = await firstLine(api.stdout)
    const logger = memoryLogger('normal')
    const provider = new KubernetesProvider(
      { kubeConfig: kubeconfig, nodeName: 'worker-1', granularity: 'pod' },
      { logger, clock: systemClock, fs: nodeFs, env: {}, homeDir: folder, hostname: 'unused' },
    )
    await provider.init()
    const cgroupfs = createFakeCgroupFs('v1-cgroupfs-docker')
    const collectors = createCollectorFactory({ root: cgroupfs.root, fs: cgroupfs.fs, logger, clock: systemClock })
    const runner = new Runner({ provider, collectors, sinks: [], logger, losses: new LossLedger(), version: 'test', intervalMs: INTERVAL_MS, pollMs: 1_000, flushEveryMs: 2_000 })
    await runner.start()
    const deadline = performance.now() + 20_000
    while (!logger.lines.some((line) => line.includes('no cgroup yet')) && performance.now() < deadline) await Bun.sleep(50)
    await Bun.sleep(2_000)
    const summary = await runner.stop({ finalSample: false })
    console.log(`big-lists (pods): ${summary.stats.ticks} ticks, ${summary.stats.missed} missed, lateness p50 ${summary.stats.lateness.p50.toFixed(2)} p99 ${summary.stats.lateness.p99.toFixed(2)} ms`)
    expect(summary.stats.lateness.p99).toBeLessThan(INTERVAL_MS)
    expect(logger.lines.filter((line) => line.includes('Warning'))).toEqual([
      expect.stringMatching(/5,000 targets \(first: .+, …\) of provider kubernetes have no cgroup yet/),
    ])
  } finally {
    api.kill('SIGTERM')
    rmSync(folder, { recursive: true, force: true })
  }
}, 45_000)

