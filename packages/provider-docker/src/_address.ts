import { RadvisorError } from '@radvisor/core'

/** Where the Docker engine listens, as `fetch` needs it. */
export interface DockerAddress {
  /** The address as the user wrote it, for messages. */
  readonly text: string
  /** Base URL of requests: the host part is ignored for unix sockets. */
  readonly baseUrl: string
  /** Path of the engine's unix socket, or null for tcp. */
  readonly socketPath: string | null
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'

const EXPECTED = 'expected unix:///path/to/docker.sock or tcp://host:port'

/**
 * Parses a Docker host address (`unix:///path` or `tcp://host:port`), the forms
 * `DOCKER_HOST` takes. Returns null for anything else.
 */
export function parseDockerHost(text: string): DockerAddress | null {
  if (text.startsWith('unix://')) {
    const socketPath = text.slice('unix://'.length)
    return socketPath.startsWith('/') ? { text, baseUrl: 'http://docker', socketPath } : null
  }
  const tcp = /^tcp:\/\/([^/:\s]+|\[[0-9a-f:.]+\]):(\d{1,5})\/?$/i.exec(text)
  if (tcp && Number(tcp[2]) <= 65535) return { text, baseUrl: `http://${tcp[1]}:${tcp[2]}`, socketPath: null }
  return null
}

/**
 * The engine address for a run: `--docker-host`, else `DOCKER_HOST`, else the default
 * socket. Throws a `RadvisorError` naming where a malformed address came from.
 */
export function resolveDockerHost(option: string | undefined, env: Readonly<Record<string, string | undefined>>): DockerAddress {
  if (option !== undefined) {
    const address = parseDockerHost(option)
    if (!address) throw new RadvisorError('provider-docker', 'E_OPTION', `invalid value '${option}' for --docker-host: ${EXPECTED}`)
    return address
  }
  const fromEnv = env.DOCKER_HOST
  if (fromEnv) {
    const address = parseDockerHost(fromEnv)
    if (!address) {
      throw new RadvisorError('provider-docker', 'E_CONFIG', `DOCKER_HOST is '${fromEnv}': ${EXPECTED}; fix it or pass --docker-host`)
    }
    return address
  }
  return parseDockerHost(DEFAULT_DOCKER_HOST)!
}
