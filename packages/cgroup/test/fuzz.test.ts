import { describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type CgroupLocator, type Collector, type FileSystem, memoryLogger, Row } from '@radvisor/core'
import { cgroupFixturesDir, createFakeCgroupFs, type FakeCgroupFs } from '@radvisor/testing'
import { createCollectorFactory } from '../src/index.ts'
import { fakeClock, START_MS, target } from './_support.ts'

// Seeded fuzzing of the v1 and v2 collectors: the real captured trees of fixtures/cgroup/,
// with their files mutated (bit flips, truncation, huge numbers, binary junk, CRLF,
// duplicated keys, long lines, ...) between ticks and at open. Every collect must return
// without throwing, within a bound, with every cell empty or well formed for its column.
// The seed is random unless RADVISOR_FUZZ_SEED is set, and printed so that a failure repeats.

const SEED = Number(process.env.RADVISOR_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0
const MUTATED_FILES = Number(process.env.RADVISOR_FUZZ_FILES ?? 10_000)
/** Generous: the machine is shared and loaded. A slow collect is measured again before it fails. */
const COLLECT_BOUND_MS = 50
const U64_MAX = 2n ** 64n - 1n
/** Limits the kernel writes as `max`, and so may a cell. */
const MAX_ALLOWED = new Set(['pids.max', 'memory.high', 'memory.max'])
/** `network.interfaces`: `<name> <8 u64s>` per interface, `;` between, names of letters, digits, `._-` and `%XX`. */
const INTERFACE = /^[A-Za-z0-9._-]*(?:%[0-9A-F]{2}[A-Za-z0-9._-]*)*((?: \d{1,20}){8})$/
console.log(`cgroup fuzz seed ${SEED} (repeat with RADVISOR_FUZZ_SEED=${SEED})`)

/** mulberry32: a small, fast, seeded generator. */
function generator(seed: number) {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const int = (below: number): number => Math.floor(next() * below)
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)]! }
}
type Random = ReturnType<typeof generator>

const encoder = new TextEncoder()
const bytes = (text: string): Uint8Array => encoder.encode(text)
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
/** `count` digits (a random block repeated: cheap for thousands of digits). */
function digits(random: Random, count: number): string {
  const block = Array.from({ length: Math.min(count, 16) }, () => random.int(10)).join('')
  return block.repeat(Math.ceil(count / block.length)).slice(0, count)
}
const HUGE_NUMBERS: readonly ((random: Random) => string)[] = [
  () => '18446744073709551615',
  () => '18446744073709551616',
  () => '99999999999999999999',
  () => '9007199254740993',
  () => '00000000000000000000001',
  (random) => `1${'0'.repeat(20 + random.int(400))}`,
  (random) => digits(random, 21 + random.int(5000)),
  () => '1'.padEnd(309, '0'),
]

/** Spans of decimal digits in `content`. */
function digitRuns(content: Uint8Array): [number, number][] {
  const runs: [number, number][] = []
  for (let i = 0; i < content.length; i++) {
    if (content[i]! < 0x30 || content[i]! > 0x39) continue
    const start = i
    while (i < content.length && content[i]! >= 0x30 && content[i]! <= 0x39) i++
    runs.push([start, i])
  }
  return runs
}

/** Replaces a random digit run with `replacement` (or inserts it when there is none). */
function replaceRun(random: Random, content: Uint8Array, replacement: (run: Uint8Array) => Uint8Array): Uint8Array {
  const runs = digitRuns(content)
  const [start, end] = runs.length > 0 ? random.pick(runs) : [content.length, content.length]
  return concat(content.subarray(0, start), replacement(content.subarray(start, end)), content.subarray(end))
}

function lines(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let start = 0
  for (let i = 0; i <= content.length; i++) {
    if (i === content.length || content[i] === 0x0a) {
      if (i > start || i < content.length) out.push(content.subarray(start, Math.min(i + 1, content.length)))
      start = i + 1
    }
  }
  return out
}

const MUTATIONS: Record<string, (random: Random, content: Uint8Array) => Uint8Array> = {
  bitFlips(random, content) {
    const out = content.slice()
    for (let n = 1 + random.int(8); n > 0 && out.length > 0; n--) out[random.int(out.length)]! ^= 1 << random.int(8)
    return out
  },
  truncation: (random, content) => content.slice(0, random.int(content.length + 1)),
  hugeNumber: (random, content) => replaceRun(random, content, () => bytes(random.pick(HUGE_NUMBERS)(random))),
  binaryJunk(random, content) {
    const junk = Uint8Array.from({ length: 1 + random.int(64) }, () => random.int(256))
    if (random.int(4) === 0) return junk
    const at = random.int(content.length + 1)
    return concat(content.subarray(0, at), junk, content.subarray(at + random.int(8)))
  },
  crlf: (_random, content) => bytes(new TextDecoder('latin1').decode(content).replaceAll('\n', '\r\n')),
  duplicatedKeys(random, content) {
    const all = lines(content)
    if (all.length === 0) return content
    const copies = Array.from({ length: 1 + random.int(3) }, () => random.pick(all))
    const at = random.int(all.length + 1)
    return concat(...all.slice(0, at), ...copies.map((line) => (line.at(-1) === 0x0a ? line : concat(line, bytes('\n')))), ...all.slice(at))
  },
  empty: () => new Uint8Array(0),
  longLine(random, content) {
    const length = random.int(8) === 0 ? 100_000 + random.int(200_000) : 1000 + random.int(20_000)
    const fill = random.pick(['x', '7', ' ', 'key ', '8:0 Read 1'])
    const line = bytes(`${fill.repeat(Math.ceil(length / fill.length))}\n`)
    const starts = [0, ...lines(content).map((l) => l.byteOffset - content.byteOffset + l.length)]
    const at = random.pick(starts)
    return concat(content.subarray(0, at), line, content.subarray(at))
  },
  missingNewlines(random, content) {
    const text = new TextDecoder('latin1').decode(content)
    return bytes(random.int(2) === 0 ? text.replaceAll('\n', random.pick(['', ' '])) : text.replace(/\n$/, ''))
  },
  negative: (random, content) => replaceRun(random, content, (run) => concat(bytes('-'), run)),
  maxInOddPlaces: (random, content) => replaceRun(random, content, () => bytes(random.pick(['max', 'MAX', 'maxx', 'max max', 'ma']))),
  whitespace: (random, content) =>
    bytes(new TextDecoder('latin1').decode(content).replace(/ /g, () => random.pick([' ', ' ', '\t', '  ', '']))),
  nul(random, content) {
    const at = random.int(content.length + 1)
    return concat(content.subarray(0, at), new Uint8Array(1 + random.int(4)), content.subarray(at))
  },
  megabytes: (random) => bytes(digits(random, 10).repeat(110_000 + random.int(100_000))),
}
/** Megabyte files are rare: they cost time and test one thing (the buffer cap). */
const WEIGHTED = Object.keys(MUTATIONS).flatMap((name) => Array<string>(name === 'megabytes' ? 1 : 40).fill(name))

function mutate(random: Random, content: Uint8Array): Uint8Array {
  let out = content
  for (let n = 1 + random.int(3); n > 0; n--) out = MUTATIONS[random.pick(WEIGHTED)]!(random, out)
  return out
}

/** Checks one cell against its column's grammar; returns what is wrong, or null. */
function cellProblem(column: string, text: string, cpuCount: number): string | null {
  if (text === '') return null
  const isU64 = (value: string): boolean => /^\d{1,20}$/.test(value) && BigInt(value) <= U64_MAX
  if (column === 'read') return /^\d{19}$/.test(text) ? null : 'not 19 digits'
  if (column === 'cpu.usage.percpu') {
    const values = text.split(' ')
    if (!values.every(isU64)) return 'not a list of u64s'
    return values.length <= (cpuCount || 8192) ? null : `more than ${cpuCount} values`
  }
  if (column === 'network.interfaces') {
    const entries = text.split(';')
    if (entries.length > 64) return 'more than 64 interfaces'
    for (const entry of entries) {
      const match = INTERFACE.exec(entry)
      if (!match || entry.startsWith(' ') || !match[1]!.trim().split(' ').every(isU64)) return `not an interface entry: ${JSON.stringify(entry.slice(0, 80))}`
    }
    return null
  }
  if (text === 'max') return MAX_ALLOWED.has(column) ? null : 'max where it is not allowed'
  return isU64(text) ? null : 'not a u64'
}

interface Opened {
  readonly collector: Collector
  readonly row: Row
  readonly files: readonly string[]
  readonly cpuCount: number
  readonly reported: Map<string, number>
}

interface Case {
  readonly name: string
  readonly fake: FakeCgroupFs
  readonly originals: Map<string, Uint8Array>
  readonly targets: readonly CgroupLocator[]
  open(cgroup: CgroupLocator): Opened
  readonly logger: ReturnType<typeof memoryLogger>
}

function loadCase(name: string): Case {
  const specs = JSON.parse(readFileSync(join(cgroupFixturesDir, name, 'targets.json'), 'utf8')) as { cgroup: CgroupLocator }[]
  const fake = createFakeCgroupFs(name)
  const logger = memoryLogger('normal')
  const originals = new Map<string, Uint8Array>()
  let opening: string[] = []
  const fs: FileSystem = {
    ...fake.fs,
    openSync: ((path: string, ...rest: unknown[]) => {
      opening.push(fake.fs.realpathSync(path) as string)
      return (fake.fs.openSync as (...args: unknown[]) => number)(path, ...rest)
    }) as FileSystem['openSync'],
  }
  const factory = createCollectorFactory({ root: fake.root, fs, logger, clock: fakeClock(), procRoot: fake.procRoot })
  return {
    name,
    fake,
    originals,
    logger,
    targets: specs.map((spec) => spec.cgroup),
    open(cgroup) {
      opening = []
      const collector = factory.open(target(cgroup))
      if (!collector) throw new Error(`fixture ${name}: no cgroup for ${JSON.stringify(cgroup)}`)
      // Absolute paths: the cgroup files, and /proc files of the target's process (net/dev).
      const files = opening
      for (const file of files) {
        if (!originals.has(file)) originals.set(file, new Uint8Array(fake.fs.readFileSync(file) as Buffer))
      }
      const cpuCount = collector.info.columnTypes['cpu.usage.percpu']?.Count ?? 0
      return { collector, row: new Row(target(cgroup), collector.info.columns), files, cpuCount, reported: new Map() }
    },
  }
}

/** One collect, checked; its time is measured again (up to twice) when over the bound. */
function collectChecked(kase: Case, opened: Opened, context: string): void {
  const { collector, row } = opened
  const linesBefore = kase.logger.lines.length
  let fastest = Number.POSITIVE_INFINITY
  let collected = false
  for (let attempt = 0; attempt < 3 && fastest > COLLECT_BOUND_MS; attempt++) {
    row.reset()
    const started = performance.now()
    try {
      collected = collector.collect(row)
    } catch (error) {
      throw new Error(`seed ${SEED}, ${context}: collect threw ${String(error)}`)
    }
    fastest = Math.min(fastest, performance.now() - started)
  }
  if (fastest > COLLECT_BOUND_MS) throw new Error(`seed ${SEED}, ${context}: collect took ${fastest.toFixed(1)} ms`)
  if (collector.error) throw new Error(`seed ${SEED}, ${context}: the collector failed: ${collector.error.message}`)
  // v2 gives no row when every file reads empty.
  if (!collected) {
    if (collector.info.type !== 'cgroup_v2') throw new Error(`seed ${SEED}, ${context}: no row`)
    return
  }
  const columns = collector.info.columns
  if (row.cells !== columns.length) throw new Error(`seed ${SEED}, ${context}: ${row.cells} cells for ${columns.length} columns`)
  for (let i = 0; i < columns.length; i++) {
    const text = row.text(i) ?? ''
    const problem = cellProblem(columns[i]!, text, opened.cpuCount)
    if (problem) throw new Error(`seed ${SEED}, ${context}: ${columns[i]} = ${JSON.stringify(text.slice(0, 80))}: ${problem}`)
  }
  for (const line of kase.logger.lines.slice(linesBefore)) {
    if (/[\x00-\x1f\x7f]/.test(line) || line.length > 1000) throw new Error(`seed ${SEED}, ${context}: bad report line ${JSON.stringify(line.slice(0, 200))}`)
    const path = /^\s*Warning cgroup \S+: (\S+) /.exec(line)?.[1] ?? line
    const count = (opened.reported.get(path) ?? 0) + 1
    if (count > 1) throw new Error(`seed ${SEED}, ${context}: reported twice: ${line}`)
    opened.reported.set(path, count)
  }
}

describe('fuzzed cgroup files', () => {
  test(`${MUTATED_FILES} mutated files through the v1 and v2 collectors (seed ${SEED})`, () => {
    const random = generator(SEED)
    const names = readdirSync(cgroupFixturesDir, { withFileTypes: true }).filter((entry) => existsSync(join(cgroupFixturesDir, entry.name, 'targets.json')))
    const cases = names.map((entry) => loadCase(entry.name))
    const opened = cases.map((kase) => kase.targets.map((cgroup) => kase.open(cgroup)))
    const types = new Set(opened.flat().map((entry) => entry.collector.info.type))
    expect([...types].sort()).toEqual(['cgroup_v1', 'cgroup_v2'])
    // The extended columns' files are among those mutated.
    const fileNames = new Set(opened.flat().flatMap((entry) => entry.files.map((file) => file.split('/').slice(-2).join('/'))))
    for (const file of ['cpu.pressure', 'memory.pressure', 'io.pressure', 'memory.events', 'memory.oom_control', 'net/dev', 'oom_score_adj']) {
      expect([...fileNames].some((name) => name.endsWith(file))).toBe(true)
    }
    // Straight to the files (they exist): `FakeCgroupFs.write` also creates folders, which costs more than a collect.
    const write = (kase: Case, file: string, content: Uint8Array): void => kase.fake.fs.writeFileSync(file, content)

    let mutated = 0
    for (let iteration = 0; mutated < MUTATED_FILES; iteration++) {
      const c = random.int(cases.length)
      const kase = cases[c]!
      const t = random.int(kase.targets.length)
      const files = opened[c]![t]!.files
      const chosen = Array.from({ length: 1 + random.int(4) }, () => random.pick(files))
      for (const file of chosen) write(kase, file, mutate(random, kase.originals.get(file)!))
      mutated += chosen.length
      const context = `iteration ${iteration}, ${kase.name}, ${chosen.join(' ')}`
      // Now and then a collector opens on mutated files (the CPU count, buffer sizes).
      if (random.int(50) === 0) {
        opened[c]![t]!.collector.close()
        opened[c]![t] = kase.open(kase.targets[t]!)
      }
      collectChecked(kase, opened[c]![t]!, context)
      for (const file of chosen) write(kase, file, kase.originals.get(file)!)
      if (kase.logger.lines.length > 1000) kase.logger.lines.length = 0
    }
    for (const entry of opened.flat()) entry.collector.close()
    expect(mutated).toBeGreaterThanOrEqual(MUTATED_FILES)
  }, 60_000)

  test('sums over devices and interfaces are exact, or empty past 2^64 - 1 (seed ' + SEED + ')', () => {
    const random = generator(SEED ^ 0x5eed)
    const value = (): bigint =>
      random.pick([
        () => BigInt(random.int(1000)),
        () => 2n ** 53n + BigInt(random.int(1000)) - 500n,
        () => U64_MAX - BigInt(random.int(1000)),
        () => BigInt(`1${digits(random, random.int(19))}`),
        () => (U64_MAX / BigInt(2 + random.int(6))) * BigInt(1 + random.int(2)),
      ])()
    const root = '/sys/fs/cgroup'
    const cgroup = 'docker/abc'
    const fake = createFakeCgroupFs({ 'cpu,cpuacct/docker/abc/': '', 'blkio/docker/abc/blkio.time_recursive': ''})
    const v1 = createCollectorFactory({ root, fs: fake.fs, logger: memoryLogger(), clock: fakeClock(START_MS) }).open(target({ kind: 'path', path: cgroup }))!
    const v2fake = createFakeCgroupFs({ 'cgroup.controllers': 'io\n', 'docker/abc/io.stat': '', 'docker/abc/cgroup.procs': '77\n' })
    v2fake.addProcess(1, { netns: 'net:[1]' })
    v2fake.addProcess(77, { netns: 'net:[2]', netDev: '' })
    const v2 = createCollectorFactory({ root, fs: v2fake.fs, logger: memoryLogger(), clock: fakeClock(START_MS), procRoot: v2fake.procRoot }).open(
      target({ kind: 'path', path: cgroup }),
    )!
    const row = (collector: Collector) => new Row(target({ kind: 'path', path: cgroup }), collector.info.columns)
    const [v1Row, v2Row] = [row(v1), row(v2)]
    const timeColumn = v1.info.columns.indexOf('blkio.time')
    const rbytesColumn = v2.info.columns.indexOf('io.stat/rbytes')
    const txColumn = v2.info.columns.indexOf('network.tx_bytes')
    const netDevHeadings = 'Inter-|   Receive |  Transmit\n face |bytes    packets|bytes    packets\n'
    for (let i = 0; i < 2000; i++) {
      const values = Array.from({ length: 1 + random.int(6) }, value)
      const sum = values.reduce((total, v) => total + v, 0n)
      const expected = sum <= U64_MAX ? String(sum) : ''
      fake.write(`blkio/${cgroup}/blkio.time_recursive`, values.map((v, device) => `8:${device * 16} ${v}\n`).join(''))
      v2fake.write(`${cgroup}/io.stat`, values.map((v, device) => `8:${device * 16} rbytes=${v} wbytes=0\n`).join(''))
      const lines = values.map((v, device) => `  eth${device}: 0 0 0 0 0 0 0 0 ${v} 1 0 0 0 0 0 0\n`).join('')
      v2fake.fs.writeFileSync('/proc/77/net/dev', `${netDevHeadings}    lo: 5 5 0 0 0 0 0 0 ${U64_MAX} 5 0 0 0 0 0 0\n${lines}`)
      v1Row.reset()
      v2Row.reset()
      v1.collect(v1Row)
      v2.collect(v2Row)
      const context = `seed ${SEED}, sum of ${values.join(' + ')}`
      expect({ context, cell: v1Row.text(timeColumn) ?? '' }).toEqual({ context, cell: expected })
      expect({ context, cell: v2Row.text(rbytesColumn) ?? '' }).toEqual({ context, cell: expected })
      expect({ context, cell: v2Row.text(txColumn) ?? '' }).toEqual({ context, cell: expected })
    }
  })
})
