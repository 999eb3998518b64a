import { ApiException, type V1Pod } from '@kubernetes/client-node'
import {
  type Backoff,
  type Clock,
  excerpt,
  JsonListError,
  type FileSystem,
  type Logger,
  type Provider,
  RadvisorError,
  readJsonList,
  systemTimer,
  TimeSlices,
  type Target,
  type Timer,
  unixNanos,
} from '@radvisor/core'
import { loadKubeConfig } from './_config.ts'
import { requestError } from './_errors.ts'
import { resolveNode } from './_node.ts'
import { type Granularity, podTargets } from './_targets.ts'
import { KubeTransport, network } from './_transport.ts'
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
    const pods = await this.list()
    const { logger, clock } = this.environment
    const timer = this.environment.timer ?? systemTimer
    const polledAt = unixNanos(clock.now())
    // Warnings name the provider: the runner's own lines about targets look alike.
    const skip = (key: string, message: string) => logger.once(`kubernetes:${key}`, () => logger.warn(`kubernetes: ${message}`))
    const targets: Target[] = []
    // Thousands of pods are mapped over turns of the event loop, so that ticks keep their slots.
    const slices = new TimeSlices(clock, timer)
    for (const pod of pods) {
      if (!pod?.metadata) skip('no-metadata', `the pod list for node ${this.node} has an entry without metadata; skipped`)
      else targets.push(...podTargets(pod, this.options.granularity, polledAt, skip))
      await slices.yieldIfDue()
    }
    return targets
  }

  watch(onChange: () => void): void {
    const { transport, node } = this.ready()
    this.podWatch = new PodWatch({
      transport,
      path: podListPath(node),
      subject: `pods on node ${node}`,
      relist: async () => {
        await this.list()
        return this.listVersion ?? ''
      },
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

  /**
   * The pods of this node; remembers the list's resourceVersion for the watch. The list is read
   * element by element (core's `readJsonList`) rather than by the generated client, which
   * parses and converts a list of 5,000 pods in one go and would hold up the ticks.
   */
  private async list(): Promise<V1Pod[]> {
    const { transport, node } = this.ready()
    const what = `listing pods of node ${node}`
    const { clock } = this.environment
    const timer = this.environment.timer ?? systemTimer
    let contentType = ''
    try {
      const response = await transport.get(podListPath(node))
      if (!response.ok || !response.body) {
        const body = await response.text().catch(() => '')
        throw new ApiException(response.status, `HTTP ${response.status}`, body, {})
      }
      const body = response.body
      contentType = response.headers.get('content-type') ?? 'no content type'
      const { items, rest } = await network(() => readJsonList(body, { itemsKey: 'items', clock, timer }))
      const version = (rest?.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion
      this.listVersion = typeof version === 'string' ? version : null
      return items as V1Pod[]
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof JsonListError ? error.cause : error
      if (cause instanceof JsonListError) {
        throw new RadvisorError(
          'provider-kubernetes',
          'E_PROTOCOL',
          `the API server at ${transport.server} answered the pod list of node ${node} with something that is not a pod list (${contentType}): ${excerpt(cause.start)}`,
        )
      }
      throw requestError(error, transport.server, what)
    }
  }

  private ready(): { transport: KubeTransport; node: string } {
    if (!this.transport || !this.node) throw new RadvisorError('provider-kubernetes', 'E_INTERNAL', 'the provider was used before init()')
    return { transport: this.transport, node: this.node }
  }
}

/** The path of the pods of `node`, for the list and the watch. */
function podListPath(node: string): string {
  return `/api/v1/pods?fieldSelector=${encodeURIComponent(nodeSelector(node))}`
}

function nodeSelector(node: string): string {
  return `spec.nodeName=${node}`
}
