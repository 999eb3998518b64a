import { afterAll, describe, expect, test } from 'bun:test'
import * as nodeFs from 'node:fs'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { type CgroupLocator, memoryLogger, Row, systemFileSystem } from '@radvisor/core'
import { copyCgroupFixture, createFakeCgroupFs, cgroupFixturesDir } from '@radvisor/testing'
import { createCollectorFactory } from '../src/index.ts'
import { fakeClock, START_MS, target } from './_support.ts'

interface FixtureTarget {
  readonly name: string
  readonly cgroup: CgroupLocator
  readonly type: string
  readonly path: string
  readonly driver: string | null
}

/** Files of `folder`, recursively, as paths relative to it. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)))
}

const INTERVAL_MS = 50
const cases = readdirSync(cgroupFixturesDir, { withFileTypes: true }).filter((entry) => entry.isDirectory())

test('every fixture case is covered', () => {
  expect(cases.map((entry) => entry.name).sort()).toEqual([
    'hybrid-systemd-docker',
    'v1-cfq-no-pids',
    'v1-cgroupfs-docker',
    'v1-systemd-kubernetes',
    'v2-cgroupfs',
    'v2-systemd',
  ])
})

const copies: string[] = []
afterAll(() => {
  for (const copy of copies) nodeFs.rmSync(copy, { recursive: true, force: true })
})

/**
 * The case's tree in memfs (read file by file), or copied to disk and read as in production
 * (node:fs with the native batch read where it compiles).
 */
function tree(name: string, where: 'memfs' | 'disk') {
  if (where === 'memfs') {
    const fake = createFakeCgroupFs(name)
    return { root: fake.root, fs: fake.fs, write: fake.write, procRoot: fake.procRoot, mountinfo: undefined }
  }
  const copy = nodeFs.mkdtempSync(join(tmpdir(), `radvisor-golden-${name}-`))
  copies.push(copy)
  const { root, procRoot } = copyCgroupFixture(name, copy)
  const write = (file: string, content: string) => nodeFs.writeFileSync(join(root, file), content)
  return { root, fs: systemFileSystem().fs, write, procRoot: procRoot ?? join(copy, 'proc'), mountinfo: '' }
}

// Each case: open every target, tick, apply the case's `next/` files (the tree one tick
// later) and `next-proc/` (its /proc), tick again; the header and both rows must equal
// `expected/<target>.csv` with `--columns radvisor`, whose `read` cells are normalised to
// READ (checked here against the fake clock instead). With the extended columns (the default),
// each row must be that row followed by `expected-extended/<target>.csv`'s, whose first line
// gives the header's `Network`. Each in memfs and on disk.
describe.each(
  cases.flatMap((entry) => (['radvisor', 'extended'] as const).flatMap((columns) => (['memfs', 'disk'] as const).map((where) => [entry.name, columns, where] as const))),
)('fixture %s, %s columns (%s)', (name, columns, where) => {
  const folder = join(cgroupFixturesDir, name)
  const targets = JSON.parse(readFileSync(join(folder, 'targets.json'), 'utf8')) as FixtureTarget[]
  const fake = tree(name, where)
  const clock = fakeClock()
  const logger = memoryLogger()
  const factory = createCollectorFactory({ root: fake.root, fs: fake.fs, logger, clock, columns, procRoot: fake.procRoot, ...(fake.mountinfo !== undefined && { mountinfo: fake.mountinfo }) })
  const opened = targets.map((spec) => ({ spec, collector: factory.open(target(spec.cgroup, spec.name)) }))
  const lines = new Map(targets.map((spec) => [spec.name, [] as string[]]))
  for (let tickIndex = 0; tickIndex < 2; tickIndex++) {
    if (tickIndex === 1) {
      for (const file of filesUnder(join(folder, 'next'))) fake.write(file, readFileSync(join(folder, 'next', file), 'utf8'))
      if (existsSync(join(folder, 'next-proc'))) {
        for (const file of filesUnder(join(folder, 'next-proc'))) fake.fs.writeFileSync(join(fake.procRoot, file), readFileSync(join(folder, 'next-proc', file)))
      }
      clock.advance(INTERVAL_MS)
    }
    for (const { spec, collector } of opened) {
      if (!collector) continue
      const row = new Row(target(spec.cgroup), collector.info.columns)
      row.reset()
      expect(collector.collect(row)).toBe(true)
      const expectedRead = `${(START_MS + tickIndex * INTERVAL_MS) * 1_000_000}`
      expect(row.text(0)).toBe(expectedRead)
      lines.get(spec.name)!.push(`READ${row.toString().slice(expectedRead.length)}`)
    }
  }

  test('real kernel files give no warning', () => {
    expect(logger.lines.filter((line) => line.includes('Warning'))).toEqual([])
  })

  test.each(targets.map((spec) => spec.name))('%s', (targetName) => {
    const { spec, collector } = opened.find((entry) => entry.spec.name === targetName)!
    expect(collector).not.toBeNull()
    expect(collector!.error).toBeNull()
    expect({ type: collector!.info.type, cgroup: collector!.info.cgroup, driver: collector!.info.driver }).toEqual({
      type: spec.type,
      cgroup: spec.path,
      driver: spec.driver,
    })
    const expected = readFileSync(join(folder, 'expected', `${targetName}.csv`), 'utf8').trimEnd().split('\n')
    if (columns === 'radvisor') {
      expect(collector!.info.columns.join(',')).toBe(expected[0]!)
      expect(lines.get(targetName)).toEqual(expected.slice(1))
      expect(collector!.info.network).toBeUndefined()
    } else {
      const [network, extraColumns, ...extraRows] = readFileSync(join(folder, 'expected-extended', `${targetName}.csv`), 'utf8').trimEnd().split('\n')
      expect(collector!.info.columns.join(',')).toBe(`${expected[0]},${extraColumns}`)
      expect(lines.get(targetName)).toEqual(expected.slice(1).map((row, i) => `${row},${extraRows[i]}`))
      expect(`# Network: ${collector!.info.network ?? '~'}`).toBe(network!)
    }
    collector!.close()
  })
})
