import { describe, expect, test } from 'bun:test'
import { cpuBetween, processCpuNs, type ThreadCpu, threadCpu } from '../_proc.ts'

const threads = (entries: [tid: string, name: string, ns: number][]): ThreadCpu => new Map(entries.map(([tid, name, ns]) => [tid, { name, ns }]))

describe('cpuBetween', () => {
  test('a thread that ended between the samples takes nothing off the sum; one that started counts whole', () => {
    const before = threads([
      ['1', 'bun.exe', 1_000],
      ['2', 'JITWorker', 200_000],
    ])
    const after = threads([
      ['1', 'bun.exe', 1_500],
      ['3', 'HeapHelper', 30],
    ])
    expect(cpuBetween(before, after)).toEqual(
      new Map([
        ['', 530],
        ['bun.exe', 500],
        ['HeapHelper', 30],
      ]),
    )
  })

  test('threads of one name are summed', () => {
    const before = threads([
      ['1', 'Bun Pool #', 10],
      ['2', 'Bun Pool #', 20],
    ])
    const after = threads([
      ['1', 'Bun Pool #', 15],
      ['2', 'Bun Pool #', 27],
    ])
    expect(cpuBetween(before, after).get('Bun Pool #')).toBe(12)
  })
})

const perl = Bun.which('perl')
if (!perl) console.warn('proc test: the thread that ends in the window needs perl (as the bench spinners do); skipping it')

/** A process whose second thread spins 300 ms, then ends when told (a line on stdin); the main thread then spins 50 ms. */
const THREAD_THAT_ENDS = `
use threads; use threads::shared; use Time::HiRes qw(time);
$| = 1;
sub spin { my $end = time + shift; 1 while time < $end }
my $go :shared = 0;
my $thread = threads->create(sub { spin(0.3); print "ready\\n"; lock($go); cond_wait($go) until $go; });
<STDIN>;
{ lock($go); $go = 1; cond_signal($go); }
$thread->join;
spin(0.05);
print "done\\n";
sleep 30;
`

describe.skipIf(process.platform !== 'linux')('on a live process (Linux /proc)', () => {
  test.skipIf(!perl)('a thread that worked before the window and ends in it takes nothing off it', async () => {
    const child = Bun.spawn([perl!, '-e', THREAD_THAT_ENDS], { stdin: 'pipe', stdout: 'pipe' })
    try {
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader()
      const expectLine = async (line: string) => expect((await lines.read()).value?.trim()).toBe(line)
      await expectLine('ready')
      const before = threadCpu(child.pid)
      child.stdin.write('\n')
      await child.stdin.flush()
      await expectLine('done')
      const after = threadCpu(child.pid)
      expect([before.size, after.size]).toEqual([2, 1])
      // Summing both samples whole would give about 50 - 300 ms here.
      expect(cpuBetween(before, after).get('')!).toBeGreaterThan(40_000_000)
      expect(cpuBetween(before, after).get('')!).toBeLessThan(250_000_000)
    } finally {
      child.kill('SIGKILL')
      await child.exited
    }
  })

  test('processCpuNs counts ended threads too, at clock-tick resolution', () => {
    const total = processCpuNs(process.pid)
    const usage = process.cpuUsage()
    expect(total % 10_000_000).toBe(0)
    expect(Math.abs(total - (usage.user + usage.system) * 1000)).toBeLessThan(100_000_000)
  })
})
