import { describe, expect, test } from 'bun:test'
import { type CgroupLocator, printable, type Provider, RadvisorError, type Target, targetIdProblem } from '@radvisor/core'

/** How the suite changes and breaks what a provider watches; everything is optional. */
export interface ProviderContractOptions {
  /**
   * Makes one more target run (start a container on the mock engine, add a pod to the
   * mock API, create a cgroup in the fake tree) and returns the id the provider must give
   * it. Without it, the tests of changes and of `watch` are not registered.
   */
  readonly addTarget?: () => string | Promise<string>
  /** Stops the target `addTarget` made with this id. */
  readonly removeTarget?: (id: string) => void | Promise<void>
  /**
   * Whether the provider pushes changes (`watch()`): the suite checks that it has `watch`
   * exactly when this is true and, with `addTarget`, that the watch reports a change.
   */
  readonly watches?: boolean
  /**
   * Resolves once the watch is connected (the mock's stream subscriber is there), for
   * sources that drop changes made before a watch connects. Default: resolves at once.
   */
  readonly watching?: () => Promise<void>
  /**
   * Makes the provider's next poll fail at its source (a 500 from the mock, a tree that
   * cannot be listed); the poll after it must work again. Without it, the failing-poll
   * test is not registered.
   */
  readonly failNextPoll?: () => void | Promise<void>
  /**
   * Creates a provider whose source cannot be reached (no engine at the socket, no API
   * server, no cgroup mount): its `init` must fail. Without it, that test is not registered.
   */
  readonly unreachable?: () => Provider | Promise<Provider>
  /** Longest wait for `onChange` after a change, in milliseconds (default 5000). */
  readonly watchTimeoutMs?: number
}

const QOS_CLASSES = new Set(['guaranteed', 'burstable', 'besteffort'])
/** After `close`, how long the suite waits to see that `onChange` is no longer called. */
const QUIET_MS = 300

/** Control characters (C0, DEL, C1), which must not reach file names or terminals. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true
  }
  return false
}

/** Why `text` cannot be one segment of a path (a file name, a cgroup folder), or null. */
function segmentProblem(text: unknown): string | null {
  if (typeof text !== 'string' || text === '') return 'is not a non-empty string'
  if (text.includes('/')) return 'contains /'
  if (text === '.' || text === '..') return `is ${text}`
  if (hasControl(text)) return 'contains control characters'
  return null
}

function locatorProblems(cgroup: CgroupLocator): string[] {
  const problems: string[] = []
  const segment = (field: string, value: unknown) => {
    const problem = segmentProblem(value)
    if (problem) problems.push(`cgroup.${field} ${problem}`)
  }
  switch (cgroup?.kind) {
    case 'path':
      if (typeof cgroup.path !== 'string') problems.push('cgroup.path is not a string')
      else if (cgroup.path.startsWith('/')) problems.push('cgroup.path is not relative to the cgroup root')
      else if (cgroup.path !== '') for (const part of cgroup.path.split('/')) segment('path segment', part)
      break
    case 'docker':
      segment('id', cgroup.id)
      break
    case 'pod':
    case 'pod-container':
      segment('uid', cgroup.uid)
      if (!QOS_CLASSES.has(cgroup.qos)) problems.push(`cgroup.qos '${cgroup.qos}' is not guaranteed, burstable or besteffort`)
      if (cgroup.kind === 'pod-container') {
        segment('containerId', cgroup.containerId)
        if (typeof cgroup.runtime !== 'string' || !cgroup.runtime) problems.push('cgroup.runtime is not a non-empty string')
      }
      break
    default:
      problems.push(`cgroup.kind '${(cgroup as { kind?: unknown } | undefined)?.kind}' is not path, docker, pod or pod-container`)
  }
  return problems
}

/** Every way `target` breaks the contract of a polled target. */
function targetProblems(target: Target, provider: string): string[] {
  const problems: string[] = []
  if (target.provider !== provider) problems.push(`provider is '${target.provider}', not the provider's name '${provider}'`)
  // The runner's own check: a target whose id fails it is skipped, never collected.
  const id = targetIdProblem(target.id)
  if (id) problems.push(`id ${printable(String(target.id), 80)}: ${id}`)
  if (typeof target.name !== 'string' || !target.name) problems.push('name is not a non-empty string')
  else if (hasControl(target.name)) problems.push('name contains control characters')
  if (typeof target.metadata !== 'object' || target.metadata === null || Array.isArray(target.metadata)) problems.push('metadata is not an object')
  if (typeof target.polledAt !== 'bigint' || target.polledAt <= 0n) problems.push('polledAt is not a positive bigint of nanoseconds')
  problems.push(...locatorProblems(target.cgroup))
  for (const [key, value] of Object.entries(target.labels ?? {})) {
    if (typeof value !== 'string') problems.push(`label ${key} is not a string`)
  }
  return problems
}

/** Checks every target of a poll and that ids are unique; returns the ids. */
function checkTargets(targets: unknown, provider: string): string[] {
  expect(Array.isArray(targets)).toBe(true)
  const list = targets as Target[]
  for (const target of list) expect({ id: target.id, problems: targetProblems(target, provider) }).toEqual({ id: target.id, problems: [] })
  const ids = list.map((target) => target.id)
  expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([])
  return ids
}

/** The error `step` fails with, checked to be a one-line `RadvisorError`. */
async function radvisorFailure(step: () => Promise<unknown>, what: string): Promise<RadvisorError> {
  const error = await step().then(
    () => null,
    (thrown: unknown) => thrown,
  )
  expect({ what, failed: error !== null }).toEqual({ what, failed: true })
  expect(error).toBeInstanceOf(RadvisorError)
  const { message } = error as RadvisorError
  expect({ what, message, oneLine: message.length > 0 && !/[\r\n]/.test(message) }).toEqual({ what, message, oneLine: true })
  return error as RadvisorError
}

/** Resolves once `count()` exceeds `after`, or fails after `timeoutMs`. */
async function waitForCall(count: () => number, after: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (count() <= after) {
    if (performance.now() > deadline) throw new Error(`watch() did not call onChange within ${timeoutMs} ms of the change`)
    await Bun.sleep(5)
  }
}

/**
 * Registers `bun:test` tests of the contract every provider must keep (see `Provider` in
 * `@radvisor/core`). `factory` is called once per test and must return a fresh provider
 * whose source (a mock engine or API server, a fake cgroup tree) lists at least one target.
 *
 * The contract:
 * - `init` is called once, then `poll` any number of times, `watch` at most once, and
 *   `close` last; `init` and a failing `poll` fail only with a one-line `RadvisorError`,
 *   and a poll after a failed one works again.
 * - `poll` answers with every target that runs now: `provider` is the provider's `name`;
 *   `id` is unique, stable from poll to poll, and passes core's `targetIdProblem` (letters,
 *   digits and `. _ - + @ %`, at most 224 characters), as the runner requires; `name` is non-empty; `metadata`
 *   is an object; `polledAt` is a positive nanosecond time; `cgroup` is a well-formed
 *   locator (relative paths, single-segment ids, a known QoS class); labels are strings.
 * - A target that starts is listed by the next poll, one that stops is not.
 * - `watch(onChange)` calls `onChange` after a change, so that a poll then lists it;
 *   after `close`, it is never called again.
 */
export function testProvider(name: string, factory: () => Provider | Promise<Provider>, options: ProviderContractOptions = {}): void {
  const watchTimeoutMs = options.watchTimeoutMs ?? 5000

  /** A provider from `factory`, initialised, closed once `body` ends (also on failure). */
  async function withProvider(body: (provider: Provider) => Promise<void>): Promise<void> {
    const provider = await factory()
    let closed = false
    try {
      await provider.init()
      await body(provider)
      closed = true
      await provider.close()
    } finally {
      if (!closed) await provider.close().catch(() => {})
    }
  }

  describe(`provider contract: ${name}`, () => {
    test('init, then poll: every target has a safe, unique id, a name, metadata, polledAt and a valid locator', async () => {
      await withProvider(async (provider) => {
        expect(typeof provider.name === 'string' && provider.name.length > 0).toBe(true)
        const ids = checkTargets(await provider.poll(), provider.name)
        expect({ targets: ids.length > 0, why: "the factory's source must list at least one target" }).toEqual({
          targets: true,
          why: "the factory's source must list at least one target",
        })
      })
    })

    test('ids are stable: a second poll with nothing changed lists the same ids', async () => {
      await withProvider(async (provider) => {
        const first = checkTargets(await provider.poll(), provider.name)
        const second = checkTargets(await provider.poll(), provider.name)
        expect([...second].sort()).toEqual([...first].sort())
      })
    })

    test(`has watch() ${options.watches ? 'to push changes' : 'only if it pushes changes (it does not)'}`, async () => {
      const provider = await factory()
      expect(typeof provider.watch).toBe(options.watches ? 'function' : 'undefined')
    })

    const { addTarget, removeTarget } = options
    if (addTarget) test('a target that starts is listed by the next poll, and one that stops is not', async () => {
      await withProvider(async (provider) => {
        const before = checkTargets(await provider.poll(), provider.name)
        const id = await addTarget()
        expect(before).not.toContain(id)
        const during = checkTargets(await provider.poll(), provider.name)
        expect([...during].sort()).toEqual([...before, id].sort())
        if (!removeTarget) return
        await removeTarget(id)
        const after = checkTargets(await provider.poll(), provider.name)
        expect([...after].sort()).toEqual([...before].sort())
      })
    })

    if (addTarget && options.watches) test('watch calls onChange after a change, a poll then lists it, and close stops the watch', async () => {
      const provider = await factory()
      let closed = false
      try {
        await provider.init()
        await provider.poll()
        let calls = 0
        provider.watch!(() => calls++)
        await options.watching?.()
        const before = calls
        const id = await addTarget()
        await waitForCall(() => calls, before, watchTimeoutMs)
        expect(checkTargets(await provider.poll(), provider.name)).toContain(id)
        closed = true
        await provider.close()
        const atClose = calls
        await addTarget()
        await Bun.sleep(QUIET_MS)
        expect({ callsAfterClose: calls - atClose }).toEqual({ callsAfterClose: 0 })
      } finally {
        if (!closed) await provider.close().catch(() => {})
      }
    })

    const { failNextPoll } = options
    if (failNextPoll) test('a poll that fails at the source fails with a one-line RadvisorError, and the next poll works', async () => {
      await withProvider(async (provider) => {
        const before = checkTargets(await provider.poll(), provider.name)
        await failNextPoll()
        await radvisorFailure(() => provider.poll(), 'the poll after failNextPoll()')
        expect(checkTargets(await provider.poll(), provider.name).sort()).toEqual([...before].sort())
      })
    })

    const { unreachable } = options
    if (unreachable) test('init fails with a one-line RadvisorError when the source cannot be reached, and close still works', async () => {
      const provider = await unreachable()
      await radvisorFailure(() => provider.init(), 'init() of the unreachable provider')
      await provider.close()
    })
  })
}
