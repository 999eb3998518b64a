/**
 * The deploy/ manifests: they parse, they match the Kubernetes object schema (each object
 * survives a round trip through @kubernetes/client-node's model types unchanged, so an
 * unknown or misspelt field fails), the RBAC grants only get/list/watch on pods and nodes,
 * the DaemonSet neither throttles nor starves the sampler, and the CLI accepts the
 * DaemonSet's arguments (a real run against the mock API server, logs named for the node).
 * The image itself is built and run in image.e2e.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import {
  dumpYaml,
  loadAllYaml,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1DaemonSet,
  V1Namespace,
  V1ServiceAccount,
} from '@kubernetes/client-node'
import { type KubeObject, MockKubernetesApi } from '@radvisor/testing'
import { BINARY_IN_IMAGE, version } from '../scripts/build-image.ts'
import { parse, parseAllDocuments } from 'yaml'
import nodeList from '../fixtures/kubernetes/nodes.json'
import podList from '../fixtures/kubernetes/pods.json'

const REPO = resolve(import.meta.dir, '..')
const DEPLOY = join(REPO, 'deploy')
const manifests = readdirSync(DEPLOY).filter((name) => name.endsWith('.yaml'))

/** The YAML documents of a manifest, as plain objects; fails on any YAML error or warning. */
function documents(name: string): Record<string, unknown>[] {
  const parsed = parseAllDocuments(readFileSync(join(DEPLOY, name), 'utf8'))
  if (!Array.isArray(parsed)) throw new Error(`${name}: no YAML documents`)
  for (const document of parsed) {
    expect(document.errors.map(String)).toEqual([])
    expect(document.warnings.map(String)).toEqual([])
  }
  return parsed.map((document) => document.toJS() as Record<string, unknown>)
}

const objects = () => manifests.flatMap((name) => documents(name))
const ofKind = (kind: string) => objects().filter((object) => object.kind === kind)

describe('deploy manifests', () => {
  test('are daemonset.yaml and rbac.yaml', () => {
    expect(manifests.sort()).toEqual(['daemonset.yaml', 'rbac.yaml'])
  })

  test.each(manifests)('%s parses, and each object matches its Kubernetes model without losing a field', (name) => {
    const plain = documents(name)
    const typed = loadAllYaml(readFileSync(join(DEPLOY, name), 'utf8'))
    expect(typed).toHaveLength(plain.length)
    const models: Record<string, unknown> = {
      Namespace: V1Namespace,
      ServiceAccount: V1ServiceAccount,
      ClusterRole: V1ClusterRole,
      ClusterRoleBinding: V1ClusterRoleBinding,
      DaemonSet: V1DaemonSet,
    }
    typed.forEach((object, index) => {
      const kind = plain[index]!.kind as string
      expect(models[kind]).toBeDefined()
      expect(object).toBeInstanceOf(models[kind] as new () => unknown)
      // Deserializing drops what the model does not know; serializing back must give the original.
      expect(parse(dumpYaml(object))).toEqual(plain[index])
    })
  })

  test('the round trip does catch a misspelt field', () => {
    const text = readFileSync(join(DEPLOY, 'daemonset.yaml'), 'utf8').replace('mountPropagation:', 'mountPropogation:')
    const [plain] = parseAllDocuments(text) as unknown as { toJS(): unknown }[]
    expect(parse(dumpYaml(loadAllYaml(text)[0]))).not.toEqual(plain!.toJS())
  })
})

describe('RBAC', () => {
  test('one ClusterRole, granting only get, list and watch on pods and nodes of the core group', () => {
    expect(ofKind('Role')).toEqual([])
    const roles = ofKind('ClusterRole')
    expect(roles).toHaveLength(1)
    const rules = (roles[0]!.rules as { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[]) ?? []
    const grants = rules.flatMap((rule) =>
      rule.apiGroups.flatMap((group) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`))),
    )
    expect(grants.sort()).toEqual(['/nodes:get', '/nodes:list', '/nodes:watch', '/pods:get', '/pods:list', '/pods:watch'])
    expect(rules.every((rule) => Object.keys(rule).every((key) => ['apiGroups', 'resources', 'verbs'].includes(key)))).toBe(true)
  })

  test("the binding gives that role to the DaemonSet's service account, and nothing else is bound", () => {
    const [role] = ofKind('ClusterRole') as { metadata: { name: string } }[]
    const bindings = [...ofKind('ClusterRoleBinding'), ...ofKind('RoleBinding')] as {
      roleRef: { kind: string; name: string }
      subjects: { kind: string; name: string; namespace: string }[]
    }[]
    expect(bindings).toHaveLength(1)
    expect(bindings[0]!.roleRef).toMatchObject({ kind: 'ClusterRole', name: role!.metadata.name })
    const [daemonSet] = ofKind('DaemonSet') as { metadata: { namespace: string }; spec: { template: { spec: { serviceAccountName: string } } } }[]
    expect(bindings[0]!.subjects).toEqual([
      { kind: 'ServiceAccount', name: daemonSet!.spec.template.spec.serviceAccountName, namespace: daemonSet!.metadata.namespace },
    ])
    const [account] = ofKind('ServiceAccount') as { metadata: { name: string; namespace: string } }[]
    expect(account!.metadata).toMatchObject({ name: 'radvisor', namespace: daemonSet!.metadata.namespace })
  })
})

interface Container {
  image: string
  args: string[]
  env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]
  ports: { name: string; containerPort: number; protocol: string }[]
  resources: { requests: Record<string, string>; limits: Record<string, string> }
  securityContext: { seccompProfile?: { type: string }; readOnlyRootFilesystem?: boolean; capabilities?: { drop: string[] } }
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[]
}
interface PodSpec {
  priorityClassName?: string
  containers: Container[]
  volumes: { name: string; hostPath?: { path: string } }[]
}

function daemonSetPod(): PodSpec {
  const [daemonSet] = ofKind('DaemonSet') as { spec: { template: { spec: PodSpec } } }[]
  return daemonSet!.spec.template.spec
}

/** `$(NAME)` references in `args` replaced from `env`, as the kubelet expands them. */
function expand(args: readonly string[], env: Readonly<Record<string, string>>): string[] {
  return args.map((arg) => arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (reference, name: string) => env[name] ?? reference))
}

/** The value following `flag` in `args`. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const index = args.indexOf(flag)
  return index >= 0 ? args[index + 1] : undefined
}

describe('DaemonSet', () => {
  test('mounts the host cgroup tree read-only and passes it as --cgroup-root', () => {
    const pod = daemonSetPod()
    const [container] = pod.containers
    const volume = pod.volumes.find((v) => v.hostPath?.path === '/sys/fs/cgroup')!
    const mount = container!.volumeMounts.find((m) => m.name === volume.name)!
    expect(mount.readOnly).toBe(true)
    expect(flagValue(container!.args, '--cgroup-root')).toBe(mount.mountPath)
  })

  test('writes logs to a hostPath, takes NODE_NAME from the downward API and names the node in log headers', () => {
    const pod = daemonSetPod()
    const [container] = pod.containers
    const directory = flagValue(container!.args, '--directory')!
    const logMount = container!.volumeMounts.find((m) => directory.startsWith(m.mountPath))!
    expect(pod.volumes.find((v) => v.name === logMount.name)?.hostPath).toBeDefined()
    expect(container!.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } })
    expect(flagValue(container!.args, '--csvy-hostname')).toBe('$(NODE_NAME)')
  })

  test('bounds the logs on the node: retention by age and by size', () => {
    const { args } = daemonSetPod().containers[0]!
    expect(flagValue(args, '--csvy-retention-age')).toMatch(/^\d+d$/)
    expect(flagValue(args, '--csvy-retention-size')).toMatch(/^\d+GiB$/)
  })

  test('requests CPU and memory, limits memory only: a CPU quota would throttle the 50 ms sampler', () => {
    const { resources } = daemonSetPod().containers[0]!
    expect(Object.keys(resources.requests).sort()).toEqual(['cpu', 'memory'])
    expect(Object.keys(resources.limits)).toEqual(['memory'])
  })

  test('runs at system-node-critical priority, under the runtime default seccomp profile, with nothing writable but its mounts', () => {
    const pod = daemonSetPod()
    const { securityContext } = pod.containers[0]!
    expect(pod.priorityClassName).toBe('system-node-critical')
    expect(securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' })
    expect(securityContext.readOnlyRootFilesystem).toBe(true)
    expect(securityContext.capabilities?.drop).toEqual(['ALL'])
  })

  test('declares the metrics port that the prometheus sink serves', () => {
    const { args, ports } = daemonSetPod().containers[0]!
    const sinks = args.flatMap((arg, index) => (arg === '--sink' ? [args[index + 1]] : []))
    expect(sinks).toEqual(['csvy', 'prometheus'])
    const port = Number(flagValue(args, '--prometheus-listen')!.split(':').at(-1))
    expect(ports).toEqual([{ name: 'metrics', containerPort: port, protocol: 'TCP' }])
  })

  test("runs the image scripts/build-image.ts makes: the binary from scratch, `run kubernetes` by default", () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8')
    expect(dockerfile).toMatch(/^FROM scratch$/m)
    expect(dockerfile).toContain(`ENTRYPOINT ["${BINARY_IN_IMAGE}"]`)
    expect(dockerfile).toContain('CMD ["run", "kubernetes"]')
    const [container] = daemonSetPod().containers
    expect(container!.image).toBe(`radvisor:${version()}`)
    expect(container!.args.slice(0, 2)).toEqual(['run', 'kubernetes'])
  })
})

describe("the DaemonSet's arguments, run by the CLI", () => {
  let api: MockKubernetesApi
  let folder: string
  beforeAll(async () => {
    api = await MockKubernetesApi.start({ tls: 'server', nodes: nodeList.items as unknown as KubeObject[], pods: podList.items as unknown as KubeObject[] })
    folder = mkdtempSync(join(tmpdir(), 'radvisor-deploy-'))
  })
  afterAll(async () => {
    await api.close()
    rmSync(folder, { recursive: true, force: true })
  })

  /**
   * The container's arguments with only the host paths moved to test folders (a fixture
   * cgroup tree, a temporary log folder), plus the mock's kubeconfig in place of the
   * in-cluster service account and a short --duration; NODE_NAME as the downward API sets it.
   */
  async function runWith(extra: string[] = []) {
    const args = expand(daemonSetPod().containers[0]!.args, { NODE_NAME: 'worker-2' })
    args[args.indexOf('--cgroup-root') + 1] = join(REPO, 'fixtures/kubernetes/cgroup/v2-systemd/root')
    const logs = mkdtempSync(join(folder, 'logs-'))
    args[args.indexOf('--directory') + 1] = logs
    args[args.indexOf('--prometheus-listen') + 1] = '127.0.0.1:0'
    const kubeconfig = api.writeKubeconfig(join(folder, 'kubeconfig'))
    const child = Bun.spawn([join(REPO, 'node_modules/.bin/radvisor'), ...args, '--kube-config', kubeconfig, '--duration', '1s', ...extra], {
      cwd: REPO,
      env: { ...process.env, NODE_NAME: 'worker-2', NO_COLOR: '1', PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}` },
      stdout: 'ignore',
      stderr: 'pipe',
    })
    const stderr = await new Response(child.stderr).text()
    return { code: await child.exited, stderr, logs: readdirSync(logs).map((name) => join(logs, name)) }
  }

  test('are accepted: the run succeeds and logs every pod of the node', async () => {
    const { code, stderr, logs } = await runWith()
    expect(stderr).toContain('pods of node worker-2 (from NODE_NAME)')
    expect(code).toBe(0)
    expect(logs).toHaveLength(3)
    for (const log of logs) expect(readFileSync(log, 'utf8')).toContain('\n  Hostname: worker-2\n')
  })

  test('and the same check rejects an argument the CLI does not know', async () => {
    const { code, stderr } = await runWith(['--no-such-flag', 'x'])
    expect(code).toBe(2)
    expect(stderr).toContain("unknown option '--no-such-flag'")
  })
})
