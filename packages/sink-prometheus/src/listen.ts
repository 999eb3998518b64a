import { RadvisorError } from '@radvisor/core'

/** A host and port to listen on. */
export interface ListenAddress {
  readonly hostname: string
  readonly port: number
}

/**
 * Parses `--prometheus-listen`: `host:port`, `[ipv6]:port`, or `:port` for every
 * interface. Port 0 picks a free port.
 */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim())
  const port = Number(match?.[3])
  if (!match || port > 65535) {
    throw new RadvisorError(
      'sink-prometheus',
      'E_OPTION',
      `invalid value '${text}' for --prometheus-listen: expected <host>:<port>, such as 127.0.0.1:9595, [::1]:9595 or :9595`,
    )
  }
  return { hostname: match[1] ?? (match[2] || '0.0.0.0'), port }
}
