import { RadvisorError } from '@radvisor/core'
import { httpStatus, requestError } from './_errors.ts'
import type { KubeTransport } from './_transport.ts'

/** The label the kubelet puts on its node with the machine's host name. */
export const hostnameLabel = 'kubernetes.io/hostname'

export interface NodeSources {
  /** `--node-name`, when given. */
  readonly flag?: string
  /** `NODE_NAME` from the environment (the DaemonSet sets it from the downward API). */
  readonly env?: string
  /** This machine's host name. */
  readonly hostname: string
}

/** The node this radvisor runs on, and how it was found (for the status line). */
export interface ResolvedNode {
  readonly name: string
  readonly source: string
}

/**
 * Finds this node: `--node-name`, else `NODE_NAME` (both checked to exist), else the node
 * whose `kubernetes.io/hostname` label is this host's name. Throws E_NOT_FOUND naming
 * everything tried, or the request's error when the API server cannot be asked.
 */
export async function resolveNode(transport: KubeTransport, sources: NodeSources): Promise<ResolvedNode> {
  const named = sources.flag ? { name: sources.flag, source: '--node-name' } : sources.env ? { name: sources.env, source: 'NODE_NAME' } : null
  if (named) {
    try {
      await transport.core.readNode({ name: named.name })
      return named
    } catch (error) {
      if (httpStatus(error) !== 404) throw requestError(error, transport.server, `reading node ${named.name}`)
      throw new RadvisorError(
        'provider-kubernetes',
        'E_NOT_FOUND',
        `node '${named.name}' (from ${named.source}) does not exist in the cluster at ${transport.server}; check ${named.source}`,
      )
    }
  }

  const hostname = sources.hostname.toLowerCase()
  const selector = `${hostnameLabel}=${hostname}`
  let names: string[]
  try {
    const list = await transport.core.listNode({ labelSelector: selector })
    names = (list.items ?? []).map((node) => node.metadata?.name).filter((name): name is string => !!name)
  } catch (error) {
    throw requestError(error, transport.server, `listing nodes with ${selector}`)
  }
  if (names.length === 1) return { name: names[0]!, source: `label ${selector}` }
  const found = names.length === 0 ? `no node has the label ${selector}` : `several nodes have the label ${selector} (${names.join(', ')})`
  throw new RadvisorError(
    'provider-kubernetes',
    'E_NOT_FOUND',
    `cannot tell which node this is: --node-name not given, NODE_NAME not set, and ${found} at ${transport.server}; pass --node-name or set NODE_NAME`,
  )
}
