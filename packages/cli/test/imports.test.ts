/**
 * @kubernetes/client-node (the heaviest dependency by far) is loaded only by
 * `radvisor run kubernetes`: not by `run cgroup`, `run docker`, `--help` or `report`.
 */
import { expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cgroupFixturesDir } from '@radvisor/testing'

const bin = resolve(import.meta.dir, '../src/bin.ts')
const tracer = resolve(import.meta.dir, 'fixtures/trace-client-node.ts')

function loads(args: string[]) {
  const out = mkdtempSync(join(tmpdir(), 'radvisor-imports-'))
  try {
    const result = Bun.spawnSync([process.execPath, '--preload', tracer, bin, ...args.map((arg) => arg.replace('$OUT', out))], {
      env: { ...process.env, NO_COLOR: '1', KUBECONFIG: join(out, 'none') },
    })
    const stderr = result.stderr.toString()
    return { code: result.exitCode, stderr, clientNode: stderr.split('\n').filter((line) => line.startsWith('loaded ')) }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
}

const tree = join(cgroupFixturesDir, 'v2-systemd/root')

test.each([
  ['run cgroup', ['run', 'cgroup', '--cgroup-root', tree, '--duration', '200ms', '-d', '$OUT']],
  ['run docker', ['run', 'docker', '--docker-host', 'unix:///nonexistent/docker.sock', '-d', '$OUT']],
  ['--help', ['--help']],
  ['run --help', ['run', '--help']],
  ['report', ['report', '$OUT']],
])('%s does not load @kubernetes/client-node', (_, args) => {
  const { clientNode, stderr } = loads(args)
  expect({ clientNode, stderr: clientNode.length ? stderr : '' }).toEqual({ clientNode: [], stderr: '' })
}, 30_000)

test('run kubernetes does load it (the tracer sees it)', () => {
  const { clientNode } = loads(['run', 'kubernetes', '--node-name', 'worker-1', '-d', '$OUT'])
  expect(clientNode.length).toBeGreaterThan(0)
}, 30_000)
