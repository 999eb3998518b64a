import { afterAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { type Collector, memoryLogger, systemClock } from '@radvisor/core'
import { createCollectorFactory } from '../src/index.ts'
import { cell, target, tick } from './_support.ts'

// The extended columns on this machine's kernel, asserting values: CPU pressure stall time
// against the wait time the scheduler accounts, and network counters against traffic of a
// known size sent over a veth pair into a network namespace of the test's own. Cgroups,
// namespaces and interfaces have unique names of ours and are removed afterwards; processes
// join cpu, cpuacct, pids, blkio and the v2 hierarchy (which has no memory controller here),
// never a memory cgroup.

const ROOT = '/sys/fs/cgroup'
const UNIFIED = `${ROOT}/unified`
const TAG = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`
const NAME = `radvisor-signals-${TAG}`
const V1_CONTROLLERS = ['cpu', 'cpuacct', 'pids', 'blkio']

const isRoot = process.getuid?.() === 0
const has = (command: string) => Bun.spawnSync(['sh', '-c', `command -v ${command}`]).exitCode === 0
const pressureReason = !isRoot
  ? 'needs root to create cgroups'
  : !fs.existsSync(`${UNIFIED}/cpu.pressure`)
    ? `needs a cgroup v2 hierarchy at ${UNIFIED} with pressure (PSI) files`
    : /\bmemory\b/.test(readOr(`${UNIFIED}/cgroup.subtree_control`))
      ? `${UNIFIED} delegates the memory controller, and a test must never move a process into a memory cgroup`
      : !has('taskset')
        ? 'needs taskset (util-linux) to pin two busy processes to one CPU'
        : null
const networkReason = !isRoot
  ? 'needs root for network namespaces'
  : !fs.existsSync(`${ROOT}/cpuacct/cgroup.procs`)
    ? `needs a cgroup v1 cpuacct controller at ${ROOT}/cpuacct`
    : !has('ip') || !has('perl')
      ? 'needs ip (iproute2) and perl'
      : null
if (pressureReason) console.warn(`skipping the real pressure test: ${pressureReason}`)
if (networkReason) console.warn(`skipping the real network test: ${networkReason}`)

function readOr(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

const folders: string[] = []
const children: ReturnType<typeof Bun.spawn>[] = []
const collectors: Collector[] = []
const cleanups: (() => void)[] = []

function createCgroup(folder: string): string {
  fs.mkdirSync(folder)
  folders.push(folder)
  return folder
}

function spawn(command: string[], stdin: 'pipe' | 'ignore' = 'ignore') {
  const child = Bun.spawn(command, { stdin, stdout: 'pipe', stderr: 'inherit' })
  children.push(child)
  return child
}

function join(child: { pid: number }, into: readonly string[]): void {
  for (const folder of into) fs.writeFileSync(`${folder}/cgroup.procs`, `${child.pid}\n`)
}

function run(...command: string[]): void {
  const result = Bun.spawnSync(command, { stderr: 'pipe' })
  if (result.exitCode !== 0) throw new Error(`${command.join(' ')} failed: ${result.stderr.toString().trim()}`)
}

/** Nanoseconds a process waited on a run queue so far (`/proc/<pid>/schedstat`, second field). */
function waited(pid: number): number {
  return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1])
}

afterAll(async () => {
  // Collectors first: an open net/dev keeps its network namespace, and so the veth, alive.
  for (const collector of collectors) collector.close()
  for (const child of children) child.kill('SIGKILL')
  await Promise.all(children.map((child) => child.exited))
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup()
    } catch (error) {
      console.warn(`cleanup: ${String(error)}`)
    }
  }
  // The kernel releases a cgroup a moment after its last process exits.
  for (const folder of folders.reverse()) {
    for (let attempt = 0; fs.existsSync(folder); attempt++) {
      try {
        fs.rmdirSync(folder)
      } catch (error) {
        if (attempt >= 50) throw error
        await Bun.sleep(20)
      }
    }
  }
})

describe('real kernel: extended columns', () => {
  test.skipIf(pressureReason !== null)(
    'two busy processes on one CPU: cpu.pressure some rises by the time one of them waited, about the whole interval; an idle cgroup’s barely',
    async () => {
      const busy = createCgroup(`${UNIFIED}/${NAME}-busy`)
      const idle = createCgroup(`${UNIFIED}/${NAME}-idle`)
      // The same cgroup in the v1 hierarchy too, as systemd keeps them on a hybrid host.
      const v1Busy = V1_CONTROLLERS.filter((c) => fs.existsSync(`${ROOT}/${c}`)).map((c) => createCgroup(`${ROOT}/${c}/${NAME}-busy`))
      const loops = [0, 1].map(() => spawn(['taskset', '-c', '0', 'sh', '-c', 'while :; do :; done']))
      for (const loop of loops) join(loop, [busy, ...v1Busy])
      join(spawn(['sleep', '600']), [idle])

      const v2 = createCollectorFactory({ root: UNIFIED, fs, logger: memoryLogger(), clock: systemClock })
      const busyCollector = v2.open(target({ kind: 'path', path: `${NAME}-busy` }))!
      const idleCollector = v2.open(target({ kind: 'path', path: `${NAME}-idle` }))!
      const hybridCollector = createCollectorFactory({ root: ROOT, fs, logger: memoryLogger(), clock: systemClock }).open(target({ kind: 'path', path: `${NAME}-busy` }))!
      collectors.push(busyCollector, idleCollector, hybridCollector)
      expect(hybridCollector.info.type).toBe('cgroup_v1')

      await Bun.sleep(200)
      const first = tick(busyCollector)
      const idleFirst = tick(idleCollector)
      const waitsBefore = loops.map((loop) => waited(loop.pid))
      await Bun.sleep(1500)
      const waitsAfter = loops.map((loop) => waited(loop.pid))
      const second = tick(busyCollector)
      const idleSecond = tick(idleCollector)
      const hybrid = tick(hybridCollector)

      const some = (cells: string[] | null) => Number(cell(busyCollector, cells, 'cpu.pressure/some_total'))
      const wallUs = (Number(cell(busyCollector, second, 'read')) - Number(cell(busyCollector, first, 'read'))) / 1000
      const stalledUs = some(second) - some(first)
      // Each wait is a stall of the cgroup, and the waits lie inside the interval measured.
      const longestWaitUs = Math.max(...loops.map((_, i) => (waitsAfter[i]! - waitsBefore[i]!) / 1000))
      console.log(`cpu.pressure some +${stalledUs} µs over ${wallUs.toFixed(0)} µs; longest wait ${longestWaitUs.toFixed(0)} µs`)
      expect(stalledUs).toBeGreaterThanOrEqual(longestWaitUs * 0.95)
      expect(stalledUs).toBeLessThanOrEqual(wallUs * 1.02)
      expect(stalledUs).toBeGreaterThan(wallUs * 0.7)
      const idleUs = Number(cell(idleCollector, idleSecond, 'cpu.pressure/some_total')) - Number(cell(idleCollector, idleFirst, 'cpu.pressure/some_total'))
      expect(idleUs).toBeLessThan(wallUs * 0.05)
      // The v1 collector of a hybrid host reads the same files from the v2 hierarchy.
      expect(Number(cell(hybridCollector, hybrid, 'cpu.pressure/some_total'))).toBeGreaterThanOrEqual(some(second))
      expect(Number(cell(hybridCollector, hybrid, 'cpu.pressure/some_total')) - some(second)).toBeLessThan(500_000)
      for (const resource of ['memory', 'io']) {
        for (const kind of ['some', 'full']) expect(cell(busyCollector, second, `${resource}.pressure/${kind}_total`)).toMatch(/^\d+$/)
      }
    },
    30_000,
  )

  test.skipIf(networkReason !== null)(
    'a known amount of traffic over a veth pair into a namespace of the target’s own shows in its network cells; a host-network target’s stay empty',
    async () => {
      const namespace = `radvisor-${TAG}`
      const suffix = Math.random().toString(36).slice(2, 8)
      const [hostEnd, nsEnd] = [`rvh${suffix}`, `rvn${suffix}`]
      const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`
      const [hostIp, nsIp] = [`${subnet}.1`, `${subnet}.2`]
      run('ip', 'netns', 'add', namespace)
      cleanups.push(() => run('ip', 'netns', 'del', namespace))
      run('ip', 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd)
      cleanups.push(() => fs.existsSync(`/sys/class/net/${hostEnd}`) && run('ip', 'link', 'del', hostEnd))
      // No IPv6 on either end: its autoconfiguration would add packets of its own.
      fs.writeFileSync(`/proc/sys/net/ipv6/conf/${hostEnd}/disable_ipv6`, '1')
      run('ip', 'link', 'set', nsEnd, 'netns', namespace)
      run('ip', 'netns', 'exec', namespace, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
      run('ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostEnd)
      run('ip', 'link', 'set', hostEnd, 'up')
      run('ip', '-n', namespace, 'addr', 'add', `${nsIp}/30`, 'dev', nsEnd)
      run('ip', '-n', namespace, 'link', 'set', nsEnd, 'up')
      run('ip', '-n', namespace, 'link', 'set', 'lo', 'up')

      const received = { datagrams: 0 }
      const receiver = await Bun.udpSocket({
        hostname: hostIp,
        port: 0,
        socket: {
          data: () => {
            received.datagrams++
          },
        },
      })
      cleanups.push(() => receiver.close())

      const DATAGRAMS = 2000
      const PAYLOAD = 1000
      // Waits for a line, sends the datagrams, says so, then stays (a process of the namespace to read).
      const sender = spawn(
        [
          'ip',
          'netns',
          'exec',
          namespace,
          'perl',
          '-e',
          `use IO::Socket::INET; $| = 1; my $s = IO::Socket::INET->new(PeerAddr => '${hostIp}', PeerPort => ${receiver.port}, Proto => 'udp') or die "$!";` +
            ` <STDIN>; for (1..${DATAGRAMS}) { $s->send('x' x ${PAYLOAD}) or die "$!"; select(undef, undef, undef, 0.0002) } print "sent\\n"; sleep 600`,
        ],
        'pipe',
      )
      const sleeper = spawn(['ip', 'netns', 'exec', namespace, 'sleep', '600'])
      const own = V1_CONTROLLERS.filter((c) => fs.existsSync(`${ROOT}/${c}`)).map((c) => createCgroup(`${ROOT}/${c}/${NAME}-net`))
      const host = V1_CONTROLLERS.filter((c) => fs.existsSync(`${ROOT}/${c}`)).map((c) => createCgroup(`${ROOT}/${c}/${NAME}-hostnet`))
      // `ip netns exec` has entered the namespace before it runs perl: wait for that.
      await waitFor(() => readOr(`/proc/${sender.pid}/cmdline`).startsWith('perl') && readOr(`/proc/${sleeper.pid}/cmdline`).startsWith('sleep'))
      join(sender, own)
      join(sleeper, own)
      join(spawn(['sleep', '600']), host)

      const factory = createCollectorFactory({ root: ROOT, fs, logger: memoryLogger(), clock: systemClock })
      const collector = factory.open(target({ kind: 'path', path: `${NAME}-net` }))!
      const hostCollector = factory.open(target({ kind: 'path', path: `${NAME}-hostnet` }))!
      collectors.push(collector, hostCollector)
      expect(collector.info.network).toBe('own')
      expect(hostCollector.info.network).toBe('host')

      const hostCounter = (name: string) => Number(fs.readFileSync(`/sys/class/net/${hostEnd}/statistics/${name}`, 'utf8'))
      const before = tick(collector)
      const hostRxBefore = hostCounter('rx_bytes')
      const lines = sender.stdout as ReadableStream<Uint8Array>
      const done = new Response(lines).text()
      ;(sender.stdin as import('bun').FileSink).write('go\n')
      ;(sender.stdin as import('bun').FileSink).flush()
      await waitFor(() => received.datagrams >= DATAGRAMS * 0.99, 15_000)
      await Bun.sleep(200)
      const after = tick(collector)
      const hostRx = hostCounter('rx_bytes') - hostRxBefore

      const delta = (cells: string[] | null, start: string[] | null, column: string) => Number(cell(collector, cells, column)) - Number(cell(collector, start, column))
      // Each datagram on the wire: payload, 8 bytes UDP, 20 IPv4, 14 Ethernet; plus an ARP exchange.
      const expected = DATAGRAMS * (PAYLOAD + 42)
      const txBytes = delta(after, before, 'network.tx_bytes')
      console.log(`network.tx_bytes +${txBytes} for ${DATAGRAMS} datagrams (${expected} bytes expected); the host's end received ${hostRx}`)
      expect(txBytes).toBeGreaterThanOrEqual(expected * 0.97)
      expect(txBytes).toBeLessThanOrEqual(expected * 1.03)
      expect(delta(after, before, 'network.tx_packets')).toBeWithin(DATAGRAMS * 0.97, DATAGRAMS * 1.03 + 1)
      // What the namespace sent is what the host's end received (the kernel counts both ends).
      expect(txBytes).toBe(hostRx)
      expect(delta(after, before, 'network.rx_bytes')).toBeLessThan(1000)
      expect(cell(collector, after, 'network.interfaces')).toStartWith(`${nsEnd} `)
      expect(cell(collector, after, 'network.interfaces')).not.toContain('lo ')
      expect(cell(collector, after, 'network.interfaces')!.split(' ')[5]).toBe(cell(collector, after, 'network.tx_bytes'))
      for (const column of ['network.rx_bytes', 'network.tx_bytes', 'network.interfaces']) expect(cell(hostCollector, tick(hostCollector), column)).toBe('')

      // The process read exits: the next tick (a second after the pick) reads the other one's, the same namespace.
      const held = heldNetDev()
      expect([sender.pid, sleeper.pid]).toContain(held!)
      children.find((child) => child.pid === held)!.kill('SIGKILL')
      await children.find((child) => child.pid === held)!.exited
      await Bun.sleep(1100)
      const later = tick(collector)
      expect(heldNetDev()).toBe(held === sender.pid ? sleeper.pid : sender.pid)
      expect(Number(cell(collector, later, 'network.tx_bytes'))).toBeGreaterThanOrEqual(Number(cell(collector, after, 'network.tx_bytes')))
      void done
    },
    60_000,
  )
})

/** The pid whose `net/dev` this process holds open (the collector's), from /proc/self/fd. */
function heldNetDev(): number | null {
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    const link = readLink(`/proc/self/fd/${fd}`)
    const match = /^\/proc\/(\d+)\/net\/dev$/.exec(link)
    if (match) return Number(match[1])
  }
  return null
}

function readLink(path: string): string {
  try {
    return fs.readlinkSync(path)
  } catch {
    return ''
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms`)
    await Bun.sleep(20)
  }
}
