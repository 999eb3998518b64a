/**
 * The standalone binary (`npm run build:binary`): built with `bun build --compile`, copied
 * alone into an empty folder and run with an empty environment, it prints its version,
 * collects the real root cgroup into a CSVY log and turns it into a text and an HTML report,
 * and collects the pods of a (mock) Kubernetes API server: the report's and the Kubernetes
 * provider's code are chunks of their own in the binary, loaded on first use.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type KubeObject, MockKubernetesApi } from '@radvisor/testing'
import nodeList from '../fixtures/kubernetes/nodes.json'
import podList from '../fixtures/kubernetes/pods.json'
import { buildBinary, hostTarget, TARGETS } from '../scripts/build-binary.ts'
import { readLog } from './_support.ts'

const skip = !(hostTarget() in TARGETS)
  ? `no compile target for ${hostTarget()}`
  : process.platform !== 'linux'
    ? 'radvisor collects cgroups on Linux only'
    : null
if (skip) console.warn(`[binary.e2e] skipping: ${skip}`)

describe.skipIf(skip !== null)('the standalone binary', () => {
  const folder = mkdtempSync(join(tmpdir(), 'radvisor-binary-'))
  afterAll(() => rmSync(folder, { recursive: true, force: true }), 30_000)
  const binary = join(folder, 'radvisor')

  /** Runs the copied binary in its folder with nothing in the environment. */
  function run(...args: string[]) {
    const result = Bun.spawnSync([binary, ...args], { cwd: folder, env: {} })
    return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
  }

  test('builds, and runs alone in an empty folder', () => {
    copyFileSync(buildBinary(), binary)
    expect(readdirSync(folder)).toEqual(['radvisor'])
    const { code, stdout } = run('--version')
    expect(code).toBe(0)
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(join(import.meta.dir, '../packages/cli/package.json'), 'utf8')).version)
  }, 60_000)

  test('collects the root cgroup and reports on it, as text and as HTML with uPlot inlined', () => {
    const collected = run('run', 'cgroup', '--match', '/', '--duration', '1s', '-d', 'stats', '--color', 'never')
    expect(collected.stderr).not.toContain('error')
    expect(collected.code).toBe(0)
    const logs = readdirSync(join(folder, 'stats'))
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(/^root_\d+\.log$/)
    expect(readLog(join(folder, 'stats', logs[0]!)).rows.length).toBeGreaterThan(5)

    const text = run('report', 'stats')
    expect(text.code).toBe(0)
    expect(text.stdout).toContain('samples')
    const html = run('report', 'stats', '--html', 'report.html')
    expect(html.code).toBe(0)
    const page = readFileSync(join(folder, 'report.html'), 'utf8')
    expect(page).toContain('uPlot')
    expect(page).not.toMatch(/<script[^>]+src=/)
  }, 30_000)

  test('collects the pods of a Kubernetes API server (TLS with a client certificate) on a cgroup v2 tree', async () => {
    const api = await MockKubernetesApi.start({ tls: 'client-cert', nodes: nodeList.items as unknown as KubeObject[], pods: podList.items as unknown as KubeObject[] })
    try {
      const kubeconfig = api.writeKubeconfig(join(folder, 'kubeconfig'))
      const root = resolve(import.meta.dir, '../fixtures/kubernetes/cgroup/v2-systemd/root')
      // Not spawnSync: the mock API server answers from this process's event loop.
      const child = Bun.spawn([binary, 'run', 'kubernetes', '--kube-config', kubeconfig, '--node-name', 'worker-2', '--cgroup-root', root, '--duration', '1s', '-d', 'pods', '--color', 'never'], { cwd: folder, env: {}, stderr: 'pipe' })
      const [code, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()])
      expect(stderr).not.toContain('error')
      expect(code).toBe(0)
      const running = (podList.items as unknown as { metadata: { uid: string }; spec: { nodeName: string }; status: { phase: string } }[])
        .filter((pod) => pod.spec.nodeName === 'worker-2' && pod.status.phase === 'Running')
        .map((pod) => pod.metadata.uid)
      expect(running.length).toBeGreaterThan(0)
      expect(readdirSync(join(folder, 'pods')).map((name) => name.replace(/_\d+\.log$/, '')).sort()).toEqual(running.sort())
    } finally {
      await api.close()
    }
  }, 30_000)
})
