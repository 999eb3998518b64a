import {
  type Backoff,
  type Clock,
  describeError,
  type Logger,
  type Provider,
  RadvisorError,
  systemTimer,
  TimeSlices,
  type Target,
  type Timer,
  unixNanos,
} from '@radvisor/core'
import type { DockerAddress } from './_address.ts'
import { DockerClient } from './_client.ts'
import { EventFollower } from './_events.ts'
import { containerTarget } from './_targets.ts'

export interface DockerProviderOptions {
  /** The engine's address (see `resolveDockerHost`). */
  readonly address: DockerAddress
  /** Follow the event stream to poll at once on container start/die/destroy. */
  readonly events: boolean
  /** Longest wait for an answer of the engine. */
  readonly timeoutMs: number
  readonly logger: Logger
  readonly clock: Clock
  readonly timer?: Timer
  /** Reconnection delays of the event stream; default 250 ms doubling up to 10 s. */
  readonly backoff?: Backoff
  /** The user radvisor runs as (default: `process.getuid()`): root needs no advice to become root. */
  readonly uid?: number
}

/**
 * Running containers of a Docker engine. `poll()` lists them with `GET /containers/json`;
 * `watch()` follows `GET /events` so that a new container is found within milliseconds
 * instead of at the next poll.
 */
export function createDockerProvider(options: DockerProviderOptions): Provider {
  return new DockerProvider(options)
}

class DockerProvider implements Provider {
  readonly name = 'docker'
  private readonly client: DockerClient
  private readonly timer: Timer
  private follower: EventFollower | null = null

  constructor(private readonly options: DockerProviderOptions) {
    this.timer = options.timer ?? systemTimer
    this.client = new DockerClient({ address: options.address, timeoutMs: options.timeoutMs, clock: options.clock, timer: this.timer })
  }

  async init(): Promise<void> {
    try {
      await this.client.ping()
    } catch (error) {
      const uid = this.options.uid ?? process.getuid?.()
      const advice =
        uid === 0
          ? 'check that the engine runs, or set DOCKER_HOST or --docker-host to its address'
          : 'run radvisor as root (or a member of the docker group), or set DOCKER_HOST or --docker-host to the engine\'s address'
      throw new RadvisorError('provider-docker', 'E_CONNECT', `cannot reach the Docker engine: ${describeError(error)}; ${advice}`, { cause: error })
    }
  }

  async poll(): Promise<Target[]> {
    const list = await this.client.getList('/containers/json', 'a container list')
    const { logger, clock } = this.options
    const polledAt = unixNanos(clock.now())
    const targets: Target[] = []
    // A long list is mapped over turns of the event loop, so that ticks keep their slots.
    const slices = new TimeSlices(clock, this.timer)
    for (const summary of list) {
      try {
        targets.push(containerTarget(summary, polledAt))
      } catch (error) {
        const message = describeError(error)
        logger.once(`docker:summary:${message}`, () => logger.warn(message))
      }
      await slices.yieldIfDue()
    }
    return targets
  }

  watch(onChange: () => void): void {
    if (!this.options.events) return
    const { logger, clock, backoff } = this.options
    this.follower ??= new EventFollower({ client: this.client, logger, clock, timer: this.timer, backoff: backoff ?? { initialMs: 250, maxMs: 10_000 } })
    this.follower.start(onChange)
  }

  async close(): Promise<void> {
    await this.follower?.close()
  }
}
