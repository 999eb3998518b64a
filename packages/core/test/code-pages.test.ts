import { afterAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { executableRanges } from '../src/code-pages.ts'

const linux = process.platform === 'linux'
if (!linux) console.warn(`skipping the page-out test: ${process.platform} is not Linux`)

describe('the executable’s read-only mappings', () => {
  const maps = [
    '55d1c8a00000-55d1c8e00000 r--p 00000000 fe:01 1234    /opt/bun dir/bun',
    '55d1c8e00000-55d1cc000000 r-xp 00400000 fe:01 1234    /opt/bun dir/bun',
    '55d1cc000000-55d1cc200000 rw-p 03600000 fe:01 1234    /opt/bun dir/bun',
    '55d1cc200000-55d1cc300000 r--p 03800000 fe:01 1234    /opt/bun dir/bun-other',
    '7f0000000000-7f0000200000 r-xp 00000000 fe:01 99      /usr/lib/x86_64-linux-gnu/libc.so.6',
    '7f0000400000-7f0000500000 rw-p 00000000 00:00 0 ',
    '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0      [stack]',
    '',
  ].join('\n')

  test('only the executable’s own, never a writable one (its data) or another file’s', () => {
    expect(executableRanges('/opt/bun dir/bun', maps)).toEqual([0x55d1c8a00000n, 0x400000n, 0x55d1c8e00000n, 0x3200000n])
  })

  test('none when the executable is not mapped under that name (replaced: “ (deleted)”)', () => {
    expect(executableRanges('/usr/bin/bun', maps)).toEqual([])
  })
})

// A copy of the running Bun, so that no other process maps its pages: the kernel skips those.
describe.skipIf(!linux)('paging out the executable', () => {
  const folder = fs.mkdtempSync(join(tmpdir(), 'radvisor-page-out-'))
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }))

  test('gives back most of its resident pages, on a thread, and the process goes on; at most 16 passes', async () => {
    const bun = join(folder, 'bun')
    fs.copyFileSync(process.execPath, bun)
    fs.chmodSync(bun, 0o755)
    const script = join(folder, 'page-out.ts')
    fs.writeFileSync(
      script,
      `import { readFileSync } from 'node:fs'
import { pageOutExecutable, pageOutProgress } from ${JSON.stringify(join(import.meta.dir, '../src/index.ts'))}
const resident = () => Number(/RssFile:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1])
const before = resident()
const problem = pageOutExecutable()
const returned = pageOutProgress()
while (problem === null && !pageOutProgress().finished) await Bun.sleep(5)
const after = resident()
// Passes may overlap; a process may start 16, then each start says why not.
const more = Array.from({ length: 16 }, () => pageOutExecutable())
while (!pageOutProgress().finished) await Bun.sleep(5)
console.log(JSON.stringify({ before, after, problem, returned, progress: pageOutProgress(), more, sum: [1, 2, 3].reduce((a, b) => a + b) }))
`,
    )
    const child = Bun.spawn([bun, script], { stdout: 'pipe', stderr: 'pipe' })
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' })
    const result = JSON.parse(stdout) as { before: number; after: number; problem: string | null; returned: { started: boolean }; progress: unknown; more: (string | null)[]; sum: number }
    expect(result.problem).toBeNull()
    expect(result.returned.started).toBe(true)
    expect(result.progress).toEqual({ started: true, finished: true, errno: 0 })
    expect(result.more).toEqual([...Array(15).fill(null), 'all 16 passes a process may start were used'])
    // Code paged out runs again: its pages come back when used.
    expect(result.sum).toBe(6)
    // File-backed resident memory, in KiB: ~30 MiB after a start, a few MiB once paged out.
    expect(result.before).toBeGreaterThan(10_000)
    expect(result.after).toBeLessThan(result.before / 2)
  }, 30_000)
})
