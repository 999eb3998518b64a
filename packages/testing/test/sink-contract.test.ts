import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { testSink } from '@radvisor/testing'
import { memorySink } from './fixtures/memory-sink.ts'

let current = memorySink()
testSink(
  'memory reference sink',
  () => {
    current = memorySink()
    return current.sink
  },
  { output: () => current.output(), breakOutput: () => current.breakOutput() },
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
  expect(failed.sort()).toEqual(
    [
      'keeps-row-references > open, write, flush, closeTarget and close in the runner order keep every row',
      'keeps-row-references > close alone writes out every buffered row (shutdown flush)',
      'keeps-row-references > a write after closeTarget or after close is ignored and does not throw',
      'throws-after-close > a write after closeTarget or after close is ignored and does not throw',
      'loses-buffer-at-close > close alone writes out every buffered row (shutdown flush)',
      'throws-raw-errors > a failing output: write never throws; flush, closeTarget and close fail only with a RadvisorError',
    ].sort(),
  )
})
