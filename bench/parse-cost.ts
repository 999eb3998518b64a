/**
 * `bun bench/parse-cost.ts [<other checkout>] [--pairs 5] [--cases a,b]`: what the collectors cost on top of
 * the reads, without the kernel: every fixture target of `fixtures/cgroup/` collected back to
 * back, each read served from memory (one copy of the file's bytes, no system call; one call
 * per target, like the native batch read), so only radvisor's parsing and formatting are
 * timed: the least CPU time of ten slices, as load on the machine only adds to it. With
 * another checkout (e.g. the commit before a change), its collectors run the same way in
 * alternation, each in a fresh child process. Needs no root.
 *
 * `bun bench/parse-cost.ts --run <checkout>` is the child: prints ns per collect as JSON.
 */
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    pairs: { type: 'string', default: '5' },
    run: { type: 'string' },
    collects: { type: 'string', default: '200000' },
    cases: { type: 'string', default: 'v1-cgroupfs-docker,v1-systemd-kubernetes,v1-cfq-no-pids,hybrid-systemd-docker,v2-systemd,v2-cgroupfs' },
  },
})
const here = resolve(import.meta.dir, '..')

if (options.run) {
  console.log(JSON.stringify(await measure(resolve(options.run), Number(options.collects))))
} else {
  const checkouts = [here, ...positionals.map((path) => resolve(path))]
  const results = new Map<string, number[]>(checkouts.map((checkout) => [checkout, []]))
  for (let pair = 0; pair < Number(options.pairs); pair++) {
    const order = pair % 2 === 0 ? checkouts : [...checkouts].reverse()
    for (const checkout of order) {
      const child = Bun.spawnSync([process.execPath, import.meta.path, '--run', checkout, '--collects', options.collects, '--cases', options.cases], {
        stderr: 'inherit',
      })
      if (child.exitCode !== 0) throw new Error(`parse-cost child for ${checkout} failed`)
      const { nsPerCollect } = JSON.parse(child.stdout.toString()) as { nsPerCollect: number }
      results.get(checkout)!.push(nsPerCollect)
    }
    console.error(`pair ${pair + 1}: ${checkouts.map((checkout) => `${checkout} ${results.get(checkout)!.at(-1)!.toFixed(0)} ns`).join(', ')}`)
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  for (const checkout of checkouts) {
    const values = results.get(checkout)!
    console.log(`${checkout}: median ${median(values).toFixed(0)} ns per collect [${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}]`)
  }
}

/** ns per collect over every fixture target of `checkout`, reads served from memory. */
async function measure(checkout: string, collects: number): Promise<{ nsPerCollect: number; targets: number }> {
  const cgroup = await import(join(checkout, 'packages/cgroup/src/index.ts'))
  const core = await import(join(checkout, 'packages/core/src/index.ts'))
  const testing = await import(join(checkout, 'packages/testing/src/index.ts'))
  const fixtures: string = testing.cgroupFixturesDir
  const cases = options.cases.split(',')
  const collectors: { collect(row: unknown): boolean }[] = []
  const rows: { reset(): void }[] = []
  for (const name of cases) {
    const fake = testing.createFakeCgroupFs(name)
    // Each descriptor's bytes, read once at open; reads copy them, as the kernel would.
    const contents = new Map<number, Uint8Array>()
    const fs = {
      ...fake.fs,
      openSync: (path: string, ...rest: unknown[]) => {
        const fd = fake.fs.openSync(path, ...rest)
        contents.set(fd, new Uint8Array(fake.fs.readFileSync(path)))
        return fd
      },
      readSync: (fd: number, buffer: Uint8Array, offset: number, length: number) => {
        const bytes = contents.get(fd)!
        const count = Math.min(length, bytes.length)
        buffer.set(count === bytes.length ? bytes : bytes.subarray(0, count), offset)
        return count
      },
      // One call per target, as the native batch read in production.
      readBatch: (requests: Int32Array, count: number, buffer: Uint8Array) => {
        for (let at = 0; at < count * 4; at += 4) {
          const bytes = contents.get(requests[at]!)!
          const length = Math.min(requests[at + 2]!, bytes.length)
          buffer.set(length === bytes.length ? bytes : bytes.subarray(0, length), requests[at + 1]!)
          requests[at + 3] = length
        }
      },
    }
    const factory = cgroup.createCollectorFactory({ root: fake.root, fs, logger: core.memoryLogger(), clock: core.systemClock })
    const specs = JSON.parse(readFileSync(join(fixtures, name, 'targets.json'), 'utf8')) as { cgroup: unknown }[]
    for (const spec of specs) {
      const target = { provider: 'bench', id: 'x', name: 'x', metadata: {}, polledAt: 0n, cgroup: spec.cgroup }
      const collector = factory.open(target)
      collectors.push(collector)
      rows.push(new core.Row(target, collector.info.columns))
    }
  }
  const rounds = Math.ceil(collects / collectors.length)
  const tick = (): void => {
    for (let i = 0; i < collectors.length; i++) {
      rows[i]!.reset()
      collectors[i]!.collect(rows[i])
    }
  }
  for (let i = 0; i < rounds / 5; i++) tick()
  // The least of ten slices: other processes on a loaded machine only ever add time.
  let least = Number.POSITIVE_INFINITY
  for (let slice = 0; slice < 10; slice++) {
    const started = process.cpuUsage()
    for (let i = 0; i < rounds / 10; i++) tick()
    const used = process.cpuUsage(started)
    least = Math.min(least, used.user + used.system)
  }
  return { nsPerCollect: (least * 1000) / ((rounds / 10) * collectors.length), targets: collectors.length }
}
