import { describe, expect, test } from 'bun:test'
import { type FileSystem, memoryLogger, RadvisorError, unixNanos } from '@radvisor/core'
import { createFakeCgroupFs } from '@radvisor/testing'
import { CgroupProvider } from '../src/provider.ts'
import { DOCKER_ID, fixedClock, POD_SLICE, PROC, ROOT, v1Host, v2Host } from './_hosts.ts'

function provider(fs: FileSystem, patterns: string[] | null = null, logger = memoryLogger()) {
  return new CgroupProvider({ patterns, root: ROOT, fs, clock: fixedClock, logger, procRoot: PROC })
}

async function names(fs: FileSystem, patterns: string[] | null = null): Promise<string[]> {
  const cgroups = provider(fs, patterns)
  await cgroups.init()
  return (await cgroups.poll()).map((target) => target.name)
}

/** `fs` whose `method` throws `code` for `path`, as the kernel does for a vanished or forbidden cgroup. */
function failing(fs: FileSystem, method: 'readdirSync' | 'readFileSync', path: string, code: string): FileSystem {
  const original = fs[method] as (path: string, options?: unknown) => unknown
  const replaced = (target: string, options?: unknown) => {
    if (target === path) throw Object.assign(new Error(`${code}: ${method} '${target}'`), { code })
    return original(target, options)
  }
  return { ...fs, [method]: replaced }
}

/** What the defaults find on the hosts of `_hosts.ts`, in walk order. */
const hostDefaults = ['/', POD_SLICE, `system.slice/docker-${DOCKER_ID}.scope`, 'system.slice/ssh.service', 'system.slice/systemd-journald.service']

describe('CgroupProvider defaults', () => {
  test('unified v2: services, container scopes, pods and the root', async () => {
    expect(await names(v2Host().fs)).toEqual(hostDefaults)
  })

  test('v1: the same cgroups (memory-only cgroups are not targets)', async () => {
    expect(await names(v1Host().fs)).toEqual(hostDefaults)
  })

  test('hybrid: walks the v1 hierarchy, not unified/', async () => {
    expect(await names(v1Host(undefined, true).fs)).toEqual(hostDefaults)
  })

  test('v1 walks the pids hierarchy', async () => {
    const host = v1Host()
    host.write('pids/system.slice/cron.service/cgroup.procs', '')
    host.write('cpuacct/system.slice/atd.service/cgroup.procs', '')
    const found = await names(host.fs)
    expect(found).toContain('system.slice/cron.service')
    expect(found).not.toContain('system.slice/atd.service')
  })

  test('v1 without a pids controller walks cpuacct', async () => {
    const host = v1Host(['cpu', 'cpuacct', 'memory'])
    host.write('cpuacct/system.slice/cron.service/cgroup.procs', '')
    host.write('cpu/system.slice/atd.service/cgroup.procs', '')
    const found = await names(host.fs)
    expect(found).toContain('system.slice/cron.service')
    expect(found).not.toContain('system.slice/atd.service')
  })
})

describe('CgroupProvider targets', () => {
  test('a service target: id, name, path locator, processes and poll time', async () => {
    const cgroups = provider(v2Host().fs, ['system.slice/ssh.service'])
    await cgroups.init()
    expect(await cgroups.poll()).toEqual([
      {
        provider: 'cgroup',
        id: 'system.slice+ssh.service',
        name: 'system.slice/ssh.service',
        metadata: { Path: 'system.slice/ssh.service', ProcessCount: 2, Processes: ['sshd'] },
        polledAt: unixNanos(fixedClock.now()),
        cgroup: { kind: 'path', path: 'system.slice/ssh.service' },
        labels: { cgroup: 'system.slice/ssh.service' },
      },
    ])
  })

  test('the root target is the whole machine: id root, path empty', async () => {
    const cgroups = provider(v1Host().fs, ['/'])
    await cgroups.init()
    const [root] = await cgroups.poll()
    expect(root).toMatchObject({ id: 'root', name: '/', cgroup: { kind: 'path', path: '' } })
    expect(root!.metadata).toEqual({ Path: '/', ProcessCount: 4, Processes: ['systemd', 'sshd', 'nginx'] })
  })

  test('--match patterns replace the defaults, root included', async () => {
    expect(await names(v2Host().fs, ['system.slice/*'])).toEqual([
      `system.slice/docker-${DOCKER_ID}.scope`,
      'system.slice/ssh.service',
      'system.slice/systemd-journald.service',
      'system.slice/var-lib.mount',
    ])
    expect(await names(v2Host().fs, ['kubepods.slice/**/*.scope'])).toEqual([`${POD_SLICE}/cri-containerd-${'b'.repeat(64)}.scope`])
  })

  test('processes whose comm cannot be read are counted but not named; the names are capped', async () => {
    const host = v2Host()
    const pids = Array.from({ length: 100 }, (_, i) => 1000 + i)
    for (const pid of pids) {
      host.fs.mkdirSync(`${PROC}/${pid}`)
      host.fs.writeFileSync(`${PROC}/${pid}/comm`, `worker-${pid}\n`)
    }
    host.write('system.slice/ssh.service/cgroup.procs', `999\n${pids.join('\n')}\n`)
    const cgroups = provider(host.fs, ['system.slice/ssh.service'])
    await cgroups.init()
    const [ssh] = await cgroups.poll()
    expect(ssh!.metadata.ProcessCount).toBe(101)
    expect(ssh!.metadata.Processes).toEqual(pids.slice(0, 16).map((pid) => `worker-${pid}`))
  })

  test('a cgroup whose cgroup.procs cannot be read has no process metadata', async () => {
    const fs = failing(v2Host().fs, 'readFileSync', `${ROOT}/system.slice/ssh.service/cgroup.procs`, 'EACCES')
    const cgroups = provider(fs, ['system.slice/ssh.service'])
    await cgroups.init()
    const [ssh] = await cgroups.poll()
    expect(ssh!.metadata).toEqual({ Path: 'system.slice/ssh.service', ProcessCount: null, Processes: null })
  })
})

describe('CgroupProvider polls', () => {
  test('targets appear and disappear as cgroups are created and removed (v2)', async () => {
    const host = v2Host()
    const cgroups = provider(host.fs, ['system.slice/*.service'])
    await cgroups.init()
    const first = await cgroups.poll()
    expect(first.map((t) => t.id)).toEqual(['system.slice+ssh.service', 'system.slice+systemd-journald.service'])

    host.write('system.slice/cron.service/cgroup.procs', '')
    host.remove('system.slice/ssh.service')
    const second = await cgroups.poll()
    expect(second.map((t) => t.id)).toEqual(['system.slice+cron.service', 'system.slice+systemd-journald.service'])
    // A cgroup that stays keeps its target, so its metadata is read once.
    expect(second[1]).toBe(first[1]!)
  })

  test('targets disappear when a cgroup is removed from every v1 controller', async () => {
    const host = v1Host()
    const cgroups = provider(host.fs, [`system.slice/docker-*.scope`])
    await cgroups.init()
    expect((await cgroups.poll()).map((t) => t.id)).toEqual([`system.slice+docker-${DOCKER_ID}.scope`])
    host.remove(`system.slice/docker-${DOCKER_ID}.scope`)
    expect(await cgroups.poll()).toEqual([])
  })

  test('a folder that cannot be listed is skipped, the others are still found', async () => {
    const logger = memoryLogger()
    const cgroups = provider(failing(v2Host().fs, 'readdirSync', `${ROOT}/system.slice`, 'ENOENT'), null, logger)
    await cgroups.init()
    expect((await cgroups.poll()).map((t) => t.name)).toEqual(['/', POD_SLICE])
    expect(logger.lines.some((line) => line.includes('Skipping') && line.includes('system.slice'))).toBe(true)
  })

  test('a poll that cannot list the walked folder fails with E_CGROUP', async () => {
    const host = v2Host()
    let broken = false
    const readdirSync = ((path: string, options?: unknown) => {
      if (broken) throw Object.assign(new Error(`ENOENT: scandir '${path}'`), { code: 'ENOENT' })
      return (host.fs.readdirSync as (path: string, options?: unknown) => unknown)(path, options)
    }) as FileSystem['readdirSync']
    const cgroups = provider({ ...host.fs, readdirSync })
    await cgroups.init()
    broken = true
    const error = await cgroups.poll().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RadvisorError)
    expect((error as RadvisorError).code).toBe('E_CGROUP')
  })

  test('warns once while nothing matches, and again after matches vanish', async () => {
    const host = v2Host()
    const logger = memoryLogger()
    const cgroups = provider(host.fs, ['demo/*'], logger)
    await cgroups.init()
    const warnings = () => logger.lines.filter((line) => line.includes('Warning'))
    expect(await cgroups.poll()).toEqual([])
    await cgroups.poll()
    expect(warnings()).toEqual([`     Warning no cgroup under ${ROOT} matches demo/*; checking again at every poll`])
    host.write('demo/a/cgroup.procs', '')
    expect((await cgroups.poll()).map((t) => t.id)).toEqual(['demo+a'])
    host.remove('demo/a')
    await cgroups.poll()
    expect(warnings()).toHaveLength(2)
  })
})

describe('CgroupProvider errors', () => {
  test('init fails with E_CGROUP when there is no cgroup mount', async () => {
    const error = await provider(createFakeCgroupFs({}).fs).init().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RadvisorError)
    expect((error as RadvisorError).code).toBe('E_CGROUP')
  })

  test('init fails with E_CGROUP when the tree cannot be listed', async () => {
    const error = await provider(failing(v1Host().fs, 'readdirSync', `${ROOT}/pids`, 'EACCES')).init().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RadvisorError)
    expect((error as RadvisorError).message).toContain(`cannot list cgroups in ${ROOT}/pids: EACCES`)
  })

  test('poll before init is a programming error', async () => {
    await expect(provider(v2Host().fs).poll()).rejects.toThrow('poll() was called before init()')
  })
})
