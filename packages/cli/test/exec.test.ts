import { afterAll, describe, expect, test } from 'bun:test'
import * as nodeFs from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Hierarchy } from '@radvisor/cgroup'
import type { FileSystem } from '@radvisor/core'
import { createFsFromVolume, Volume } from 'memfs'
import { checkCommand, forwardSignals, type GatedCommand, inForeground, spawnGated } from '../src/_exec-process.ts'
import { commandLine, ExecProvider, execTarget, execTargetId } from '../src/_exec-provider.ts'
import { scopeCgroup, splitScope, systemdRunPrefix, systemdScope } from '../src/_exec-systemd.ts'

const bin = resolve(import.meta.dir, '../src/bin.ts')
const work = nodeFs.mkdtempSync(join(tmpdir(), 'radvisor-exec-unit-'))
afterAll(() => nodeFs.rmSync(work, { recursive: true, force: true }))

function radvisor(args: string[]) {
  const result = Bun.spawnSync([process.execPath, bin, ...args], { env: { ...process.env, NO_COLOR: '1' } })
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}

function memoryFs(files: Record<string, string>): FileSystem {
  const fs = createFsFromVolume(new Volume())
  for (const [path, content] of Object.entries(files)) {
    fs.mkdirSync(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true })
    if (!path.endsWith('/')) fs.writeFileSync(path, content)
  }
  return fs as unknown as FileSystem
}

describe('radvisor exec usage', () => {
  const logs = join(work, 'logs')
  // Each is refused before a cgroup, a log or a process is made.
  const bad: [string, string[], RegExp][] = [
    ['no command', ['exec', '-d', logs, '--'], /no command given: radvisor exec \[options\] -- <command>/],
    ['no --', ['exec', '-d', logs], /no command given/],
    ['a command without --', ['exec', '-d', logs, 'make', '-j8'], /radvisor exec takes the command after --: radvisor exec \[options\] -- make/],
    ['--cpus 0', ['exec', '--cpus', '0', '--', 'true'], /invalid value '0' for --cpus: expected a number of cores of at least 0.01/],
    ['--cpus abc', ['exec', '--cpus', 'abc', '--', 'true'], /invalid value 'abc' for --cpus/],
    ['--cpus without cpu', ['exec', '--cpus', '1', '--controllers', 'pids', '--', 'true'], /--cpus needs the cpu controller: add cpu to --controllers/],
    ['--memory 0', ['exec', '--memory', '0', '--', 'true'], /invalid value '0' for --memory/],
    ['--memory without memory', ['exec', '--memory', '1MiB', '--controllers', 'cpu', '--', 'true'], /--memory needs the memory controller/],
    ['--controllers bogus', ['exec', '--controllers', 'cpu,bogus', '--', 'true'], /invalid value 'bogus' for --controllers/],
    ['--max-linger soon', ['exec', '--max-linger', 'soon', '--', 'true'], /invalid value 'soon' for --max-linger/],
    ['--cgroup-parent ..', ['exec', '--cgroup-parent', 'a/../../etc', '--', 'true'], /invalid value 'a\/..\/..\/etc' for --cgroup-parent: expected a cgroup path/],
    ['--html in a missing folder', ['exec', '--html', '/nonexistent-radvisor/x.html', '--', 'true'], /cannot write --html \/nonexistent-radvisor\/x.html/],
    ['--sink jsonl to stdout (the command\'s)', ['exec', '--sink', 'jsonl', '--', 'true'], /--sink jsonl would write to stdout, which is the command's under radvisor exec: give it a file with --jsonl-path/],
    ['--poll (a run option exec has not)', ['exec', '--poll', '1s', '--', 'true'], /unknown option '--poll' for radvisor exec/],
  ]
  for (const [name, args, message] of bad) {
    test(`${name}: one line, exit 2`, () => {
      const { code, stderr, stdout } = radvisor(args)
      expect(code).toBe(2)
      expect(stdout).toBe('')
      expect(stderr.trim().split('\n')).toHaveLength(1)
      expect(stderr).toMatch(message)
      expect(nodeFs.existsSync(logs)).toBe(false)
    })
  }

  test('a command that cannot be found exits 127 before anything is made', () => {
    const { code, stderr } = radvisor(['exec', '-d', logs, '--', 'radvisor-no-such-command-here', '--help'])
    expect(code).toBe(127)
    expect(stderr).toBe('[radvisor] [cli] radvisor-no-such-command-here: command not found\n')
    expect(nodeFs.existsSync(logs)).toBe(false)
  })

  test('--sink jsonl with a file is taken', () => {
    // Past the option checks: the cgroup tree given does not exist.
    const path = join(work, 'samples.jsonl')
    const { code, stderr } = radvisor(['exec', '-d', logs, '--sink', 'jsonl', '--jsonl-path', path, '--cgroup-root', join(work, 'no-cgroups'), '--', 'true'])
    expect(code).toBe(1)
    expect(stderr).toMatch(/no cgroup hierarchy at /)
    nodeFs.rmSync(logs, { recursive: true, force: true })
  })

  test('--help after -- belongs to the command, not to radvisor', () => {
    // The command exists; there is no cgroup tree at the root given, so exec stops there, not at help.
    const { code, stderr, stdout } = radvisor(['exec', '-d', logs, '--cgroup-root', join(work, 'no-cgroups'), '--', 'true', '--help'])
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/no cgroup hierarchy at /)
  })

  test('exec --help lists its options and where the command goes', () => {
    const { code, stdout } = radvisor(['exec', '--help'])
    expect(code).toBe(0)
    for (const text of ['radvisor exec [options] -- <command> [args...]', 'COMMAND', '--interval', '--directory', '--sink', '--controllers', '--cgroup-parent', '--cpus', '--memory', '--max-linger', '--report', '--html', '--quiet']) {
      expect(stdout).toContain(text)
    }
    expect(stdout).not.toContain('--poll')
    expect(stdout).not.toContain('--duration')
  })
})

describe('checkCommand (as a shell looks a command up)', () => {
  const bin = join(work, 'bin')
  nodeFs.mkdirSync(bin, { recursive: true })
  nodeFs.writeFileSync(join(bin, 'tool'), '#!/bin/sh\n', { mode: 0o755 })
  nodeFs.writeFileSync(join(bin, 'plain'), 'data\n', { mode: 0o644 })
  nodeFs.mkdirSync(join(bin, 'folder'), { recursive: true })

  test('finds executables on PATH and by path', () => {
    expect(checkCommand(nodeFs, 'tool', `/nonexistent:${bin}`)).toBeNull()
    expect(checkCommand(nodeFs, join(bin, 'tool'), '')).toBeNull()
  })

  test('127 when nothing is found, 126 when found but not executable', () => {
    expect(checkCommand(nodeFs, 'missing', bin)).toEqual({ status: 127, message: 'missing: command not found' })
    expect(checkCommand(nodeFs, join(bin, 'missing'), bin)).toEqual({ status: 127, message: `${join(bin, 'missing')}: No such file or directory` })
    expect(checkCommand(nodeFs, 'plain', bin)).toEqual({ status: 126, message: 'plain: Permission denied' })
    expect(checkCommand(nodeFs, join(bin, 'plain'), '')).toEqual({ status: 126, message: `${join(bin, 'plain')}: Permission denied` })
    expect(checkCommand(nodeFs, join(bin, 'folder'), '')).toEqual({ status: 126, message: `${join(bin, 'folder')}: Is a directory` })
    expect(checkCommand(nodeFs, '', bin)?.status).toBe(127)
  })
})

describe('the gate', () => {
  test('holds the command until open(), then it runs as the same process', async () => {
    const marker = join(work, 'ran')
    const command = await spawnGated(['sh', '-c', `echo $$ > ${marker}`])
    await command.ready
    await Bun.sleep(100)
    expect(nodeFs.existsSync(marker)).toBe(false)
    command.open()
    expect(await command.exit).toEqual({ code: 0, signal: null, status: 0 })
    expect(nodeFs.readFileSync(marker, 'utf8').trim()).toBe(String(command.pid))
  })

  test('reports a signal death as 128 + N, a command gone missing as the shell does (127)', async () => {
    const killed = await spawnGated(['sh', '-c', 'kill -TERM $$'])
    killed.open()
    expect(await killed.exit).toEqual({ code: null, signal: 'SIGTERM', status: 143 })
    const missing = await spawnGated(['/nonexistent/radvisor-command'])
    missing.open()
    expect((await missing.exit).status).toBe(127)
  })

  test('with a keeper: says its pid, which outlives the command and its fds until releaseKeeper()', async () => {
    const marker = join(work, 'fds')
    const command = await spawnGated(['sh', '-c', `ls /proc/$$/fd > ${marker}`], [], { keeper: true })
    const keeper = await command.ready
    expect(keeper).toBeGreaterThan(0)
    // Once it waits, the keeper holds its own pipe (fd 4, also its stdin while it reads) and
    // /dev/null: nothing of the command's stdio, nor the gate's socket.
    const pipe = nodeFs.readlinkSync(`/proc/${keeper}/fd/4`)
    expect(pipe).toMatch(/^(pipe|socket):/)
    const others = () => nodeFs.readdirSync(`/proc/${keeper}/fd`).map((fd) => nodeFs.readlinkSync(`/proc/${keeper}/fd/${fd}`)).filter((target) => target !== pipe && target !== '/dev/null')
    for (const deadline = performance.now() + 2000; others().length > 0 && performance.now() < deadline; ) await Bun.sleep(10)
    expect(others()).toEqual([])
    command.open()
    expect((await command.exit).status).toBe(0)
    // The command got neither the gate's socket (3) nor the keeper's pipe (4).
    expect(nodeFs.readFileSync(marker, 'utf8').split('\n').filter(Boolean).map(Number).filter((fd) => fd > 2 && fd < 10)).toEqual([])
    await Bun.sleep(100)
    expect(nodeFs.existsSync(`/proc/${keeper}`)).toBe(true)
    command.releaseKeeper()
    command.releaseKeeper()
    const deadline = performance.now() + 5000
    while (nodeFs.existsSync(`/proc/${keeper}`) && !/^State:\s+Z/m.test(nodeFs.readFileSync(`/proc/${keeper}/status`, 'utf8'))) {
      expect(performance.now()).toBeLessThan(deadline)
      await Bun.sleep(10)
    }
  })

  test('signals reach it while it waits at the gate; ready rejects when it dies first', async () => {
    const command = await spawnGated(['true'])
    expect(command.signal('SIGKILL')).toBe(true)
    expect(await command.exit).toEqual({ code: null, signal: 'SIGKILL', status: 137 })
    expect(command.signal('SIGTERM')).toBe(false)
    const early = await spawnGated(['true'], ['/bin/sh', '-c', 'exit 4', 'systemd-run'])
    await expect(early.ready).rejects.toThrow(/\/bin\/sh exited \(status 4\) before the command could start/)
  })
})

test('inForeground compares the process group with the terminal foreground group (/proc/self/stat)', () => {
  // pid (comm) state ppid pgrp session tty_nr tpgid
  const stat = (pgrp: number, tpgid: number) => memoryFs({ '/proc/self/stat': `12 (bun (x) y) S 1 ${pgrp} 12 34816 ${tpgid} 4194304 0\n` })
  expect(inForeground(stat(40, 40))).toBe(true)
  expect(inForeground(stat(40, 41))).toBe(false)
  expect(inForeground(stat(40, -1))).toBe(false)
  expect(inForeground(memoryFs({}))).toBe(false)
})

describe('forwardSignals', () => {
  /** A command that records the signals it gets. */
  function recorder(): GatedCommand & { got: string[] } {
    const got: string[] = []
    return { pid: 0, ready: Promise.resolve(null), exit: new Promise(() => {}), open: () => {}, releaseKeeper: () => {}, signal: (signal) => got.push(signal) > 0, got }
  }
  const stat = (foreground: boolean) => memoryFs({ '/proc/self/stat': `1 (bun) S 1 40 40 0 ${foreground ? 40 : -1} 0\n` })

  /** Sends `signal` to this process and waits until the forwarding heard it. */
  async function send(heard: NodeJS.Signals[], signal: NodeJS.Signals): Promise<void> {
    const before = heard.length
    process.kill(process.pid, signal)
    while (heard.length === before) await Bun.sleep(1)
  }

  test('forwards SIGTERM, SIGHUP and SIGINT; one that comes before the command is delivered once it exists', async () => {
    const heard: NodeJS.Signals[] = []
    const signals = forwardSignals(stat(false), (signal) => heard.push(signal))
    try {
      await send(heard, 'SIGTERM')
      const command = recorder()
      signals.forwardTo(command)
      expect(command.got).toEqual(['SIGTERM'])
      await send(heard, 'SIGHUP')
      await send(heard, 'SIGINT')
      expect(command.got).toEqual(['SIGTERM', 'SIGHUP', 'SIGINT'])
    } finally {
      signals.stop()
    }
  })

  test("as the terminal's foreground job, SIGINT is not sent again (the keyboard sent it to the command too); SIGTERM is", async () => {
    const heard: NodeJS.Signals[] = []
    const signals = forwardSignals(stat(true), (signal) => heard.push(signal))
    try {
      const command = recorder()
      signals.forwardTo(command)
      await send(heard, 'SIGINT')
      await send(heard, 'SIGTERM')
      expect(heard).toEqual(['SIGINT', 'SIGTERM'])
      expect(command.got).toEqual(['SIGTERM'])
    } finally {
      signals.stop()
    }
  })
})

describe('the exec target', () => {
  test('is named by its command line and keeps its argv exactly', () => {
    const target = execTarget({ id: 'exec-make-7', command: ['make', '-j8', 'a b'], pid: 9, cgroup: 'radvisor/exec-make-7', scope: null, cwd: '/src', polledAt: 1000 })
    expect(target).toMatchObject({
      provider: 'exec',
      id: 'exec-make-7',
      name: "make -j8 'a b'",
      metadata: { Name: "make -j8 'a b'", Command: ['make', '-j8', 'a b'], Pid: 9, Cwd: '/src', Cgroup: 'radvisor/exec-make-7', Scope: null },
      polledAt: 1_000_000_000n,
      cgroup: { kind: 'path', path: 'radvisor/exec-make-7' },
    })
  })

  test('ids are file-name safe', () => {
    expect(execTargetId('/usr/bin/make', 42)).toBe('exec-make-42')
    expect(execTargetId('./my tool$(x)', 1)).toBe('exec-my_tool__x_-1')
    expect(execTargetId('', 1)).toBe('exec-command-1')
    expect(execTargetId('x'.repeat(100), 1)).toBe(`exec-${'x'.repeat(40)}-1`)
  })

  test('command lines print as a shell would read them back, never with raw control characters', () => {
    expect(commandLine(['ls', '-l', '/tmp'])).toBe('ls -l /tmp')
    expect(commandLine(['echo', "it's", ''])).toBe("echo 'it'\\''s' ''")
    expect(commandLine(['printf', 'a\tb\x1b[31m\n'])).toBe("printf $'a\\x09b\\x1b[31m\\x0a'")
  })

  test('the provider lists the target once it is placed', async () => {
    const provider = new ExecProvider()
    expect(await provider.poll()).toEqual([])
    const target = execTarget({ id: 'exec-x-1', command: ['x'], pid: 1, cgroup: 'c', scope: null, cwd: '/', polledAt: 0 })
    provider.place(target)
    expect(await provider.poll()).toEqual([target])
    expect(provider.definition().name).toBe('exec')
  })
})

describe('the systemd scope', () => {
  const v2: Hierarchy = { version: 'v2', root: '/sys/fs/cgroup', controllers: {}, unified: '/sys/fs/cgroup' }
  const which = (program: string) => (program === 'systemd-run' ? '/usr/bin/systemd-run' : null)

  test('is used on a v2 host whose service manager runs: the system one for root, the user one otherwise', () => {
    const fs = memoryFs({ '/run/systemd/system/': '', '/run/user/1000/systemd/': '' })
    expect(systemdScope({ fs, hierarchy: v2, uid: 0, env: {}, which }, 'exec-a-1')).toEqual({ user: false, unit: 'radvisor-exec-a-1.scope', systemdRun: '/usr/bin/systemd-run' })
    expect(systemdScope({ fs, hierarchy: v2, uid: 1000, env: { XDG_RUNTIME_DIR: '/run/user/1000' }, which }, 'exec-a-1')?.user).toBe(true)
  })

  test('is not used on v1 or hybrid hosts, without systemd-run, or without a running manager', () => {
    const fs = memoryFs({ '/run/systemd/system/': '' })
    expect(systemdScope({ fs, hierarchy: { ...v2, version: 'hybrid' }, uid: 0, env: {}, which }, 'x')).toBeNull()
    expect(systemdScope({ fs, hierarchy: v2, uid: 0, env: {}, which: () => null }, 'x')).toBeNull()
    expect(systemdScope({ fs: memoryFs({}), hierarchy: v2, uid: 0, env: {}, which }, 'x')).toBeNull()
    expect(systemdScope({ fs, hierarchy: v2, uid: 1000, env: {}, which }, 'x')).toBeNull()
    expect(systemdScope({ fs, hierarchy: v2, uid: 1000, env: { XDG_RUNTIME_DIR: '/run/user/1000' }, which }, 'x')).toBeNull()
  })

  test('systemd-run gets accounting for the controllers asked for, and delegates the scope', () => {
    const scope = { user: true, unit: 'radvisor-exec-a-1.scope', systemdRun: '/usr/bin/systemd-run' }
    expect(systemdRunPrefix(scope, ['cpu', 'cpuacct', 'memory', 'pids', 'blkio'])).toEqual([
      '/usr/bin/systemd-run',
      '--user',
      '--scope',
      '--quiet',
      '--collect',
      '--unit=radvisor-exec-a-1.scope',
      ...['-p', 'CPUAccounting=yes', '-p', 'MemoryAccounting=yes', '-p', 'TasksAccounting=yes', '-p', 'IOAccounting=yes', '-p', 'Delegate=yes'],
      '--',
    ])
  })

  test('splitScope: the keeper and the command leave the scope, the command gets command/ with the controllers and limits', () => {
    const scope = 'system.slice/radvisor-exec-a-1.scope'
    const root = '/sys/fs/cgroup'
    const files: Record<string, string> = {}
    for (const level of [root, `${root}/system.slice`, `${root}/${scope}`]) {
      files[`${level}/cgroup.controllers`] = 'cpu io memory pids\n'
      files[`${level}/cgroup.subtree_control`] = level.endsWith('.scope') ? '\n' : 'cpu io memory pids\n'
      files[`${level}/cgroup.procs`] = ''
    }
    const fs = memoryFs(files)
    // memfs folders have no interface files: made on mkdir, as the kernel does.
    const mkdir = fs.mkdirSync.bind(fs)
    const write = fs.writeFileSync.bind(fs)
    fs.mkdirSync = ((path: string) => {
      mkdir(path)
      for (const file of ['cgroup.procs', 'cgroup.subtree_control']) write(`${path}/${file}`, '')
      write(`${path}/cgroup.controllers`, 'cpu io memory pids\n')
    }) as typeof fs.mkdirSync
    const writes: string[] = []
    fs.writeFileSync = ((path: string, data: string) => {
      writes.push(`${path.slice(root.length + scope.length + 2)} ${String(data).trim()}`)
      write(path, data)
    }) as typeof fs.writeFileSync
    const cgroup = splitScope({ fs, hierarchy: v2, scope, command: 5, keeper: 6, controllers: ['cpu', 'memory', 'pids'], limits: { cpus: 0.5, memoryBytes: 1 << 20 } })
    expect(cgroup.path).toBe(`${scope}/command`)
    expect(cgroup.missing).toEqual([])
    expect(writes).toEqual([
      // Both out of the scope's own folder, so that it can enable controllers for its children...
      'keeper/cgroup.procs 6',
      'keeper/cgroup.procs 5',
      'cgroup.subtree_control +cpu',
      'cgroup.subtree_control +memory',
      'cgroup.subtree_control +pids',
      // ...then the limits, before the command joins its own cgroup.
      'command/cpu.max 50000 100000',
      `command/memory.max ${1 << 20}`,
      'command/cgroup.procs 5',
    ])
  })

  test('splitScope: a scope it cannot split is one E_CGROUP error naming it', () => {
    const fs = memoryFs({ '/sys/fs/cgroup/cgroup.procs': '' })
    expect(() =>
      splitScope({ fs, hierarchy: v2, scope: 'system.slice/x.scope', command: 5, keeper: 6, controllers: ['cpu'], limits: {} }),
    ).toThrow(/cannot make \/sys\/fs\/cgroup\/system.slice\/x.scope\/keeper for the keeper of system.slice\/x.scope: /)
  })

  test("the scope's cgroup is where systemd put the process", () => {
    const scope = { user: false, unit: 'radvisor-exec-a-1.scope', systemdRun: 'systemd-run' }
    const fs = memoryFs({ '/proc/5/cgroup': '0::/system.slice/radvisor-exec-a-1.scope\n', '/proc/6/cgroup': '0::/user.slice/session-1.scope\n' })
    expect(scopeCgroup(fs, 5, scope)).toBe('system.slice/radvisor-exec-a-1.scope')
    expect(() => scopeCgroup(fs, 6, scope)).toThrow(/did not put the command into radvisor-exec-a-1.scope \(it is in \/user.slice\/session-1.scope\)/)
  })
})
