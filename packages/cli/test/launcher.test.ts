/**
 * The `radvisor` bin (bin/radvisor.js) as users start it: with Node and no Bun on PATH,
 * with an old or a recent Bun on PATH, under Bun itself, and with no Bun anywhere; and how
 * it passes signals and exit codes through when it runs the CLI as a child.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const launcher = resolve(import.meta.dir, '../bin/radvisor.js')
const fixtures = resolve(import.meta.dir, 'fixtures')
const counter = join(fixtures, 'counter-provider.ts')
const fileSink = join(fixtures, 'file-sink.ts')
const work = mkdtempSync(join(tmpdir(), 'radvisor-launcher-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const node = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).stdout.trim()
const realBun = process.execPath

/** A folder for PATH holding `node` and, when given, a `bun` shell script. */
function pathWith(name: string, bunScript?: string): string {
  const folder = join(work, name)
  mkdirSync(folder, { recursive: true })
  symlinkSync(node, join(folder, 'node'))
  if (bunScript !== undefined) {
    writeFileSync(join(folder, 'bun'), `#!/bin/sh\n${bunScript}\n`)
    chmodSync(join(folder, 'bun'), 0o755)
  }
  return `${folder}:/usr/bin:/bin`
}

function run(command: string[], path: string) {
  const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', env: { ...process.env, PATH: path, NO_COLOR: '1' } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** A copy of the launcher with a stand-in CLI that prints its pid and arguments, and no bun package beside it. */
function loneLauncher(name: string): string {
  const root = join(work, name)
  mkdirSync(join(root, 'bin'), { recursive: true })
  mkdirSync(join(root, 'src'), { recursive: true })
  for (const file of ['radvisor.js', '_parent-guard.js']) copyFileSync(join(launcher, '..', file), join(root, 'bin', file))
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n')
  writeFileSync(join(root, 'src/bin.ts'), 'console.log(JSON.stringify({ pid: process.pid, args: process.argv.slice(2) }))\n')
  return join(root, 'bin/radvisor.js')
}

const skipNode = node ? null : 'no node on PATH'
if (skipNode) console.warn(`[launcher] skipping the Node tests: ${skipNode}`)

describe.skipIf(skipNode !== null)('the radvisor bin under Node', () => {
  test('with no Bun on PATH, runs the CLI with the binary of the bun package', () => {
    const { code, stdout, stderr } = run([node, launcher, '--version'], pathWith('none'))
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  }, 30_000)

  test('prefers a Bun >= 1.4 on PATH', () => {
    const marker = join(work, 'recent-used')
    const path = pathWith('recent', `[ "$1" = --version ] && { echo 1.9.0; exit 0; }\ntouch ${marker}\nexec ${realBun} "$@"`)
    const { code, stdout } = run([node, launcher, '--version'], path)
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    expect(existsSync(marker)).toBe(true)
  }, 30_000)

  test('passes over a Bun older than 1.4 on PATH', () => {
    const marker = join(work, 'old-used')
    const path = pathWith('old', `[ "$1" = --version ] && { echo 1.2.3; exit 0; }\ntouch ${marker}\nexit 99`)
    const { code, stdout } = run([node, launcher, '--version'], path)
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
    expect(existsSync(marker)).toBe(false)
  }, 30_000)

  test('passes the arguments through unchanged', () => {
    const lone = loneLauncher('args')
    const path = pathWith('args-bun', `exec ${realBun} "$@"`)
    const args = ['run', 'cgroup', '--match', 'system.slice/*.service', 'a b', '', "it's"]
    const { code, stdout } = run([node, lone, ...args], path)
    expect(code).toBe(0)
    expect(JSON.parse(stdout).args).toEqual(args)
  }, 30_000)

  test('with no usable Bun anywhere, says so in one line and exits 1', () => {
    const lone = loneLauncher('missing')
    const none = run([node, lone, '--version'], pathWith('missing-path'))
    expect(none.code).toBe(1)
    expect(none.stdout).toBe('')
    expect(none.stderr).toBe(
      '[radvisor] needs Bun >= 1.4, but there is no bun on PATH and no bun package beside radvisor: install Bun >= 1.4 (https://bun.sh), or reinstall radvisor without --ignore-scripts\n',
    )
    const old = run([node, lone, '--version'], pathWith('missing-old', 'echo 1.1.0'))
    expect(old.code).toBe(1)
    expect(old.stderr).toMatch(/^\[radvisor\] needs Bun >= 1\.4, but \S+\/bun \(on PATH\) is Bun 1\.1\.0: install Bun >= 1\.4 .*\n$/)
    expect(old.stderr.split('\n')).toHaveLength(2)
  }, 30_000)

  test("without the bun package's postinstall (--ignore-scripts), uses the binary of its platform package", () => {
    const lone = loneLauncher('ignore-scripts')
    const modules = join(lone, '../../node_modules')
    mkdirSync(join(modules, 'bun/bin'), { recursive: true })
    writeFileSync(join(modules, 'bun/package.json'), '{"name":"bun","version":"1.4.5"}')
    // What npm unpacks before the postinstall replaces it.
    writeFileSync(join(modules, 'bun/bin/bun.exe'), 'placeholder: see README.txt\n')
    chmodSync(join(modules, 'bun/bin/bun.exe'), 0o755)
    const broken = run([node, lone, 'x'], pathWith('ignore-scripts-none'))
    expect(broken.code).toBe(1)
    expect(broken.stderr).toMatch(/^\[radvisor\] needs Bun >= 1\.4, but \S+bun\.exe \(from the bun package\) does not run \([^)]+\): /)
    const platform = join(modules, `@oven/bun-${process.platform}-${process.arch}`)
    mkdirSync(join(platform, 'bin'), { recursive: true })
    writeFileSync(join(platform, 'package.json'), '{"name":"platform","version":"1.4.5"}')
    symlinkSync(realBun, join(platform, 'bin/bun'))
    const { code, stdout } = run([node, lone, 'x'], pathWith('ignore-scripts-platform'))
    expect(code).toBe(0)
    expect(JSON.parse(stdout).args).toEqual(['x'])
  }, 30_000)

  test("returns the CLI's exit code and its error line", () => {
    const { code, stderr } = run([node, launcher, 'run', 'nope'], pathWith('exit-code'))
    expect(code).toBe(2)
    expect(stderr).toContain("unknown provider 'nope'")
  }, 30_000)
})

describe('the radvisor bin under Bun', () => {
  test('runs the CLI in its own process', () => {
    const lone = loneLauncher('under-bun')
    const child = spawnSync(realBun, [lone, 'run', 'x'], { encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } })
    expect(child.status).toBe(0)
    expect(JSON.parse(child.stdout)).toEqual({ pid: child.pid, args: ['run', 'x'] })
  }, 30_000)

  test('runs the real CLI', () => {
    const { code, stdout } = run([realBun, launcher, '--version'], '/usr/bin:/bin')
    expect(code).toBe(0)
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  }, 30_000)
})

describe.skipIf(skipNode !== null)('signals through the Node launcher', () => {
  /**
   * The launcher under Node running the counter provider into the file sink, in a process
   * group of its own as a shell would start it; resolves once both targets are collected.
   */
  async function start(name: string, sink = ['--sink', fileSink, '--sink-option', `file.path=${join(work, `${name}.txt`)}`]) {
    const child = spawn(node, [launcher, 'run', counter, '-i', '20ms', ...sink], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PATH: pathWith(name), NO_COLOR: '1' },
    })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
    const deadline = Date.now() + 15_000
    while (!stderr.includes('target-t1')) {
      if (Date.now() > deadline) throw new Error(`the CLI did not start collecting; stderr:\n${stderr}`)
      await Bun.sleep(20)
    }
    await Bun.sleep(200)
    return { child, exited, stderr: () => stderr, output: () => readFileSync(join(work, `${name}.txt`), 'utf8') }
  }

  test("Ctrl+C (SIGINT to the terminal's process group) stops the run gracefully", async () => {
    const run = await start('ctrl-c')
    process.kill(-run.child.pid!, 'SIGINT')
    expect(await run.exited).toBe(0)
    expect(run.output().trim().split('\n').at(-1)).toBe('flushed')
  }, 30_000)

  test('SIGTERM to the launcher alone is passed on and the run stops gracefully', async () => {
    const run = await start('sigterm')
    run.child.kill('SIGTERM')
    expect(await run.exited).toBe(0)
    expect(run.output().trim().split('\n').at(-1)).toBe('flushed')
  }, 30_000)

  test('the same signal delivered twice in a moment (npm forwards what the terminal sent) counts once', async () => {
    const closed = join(work, 'twice.closed')
    const run = await start('twice', ['--sink', join(fixtures, 'timed-close-sink.ts'), '--sink-option', `timed.path=${closed}`])
    process.kill(-run.child.pid!, 'SIGINT')
    await Bun.sleep(60)
    run.child.kill('SIGINT')
    expect(await run.exited).toBe(0)
    expect(readFileSync(closed, 'utf8')).toBe('closed\n')
  }, 30_000)

  test('the CLI stops gracefully by itself when the launcher is killed outright (SIGKILL)', async () => {
    const closed = join(work, 'orphan.closed')
    const run = await start('orphan', ['--sink', join(fixtures, 'timed-close-sink.ts'), '--sink-option', `timed.path=${closed}`, '--sink-option', 'timed.ms=10'])
    run.child.kill('SIGKILL')
    await run.exited
    const deadline = Date.now() + 10_000
    while (!existsSync(closed) && Date.now() < deadline) await Bun.sleep(50)
    expect(existsSync(closed)).toBe(true)
  }, 30_000)

  test('a second signal later still forces the exit (code 2)', async () => {
    const run = await start('second', ['--sink', join(fixtures, 'slow-close-sink.ts')])
    run.child.kill('SIGINT')
    await Bun.sleep(500)
    run.child.kill('SIGINT')
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toContain('during shutdown')
  }, 30_000)
})
