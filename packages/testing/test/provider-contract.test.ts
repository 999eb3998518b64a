import { expect, test } from 'bun:test'
import { join } from 'node:path'
import { testProvider } from '@radvisor/testing'
import { memoryProvider } from './fixtures/memory-provider.ts'

let source = memoryProvider()
testProvider(
  'memory reference provider',
  () => {
    source = memoryProvider()
    return source.create()
  },
  {
    addTarget: () => source.add(),
    removeTarget: (id) => source.remove(id),
    watches: true,
    failNextPoll: () => source.failNextPoll(),
    unreachable: () => source.create(false),
  },
)

test('the suite fails each flawed provider on the rule it breaks, and only there', async () => {
  const child = Bun.spawn([process.execPath, 'test', join(import.meta.dir, 'fixtures/flawed-providers.contract.ts')], {
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  })
  const text = (await new Response(child.stdout).text()) + (await new Response(child.stderr).text())
  await child.exited
  // Bun lists failures again at the end of a long run: count each once.
  const failed = [...new Set([...text.matchAll(/^\(fail\) provider contract: (\S+) > (.+?)(?: \[[\d.]+ms\])?$/gm)].map((m) => `${m[1]} > ${m[2]}`))]
  const listing = 'init, then poll: every target has a safe, unique id, a name, metadata, polledAt and a valid locator'
  const stable = 'ids are stable: a second poll with nothing changed lists the same ids'
  const changes = 'a target that starts is listed by the next poll, and one that stops is not'
  const watch = 'watch calls onChange after a change, a poll then lists it, and close stops the watch'
  const failing = 'a poll that fails at the source fails with a one-line RadvisorError, and the next poll works'
  const unreachable = 'init fails with a one-line RadvisorError when the source cannot be reached, and close still works'
  expect(failed.sort()).toEqual(
    [
      // A bad id or locator fails every test that checks what a poll lists.
      ...[listing, stable, changes, watch, failing].map((name) => `unsafe-ids > ${name}`),
      ...[listing, stable, changes, watch, failing].map((name) => `absolute-paths > ${name}`),
      `unstable-ids > ${stable}`,
      `unstable-ids > ${changes}`,
      `unstable-ids > ${watch}`,
      `unstable-ids > ${failing}`,
      `raw-errors > ${failing}`,
      `multi-line-init-error > ${unreachable}`,
      `watch-after-close > ${watch}`,
      `silent-watch > ${watch}`,
      `stale-poll > ${changes}`,
      `stale-poll > ${watch}`,
    ].sort(),
  )
})
