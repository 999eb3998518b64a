import { defineProvider, systemTimer } from '@radvisor/core'
import { DEFAULT_DOCKER_HOST, resolveDockerHost } from './_address.ts'
import { createDockerProvider } from './provider.ts'

export { type DockerAddress, parseDockerHost, resolveDockerHost } from './_address.ts'
export type { Backoff } from '@radvisor/core'
export { createDockerProvider, type DockerProviderOptions } from './provider.ts'

/** `radvisor run docker`: every running container of the local Docker engine. */
const dockerProvider = defineProvider({
  name: 'docker',
  description: 'Collect every running container of the local Docker engine',
  options: {
    'docker-host': {
      type: 'string',
      description: `Docker engine address, unix:///path or tcp://host:port (default: $DOCKER_HOST, else ${DEFAULT_DOCKER_HOST})`,
    },
    'docker-events': {
      type: 'boolean',
      description: 'Follow the engine\'s event stream to find new containers at once, not only at the next poll',
      default: 'true',
    },
    'docker-timeout': {
      type: 'duration',
      description: 'Longest wait for an answer of the engine',
      default: '5s',
    },
  },
  create(options, context) {
    return createDockerProvider({
      address: resolveDockerHost(options['docker-host'], process.env),
      events: options['docker-events'],
      timeoutMs: options['docker-timeout'],
      logger: context.logger,
      clock: context.clock,
      timer: systemTimer,
    })
  },
})

export default dockerProvider
export { dockerProvider }
