import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import * as nodeFs from 'node:fs'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ConfigSources, loadKubeConfig } from '../src/_config.ts'
import { temporaryFolder } from './_support.ts'
import { radvisorErrorOf } from '@radvisor/testing'

let folder: ReturnType<typeof temporaryFolder>
beforeEach(() => {
  folder = temporaryFolder()
})
afterEach(() => folder.remove())

/** Writes a kubeconfig whose only cluster has `server`, and returns its path. */
function kubeconfig(name: string, server: string, context = 'main'): string {
  const path = join(folder.path, name)
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${context}`,
      '  cluster:',
      `    server: ${server}`,
      'users:',
      `- name: ${context}`,
      '  user:',
      '    token: abc',
      'contexts:',
      `- name: ${context}`,
      '  context:',
      `    cluster: ${context}`,
      `    user: ${context}`,
      `current-context: ${context}`,
      '',
    ].join('\n'),
  )
  return path
}

function sources(overrides: Partial<ConfigSources> = {}): ConfigSources {
  return { env: {}, homeDir: join(folder.path, 'home'), fs: nodeFs, serviceAccountDir: join(folder.path, 'sa'), ...overrides }
}

describe('loadKubeConfig', () => {
  test('--kube-config wins over KUBECONFIG and ~/.kube/config', () => {
    const flag = kubeconfig('flag.yaml', 'https://flag.example:6443')
    const env = kubeconfig('env.yaml', 'https://env.example:6443')
    kubeconfig('home/.kube/config', 'https://home.example:6443')
    const loaded = loadKubeConfig(sources({ path: flag, env: { KUBECONFIG: env } }))
    expect(loaded.server).toBe('https://flag.example:6443')
    expect(loaded.source).toBe(`--kube-config ${flag}`)
  })

  test('KUBECONFIG is a list: missing files are passed over, the others merged, the first current-context kept', () => {
    const first = kubeconfig('a.yaml', 'https://a.example:6443', 'a')
    const second = kubeconfig('b.yaml', 'https://b.example:6443', 'b')
    const loaded = loadKubeConfig(sources({ env: { KUBECONFIG: [join(folder.path, 'missing.yaml'), first, second].join(':') } }))
    expect(loaded.server).toBe('https://a.example:6443')
    expect(loaded.config.getContexts().map((c) => c.name)).toEqual(['a', 'b'])
  })

  test('KUBECONFIG wins over ~/.kube/config', () => {
    const env = kubeconfig('env.yaml', 'https://env.example:6443')
    kubeconfig('home/.kube/config', 'https://home.example:6443')
    expect(loadKubeConfig(sources({ env: { KUBECONFIG: env } })).server).toBe('https://env.example:6443')
  })

  test('~/.kube/config when neither flag nor KUBECONFIG is given', () => {
    const home = kubeconfig('home/.kube/config', 'https://home.example:6443/')
    const loaded = loadKubeConfig(sources({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } }))
    expect(loaded.server).toBe('https://home.example:6443')
    expect(loaded.source).toBe(home)
  })

  test('in-cluster: the service account token and CA, and the API server from the environment', () => {
    mkdirSync(join(folder.path, 'sa'))
    writeFileSync(join(folder.path, 'sa', 'token'), 'service-account-token')
    const loaded = loadKubeConfig(sources({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' } }))
    expect(loaded.server).toBe('https://10.96.0.1:443')
    expect(loaded.source).toContain('in-cluster service account')
    expect(loaded.config.getCurrentCluster()?.caFile).toBe(join(folder.path, 'sa', 'ca.crt'))
    expect(loaded.config.getCurrentUser()?.authProvider).toEqual({ name: 'tokenFile', config: { tokenFile: join(folder.path, 'sa', 'token') } })
  })

  test('in-cluster with an IPv6 service address puts it in brackets', () => {
    mkdirSync(join(folder.path, 'sa'))
    writeFileSync(join(folder.path, 'sa', 'token'), 't')
    expect(loadKubeConfig(sources({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' } })).server).toBe(
      'https://[fd00::1]:443',
    )
  })

  test('nothing found: one E_CONFIG line naming every source tried', () => {
    const error = radvisorErrorOf(() => loadKubeConfig(sources()))
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toContain('--kube-config not given')
    expect(error.message).toContain('KUBECONFIG not set')
    expect(error.message).toContain(`${join(folder.path, 'home', '.kube', 'config')} missing`)
    expect(error.message).toContain('KUBERNETES_SERVICE_HOST not set')
    expect(error.message).not.toContain('\n')
  })

  test('in a pod without a token file, the message names the token file', () => {
    const error = radvisorErrorOf(() => loadKubeConfig(sources({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' } })))
    expect(error.message).toContain(`${join(folder.path, 'sa', 'token')} missing`)
  })

  test('--kube-config naming a missing file is an E_CONFIG naming it', () => {
    const error = radvisorErrorOf(() => loadKubeConfig(sources({ path: '/nonexistent/kubeconfig' })))
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toBe('--kube-config /nonexistent/kubeconfig does not exist')
  })

  test('KUBECONFIG naming no existing file is an E_CONFIG', () => {
    const error = radvisorErrorOf(() => loadKubeConfig(sources({ env: { KUBECONFIG: '/nonexistent/a:/nonexistent/b' } })))
    expect(error.message).toBe('KUBECONFIG=/nonexistent/a:/nonexistent/b names no existing file')
  })

  test('a file that is not a kubeconfig is an E_CONFIG naming the file', () => {
    const path = join(folder.path, 'broken.yaml')
    writeFileSync(path, 'clusters: [unclosed\n')
    const error = radvisorErrorOf(() => loadKubeConfig(sources({ path })))
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toContain(`cannot read the Kubernetes configuration from --kube-config ${path}`)
  })

  test('a kubeconfig without a current context is an E_CONFIG', () => {
    const path = kubeconfig('no-context.yaml', 'https://x.example:6443')
    writeFileSync(path, nodeFs.readFileSync(path, 'utf8').replace('current-context: main', 'current-context: other'))
    const error = radvisorErrorOf(() => loadKubeConfig(sources({ path })))
    expect(error.code).toBe('E_CONFIG')
    expect(error.message).toContain('has no current context with a cluster server (current-context: other)')
  })
})
