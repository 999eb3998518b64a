import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { testSink } from '@radvisor/testing'
import { memorySink, memoryStateSink } from './fixtures/memory-sink.ts'

let current: ReturnType<typeof memorySink>
testSink(
  'memory reference sink',
  (context) => {
    current = memorySink(context)
    return current.sink
  },
  { output: () => current.output(), breakOutput: () => current.breakOutput() },
)

let state: ReturnType<typeof memoryStateSink>
testSink(
  'memory state sink',
  () => {
    state = memoryStateSink()
    return state.sink
  },
  { output: () => state.output(), state: true },
)

test('the suite fails each flawed sink on the rule it breaks, and only there', async () => {
  const child = Bun.spawn([process.execPath, 'test', join(import.meta.dir, 'fixtures/flawed-sinks.contract.ts')], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  })
  const text = (await new Response(child.stdout).text()) + (await new Response(child.stderr).text())
  await child.exited
  const failed = [...text.matchAll(/^\(fail\) sink contract: (\S+) > (.+?)(?: \[[\d.]+ms\])?$/gm)].map((m) => `${m[1]} > ${m[2]}`)
  const everyRow = 'every row written reaches the output, in order per target, through open, write, flush and close'
  const shutdown = 'close alone writes out every buffered row (shutdown flush)'
  const failing =
    'a failing output: write never throws, flush and close fail only with a RadvisorError, and every row missing from the output is counted as lost'
  expect(failed.sort()).toEqual(
    [
      `keeps-row-references > ${everyRow}`,
      `keeps-row-references > ${shutdown}`,
      `loses-buffer-at-close > ${shutdown}`,
      `loses-buffer-at-close > ${failing}`,
      `throws-raw-errors > ${failing}`,
      `drops-silently > ${failing}`,
      `keeps-closed-targets > ${everyRow}`,
    ].sort(),
  )
})
