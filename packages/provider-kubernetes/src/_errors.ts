import { STATUS_CODES } from 'node:http'
import { ApiException } from '@kubernetes/client-node'
import { bodyMessage, describeError, RadvisorError } from '@radvisor/core'
import { NetworkError, NotJsonAnswer } from './_transport.ts'

const plugin = 'provider-kubernetes'

/** The HTTP status of a failed API call, or null when the server was not reached. */
export function httpStatus(error: unknown): number | null {
  return error instanceof ApiException ? error.code : null
}

/**
 * A one-line `RadvisorError` for a failed request to the API server: which server, what
 * was asked, and what to do. Network and TLS failures are E_CONNECT; refused credentials
 * and permissions are E_CONFIG; other answers are E_PROTOCOL.
 */
export function requestError(error: unknown, server: string, what: string): RadvisorError {
  if (error instanceof RadvisorError) return error
  if (error instanceof NetworkError) {
    return new RadvisorError(plugin, 'E_CONNECT', `cannot reach the Kubernetes API server at ${server} (${what}): ${error.message}`, { cause: error })
  }
  if (error instanceof NotJsonAnswer) {
    return new RadvisorError(plugin, 'E_PROTOCOL', `the API server at ${server} sent ${error.message} while ${what}`, { cause: error })
  }
  const status = httpStatus(error)
  if (status === null) {
    return new RadvisorError(plugin, 'E_PROTOCOL', `the API server at ${server} sent a malformed answer while ${what}: ${describeError(error)}`, {
      cause: error,
    })
  }
  const body = (error as ApiException<unknown>).body
  const message = typeof body === 'string' ? bodyMessage(body) : ''
  const reason = `${status} ${STATUS_CODES[status] ?? 'error'}${message ? `: ${message}` : ''}`
  if (status === 401) {
    return new RadvisorError(plugin, 'E_CONFIG', `the API server at ${server} refused the credentials (${reason}) while ${what}: check the kubeconfig user or token`, { cause: error })
  }
  if (status === 403) {
    return new RadvisorError(
      plugin,
      'E_CONFIG',
      `the API server at ${server} forbids ${what} (${reason}): radvisor needs get, list and watch on pods and nodes (see deploy/rbac.yaml)`,
      { cause: error },
    )
  }
  return new RadvisorError(plugin, 'E_PROTOCOL', `the API server at ${server} answered ${reason} while ${what}`, { cause: error })
}
