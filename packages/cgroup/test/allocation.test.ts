import { afterAll, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CgroupLocator, type Collector, type FileSystem, memoryLogger, Row, systemFileSystem } from '@radvisor/core'
import { cgroupFixturesDir, copyCgroupFixture } from '@radvisor/testing'
import { createCollectorFactory } from '../src/index.ts'
import { fakeClock, target } from './_support.ts'

// The tick path allocates nothing: collectors over real files (fixture trees copied to disk,
// read with node:fs and the native batch read as in production, and file by file as where
// it cannot compile) must not grow the JS heap over thousands of ticks.
// The heap's size follows allocation even when the garbage is collected meanwhile: a
// 16-byte view per tick (`subarray`) grows it by megabytes here.

const TICKS = 5000
const copies: string[] = []
afterAll(() => {
  for (const copy of copies) fs.rmSync(copy, { recursive: true, force: true })
})

function collectorsOf(name: string, files: FileSystem): Collector[] {
  const copy = fs.mkdtempSync(join(tmpdir(), `radvisor-alloc-${name}-`))
  copies.push(copy)
  // The case's fake /proc too: the network counters of its targets' processes (own namespace, and the host's).
  const { root, procRoot } = copyCgroupFixture(name, copy)
  const specs = JSON.parse(fs.readFileSync(join(cgroupFixturesDir, name, 'targets.json'), 'utf8')) as { cgroup: CgroupLocator }[]
  const factory = createCollectorFactory({ root, fs: files, logger: memoryLogger(), clock: fakeClock(), mountinfo: '', procRoot: procRoot ?? join(copy, 'proc') })
  return specs.map((spec) => factory.open(target(spec.cgroup))!)
}

const readers: Record<string, FileSystem> = { 'batch read': systemFileSystem().fs, 'file by file': fs as FileSystem }

test.each(['v1-cgroupfs-docker', 'v2-systemd', 'hybrid-systemd-docker'].flatMap((name) => Object.keys(readers).map((reader) => [name, reader] as const)))('%s, %s: thousands of ticks do not grow the JS heap', (name, reader) => {
  const collectors = collectorsOf(name, readers[reader]!)
  const rows = collectors.map((collector) => new Row(target({ kind: 'path', path: '' }), collector.info.columns))
  const tick = (): void => {
    for (let i = 0; i < collectors.length; i++) {
      rows[i]!.reset()
      if (!collectors[i]!.collect(rows[i]!)) throw new Error(`no row: ${collectors[i]!.error}`)
    }
  }
  for (let i = 0; i < TICKS; i++) tick()
  // The extended cells are there (pressure, memory events and, on v2-systemd and hybrid, a network namespace of its own).
  const columns = collectors[0]!.info.columns
  expect(rows[0]!.text(columns.indexOf('memory.pressure/some_total')) !== null || name === 'v1-cgroupfs-docker').toBe(true)
  if (name !== 'v1-cgroupfs-docker') expect(rows[0]!.text(columns.indexOf('network.rx_bytes'))).toMatch(/^\d+$/)
  Bun.gc(true)
  const before = process.memoryUsage().heapTotal
  for (let i = 0; i < TICKS; i++) tick()
  const grown = process.memoryUsage().heapTotal - before
  for (const collector of collectors) collector.close()
  expect(grown).toBeLessThan(64 * 1024)
})
