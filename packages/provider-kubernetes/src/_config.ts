import { delimiter, join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { describeError, type FileSystem, RadvisorError } from '@radvisor/core'

/** Where the service account's token and CA are mounted in every pod. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Where the configuration comes from; injected so tests need no real home or pod. */
export interface ConfigSources {
  /** `--kube-config`, when given. */
  readonly path?: string
  readonly env: Readonly<Record<string, string | undefined>>
  readonly homeDir: string
  readonly fs: Pick<FileSystem, 'existsSync'>
  /** The service account mount (default: the kubelet's path). */
  readonly serviceAccountDir?: string
}

/** A loaded configuration and a short description of its source, for messages. */
export interface LoadedConfig {
  readonly config: KubeConfig
  readonly source: string
  /** The API server's address. */
  readonly server: string
}

/**
 * Loads the Kubernetes client configuration: `--kube-config`, else `KUBECONFIG` (a list of
 * files, merged like kubectl does), else `~/.kube/config`, else in-cluster (service account
 * token and CA). Throws a `RadvisorError` (E_CONFIG) naming what was tried.
 */
export function loadKubeConfig(sources: ConfigSources): LoadedConfig {
  const { path, env, homeDir, fs } = sources
  if (path !== undefined) {
    if (!fs.existsSync(path)) throw configError(`--kube-config ${path} does not exist`)
    return finish(fromFiles([path], `--kube-config ${path}`), `--kube-config ${path}`)
  }
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((file) => file && fs.existsSync(file))
    if (files.length === 0) throw configError(`KUBECONFIG=${env.KUBECONFIG} names no existing file`)
    return finish(fromFiles(files, `KUBECONFIG=${env.KUBECONFIG}`), `KUBECONFIG=${env.KUBECONFIG}`)
  }
  const homeConfig = join(homeDir, '.kube', 'config')
  if (fs.existsSync(homeConfig)) return finish(fromFiles([homeConfig], homeConfig), homeConfig)

  const accountDir = sources.serviceAccountDir ?? serviceAccountDir
  const host = env.KUBERNETES_SERVICE_HOST
  const tokenFile = join(accountDir, 'token')
  if (host && fs.existsSync(tokenFile)) {
    return finish(inCluster(host, env.KUBERNETES_SERVICE_PORT ?? '443', accountDir), `in-cluster service account (${accountDir})`)
  }
  throw configError(
    `no Kubernetes configuration found: --kube-config not given, KUBECONFIG not set, ${homeConfig} missing, ` +
      `and not inside a pod (${host ? `${tokenFile} missing` : 'KUBERNETES_SERVICE_HOST not set'}); pass --kube-config <path>`,
  )
}

function fromFiles(files: readonly string[], source: string): KubeConfig {
  const config = new KubeConfig()
  try {
    config.loadFromFile(files[0]!)
    for (const file of files.slice(1)) {
      const more = new KubeConfig()
      more.loadFromFile(file)
      config.mergeConfig(more, true)
    }
  } catch (error) {
    throw configError(`cannot read the Kubernetes configuration from ${source}: ${describeError(error)}`, error)
  }
  return config
}

/** The configuration a pod gets from its service account (as client-node's `loadFromCluster`). */
function inCluster(host: string, port: string, accountDir: string): KubeConfig {
  const config = new KubeConfig()
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https'
  const address = host.includes(':') ? `[${host}]` : host
  config.loadFromClusterAndUser(
    { name: 'inCluster', server: `${scheme}://${address}:${port}`, caFile: join(accountDir, 'ca.crt'), skipTLSVerify: false },
    // The token file is re-read on every request: projected tokens are rotated hourly.
    { name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: join(accountDir, 'token') } } },
  )
  return config
}

function finish(config: KubeConfig, source: string): LoadedConfig {
  const cluster = config.getCurrentCluster()
  if (!cluster?.server) {
    throw configError(`${source} has no current context with a cluster server (current-context: ${config.getCurrentContext() || 'none'})`)
  }
  return { config, source, server: cluster.server.replace(/\/+$/, '') }
}

function configError(message: string, cause?: unknown): RadvisorError {
  return new RadvisorError('provider-kubernetes', 'E_CONFIG', message, cause === undefined ? undefined : { cause })
}
