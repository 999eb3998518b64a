/**
 * radvisor as a new user installs it: every package packed with `npm pack`, the tarballs
 * installed with npm into an empty folder outside the workspace (the internal packages
 * through `overrides`, as the registry would resolve them). There, with Node and no Bun
 * on PATH, `npx radvisor` runs; `bunx radvisor` runs; a team's sink and its contract test
 * (importing only @radvisor/core and @radvisor/testing) pass `bun test` and `tsc`, the
 * sink runs in the installed CLI, and the testing kit's fixtures and mocks work.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readLog, REPO } from './_support.ts'

const TEAM = join(REPO, 'test/fixtures/install')
const rootManifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }

function which(command: string, path = process.env.PATH ?? ''): string | null {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8', env: { PATH: path } })
  return result.status === 0 ? result.stdout.trim() : null
}

const node = which('node')
const npm = which('npm')
/** npm's own cache, so that the install in the empty folder reuses what the workspace fetched. */
const npmCache = npm ? spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim() : ''
const skip = process.platform !== 'linux' ? 'radvisor collects cgroups on Linux only' : !node || !npm ? 'no node and npm on PATH' : null
if (skip) console.warn(`[install.e2e] skipping: ${skip}`)

describe.skipIf(skip !== null)('radvisor installed from its packed tarballs', () => {
  const root = mkdtempSync(join(tmpdir(), 'radvisor-install-'))
  const app = join(root, 'app')
  /** PATH with Node (and npm, npx) but no Bun. */
  const nodeOnly = join(root, 'node-only')
  const nodePath = `${nodeOnly}:/usr/bin:/bin`
  /** PATH with Bun and bunx (the ones the bun package installed), but no Node. */
  const bunOnly = join(root, 'bun-only')
  let installLog = ''

  function run(command: string[], path: string, cwd = app) {
    const result = spawnSync(command[0]!, command.slice(1), {
      cwd,
      encoding: 'utf8',
      env: { PATH: path, HOME: root, NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_cache: npmCache },
      timeout: 120_000,
    })
    // The signal and spawn error too, so that a failure says why a command stopped.
    return { code: result.status, signal: result.signal, error: result.error?.message, stdout: result.stdout, stderr: result.stderr }
  }

  beforeAll(() => {
    const tarballs = join(root, 'tarballs')
    mkdirSync(tarballs)
    const packed = spawnSync('npm', ['pack', '--workspaces', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd: REPO, encoding: 'utf8' })
    if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`)
    const files = Object.fromEntries((JSON.parse(packed.stdout) as { name: string; filename: string }[]).map((p) => [p.name, `file:${join(tarballs, p.filename)}`]))
    const direct = ['radvisor', '@radvisor/core', '@radvisor/testing']
    mkdirSync(app)
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'team-app',
        private: true,
        type: 'module',
        dependencies: { radvisor: files.radvisor, '@radvisor/core': files['@radvisor/core'] },
        devDependencies: {
          '@radvisor/testing': files['@radvisor/testing'],
          typescript: rootManifest.devDependencies.typescript,
          '@types/bun': rootManifest.devDependencies['@types/bun'],
        },
        overrides: Object.fromEntries(Object.entries(files).filter(([name]) => !direct.includes(name))),
      }),
    )
    mkdirSync(nodeOnly)
    for (const command of ['node', 'npm', 'npx']) symlinkSync(which(command)!, join(nodeOnly, command))
    const installed = run(['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline'], nodePath)
    installLog = installed.stdout + installed.stderr
    if (installed.code !== 0) throw new Error(`npm install failed:\n${installLog}`)
    mkdirSync(bunOnly)
    for (const command of ['bun', 'bunx']) symlinkSync(join(app, 'node_modules/.bin', command), join(bunOnly, command))
    copyFileSync(join(TEAM, 'lines-sink.ts'), join(app, 'lines-sink.ts'))
    copyFileSync(join(TEAM, 'lines-sink.contract.ts'), join(app, 'lines-sink.test.ts'))
    copyFileSync(join(TEAM, 'kit.contract.ts'), join(app, 'kit.test.ts'))
    copyFileSync(join(TEAM, 'tsconfig.json'), join(app, 'tsconfig.json'))
  }, 240_000)

  // Removing the install (230 MB) can take a while on a busy disk.
  afterAll(() => rmSync(root, { recursive: true, force: true }), 60_000)

  test('npm installs it on Node without engine warnings', () => {
    expect(installLog).not.toContain('EBADENGINE')
    expect(which('bun', nodePath)).toBeNull()
    expect(readdirSync(join(app, 'node_modules/@radvisor')).sort()).toEqual([
      'cgroup', 'core', 'provider-cgroup', 'provider-docker', 'provider-kubernetes', 'report', 'sink-csvy', 'sink-jsonl', 'sink-prometheus', 'testing',
    ])
  }, 60_000)

  test('npx radvisor, with Node and no Bun on PATH: --version, and run cgroup writing a log', () => {
    const version = run(['npx', 'radvisor', '--version'], nodePath)
    expect(version.stderr).toBe('')
    expect(version.stdout.trim()).toBe('0.1.0')
    const collected = run(['npx', 'radvisor', 'run', 'cgroup', '--duration', '1s', '-d', 'out'], nodePath)
    expect(collected.code).toBe(0)
    const root = readdirSync(join(app, 'out')).find((name) => /^root_\d+\.log$/.test(name))!
    expect(readLog(join(app, 'out', root)).rows.length).toBeGreaterThan(5)
  }, 60_000)

  test('bunx radvisor run cgroup, with Bun and Node on PATH, and bunx radvisor with Bun and no Node', () => {
    const collected = run(['bunx', 'radvisor', 'run', 'cgroup', '--duration', '1s', '-d', 'out-bunx'], `${bunOnly}:${nodePath}`)
    expect(collected.code).toBe(0)
    expect(readdirSync(join(app, 'out-bunx')).some((name) => /^root_\d+\.log$/.test(name))).toBe(true)
    expect(which('node', bunOnly)).toBeNull()
    const version = run([join(bunOnly, 'bunx'), 'radvisor', '--version'], bunOnly)
    expect(version.stdout.trim()).toBe('0.1.0')
  }, 60_000)

  test("a team's sink and its contract test: 30 lines of code on the installed packages only; bun test and tsc pass", () => {
    const code = (file: string) => readFileSync(join(app, file), 'utf8').split('\n').filter((line) => line.trim() && !line.trim().startsWith('//'))
    const imports = [...code('lines-sink.ts'), ...code('lines-sink.test.ts')].filter((line) => line.startsWith('import'))
    expect(imports.map((line) => /from '([^']+)'/.exec(line)![1]).sort()).toEqual(['./lines-sink.ts', '@radvisor/core', '@radvisor/testing'])
    expect(code('lines-sink.ts').length + code('lines-sink.test.ts').length).toBeLessThanOrEqual(30)
    const tested = run([join(app, 'node_modules/.bin/bun'), 'test'], nodePath)
    expect(tested).toMatchObject({ code: 0, stderr: expect.stringMatching(/\b7 pass\n 0 fail\n/) })
    const typed = run([join(app, 'node_modules/.bin/tsc'), '--noEmit', '-p', '.'], nodePath)
    expect(typed).toMatchObject({ code: 0, stdout: '', stderr: '' })
  }, 60_000)

  test("the team's sink runs in the installed CLI", () => {
    const collected = run(['npx', 'radvisor', 'run', 'cgroup', '--match', '/', '--duration', '500ms', '-d', 'out-lines', '--sink', './lines-sink.ts', '--sink-option', 'lines.path=rows.txt'], nodePath)
    expect(collected.stderr).not.toContain('error')
    expect(collected.code).toBe(0)
    expect(existsSync(join(app, 'out-lines'))).toBe(false)
    const rows = readFileSync(join(app, 'rows.txt'), 'utf8').trim().split('\n')
    expect(rows.length).toBeGreaterThan(3)
    for (const row of rows) expect(row).toMatch(/^root \d{19},/)
  }, 60_000)
})
