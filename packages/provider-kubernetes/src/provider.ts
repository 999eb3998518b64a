import type { V1PodList } from '@kubernetes/client-node'
import {
  type Backoff,
  type Clock,
  excerpt,
  type FileSystem,
  type Logger,
  type Provider,
  RadvisorError,
  systemTimer,
  type Target,
  type Timer,
  unixNanos,
} from '@radvisor/core'
import { loadKubeConfig } from './_config.ts'
import { requestError } from './_errors.ts'
import { resolveNode } from './_node.ts'
import { type Granularity, podTargets } from './_targets.ts'
import { KubeTransport, NotJsonAnswer } from './_transport.ts'
import { PodWatch } from './_watch.ts'

export type { Granularity } from './_targets.ts'

/** The provider's options, as the CLI resolved them. */
export interface KubernetesOptions {
  /** `--kube-config`. */
  readonly kubeConfig?: string
  /** `--node-name`. */
  readonly nodeName?: string
  readonly granularity: Granularity
}

/** What the provider takes from its surroundings; injected so tests need no cluster, home or pod. */
export interface KubernetesEnvironment {
  readonly logger: Logger
  readonly clock: Clock
  readonly fs: Pick<FileSystem, 'existsSync'>
  /** Environment variables (`KUBECONFIG`, `NODE_NAME`, `KUBERNETES_SERVICE_HOST`, ...). */
  readonly env: Readonly<Record<string, string | undefined>>
  readonly homeDir: string
  /** This machine's host name, matched against the nodes' `kubernetes.io/hostname` label. */
  readonly hostname: string
  /** Where the service account token and CA are mounted (default: the kubelet's path). */
  readonly serviceAccountDir?: string
  readonly timer?: Timer
  /** Longest time one list or read may take (default 10 s). */
  readonly requestTimeoutMs?: number
  /** Delays between watch reconnections (default 250 ms doubling to 30 s). */
  readonly watchBackoff?: Backoff
  /** How long the server keeps one watch request open (default 300 s). */
  readonly watchTimeoutSeconds?: number
}

/**
 * The pods of this Kubernetes node. `poll()` lists them with `fieldSelector
 * spec.nodeName=<node>`; `watch()` follows the same selection so that a new or removed
 * pod is seen at once instead of at the next poll.
 */
export class KubernetesProvider implements Provider {
  readonly name = 'kubernetes'
  private transport: KubeTransport | null = null
  private node: string | null = null
  private listVersion: string | null = null
  private podWatch: PodWatch | null = null

  constructor(
    private readonly options: KubernetesOptions,
    private readonly environment: KubernetesEnvironment,
  ) {}

  /** Loads the configuration, reaches the API server and finds this node. */
  async init(): Promise<void> {
    const { env, homeDir, fs, hostname, logger, serviceAccountDir } = this.environment
    const loaded = loadKubeConfig({ path: this.options.kubeConfig, env, homeDir, fs, serviceAccountDir })
    this.transport = new KubeTransport(loaded.config, loaded.server, this.environment.requestTimeoutMs ?? 10_000)
    logger.debug('Configured', `API server ${loaded.server} from ${loaded.source}`)
    const node = await resolveNode(this.transport, { flag: this.options.nodeName, env: env.NODE_NAME, hostname })
    this.node = node.name
    logger.status('Connected', `to ${loaded.server}: pods of node ${node.name} (from ${node.source}), one target per ${this.options.granularity}`)
  }

  async poll(): Promise<Target[]> {
    const list = await this.list()
    const polledAt = unixNanos(this.environment.clock.now())
    const { logger } = this.environment
    // Warnings name the provider: the runner's own lines about targets look alike.
    const skip = (key: string, message: string) => logger.once(`kubernetes:${key}`, () => logger.warn(`kubernetes: ${message}`))
    return list.items.flatMap((pod) => {
      if (!pod?.metadata) {
        skip('no-metadata', `the pod list for node ${this.node} has an entry without metadata; skipped`)
        return []
      }
      return podTargets(pod, this.options.granularity, polledAt, skip)
    })
  }

  watch(onChange: () => void): void {
    const { transport, node } = this.ready()
    this.podWatch = new PodWatch({
      transport,
      path: `/api/v1/pods?fieldSelector=${encodeURIComponent(nodeSelector(node))}`,
      subject: `pods on node ${node}`,
      relist: async () => (await this.list()).metadata?.resourceVersion ?? '',
      startVersion: this.listVersion,
      onChange,
      logger: this.environment.logger,
      clock: this.environment.clock,
      timer: this.environment.timer ?? systemTimer,
      backoff: this.environment.watchBackoff ?? { initialMs: 250, maxMs: 30_000 },
      timeoutSeconds: this.environment.watchTimeoutSeconds ?? 300,
    })
    this.podWatch.start()
  }

  async close(): Promise<void> {
    await this.podWatch?.stop()
    this.podWatch = null
  }

  /** The pods of this node; remembers the list's resourceVersion for the watch. */
  private async list(): Promise<V1PodList> {
    const { transport, node } = this.ready()
    let list: V1PodList
    const notAPodList = (what: string) =>
      new RadvisorError('provider-kubernetes', 'E_PROTOCOL', `the API server at ${transport.server} answered the pod list of node ${node} with ${what}`)
    try {
      list = await transport.core.listPodForAllNamespaces({ fieldSelector: nodeSelector(node) })
    } catch (error) {
      if (error instanceof NotJsonAnswer) throw notAPodList(`something that is not a pod list: ${error.message}`)
      throw requestError(error, transport.server, `listing pods of node ${node}`)
    }
    if (typeof list !== 'object' || list === null || !Array.isArray(list.items)) {
      throw notAPodList(`something that is not a pod list: ${excerpt(typeof list === 'string' ? list : String(JSON.stringify(list)))}`)
    }
    this.listVersion = list.metadata?.resourceVersion ?? null
    return list
  }

  private ready(): { transport: KubeTransport; node: string } {
    if (!this.transport || !this.node) throw new RadvisorError('provider-kubernetes', 'E_INTERNAL', 'the provider was used before init()')
    return { transport: this.transport, node: this.node }
  }
}

function nodeSelector(node: string): string {
  return `spec.nodeName=${node}`
}
