/**
 * Which columns a collector writes: `extended` (the default), radvisor 1.4's columns followed by
 * pressure stalls, memory events and network counters; `radvisor`, exactly radvisor 1.4's,
 * with not one file more opened.
 */
export type ColumnSet = 'radvisor' | 'extended'

export const COLUMN_SETS: readonly ColumnSet[] = ['radvisor', 'extended']

/** The resources with a pressure (PSI) file, `<resource>.pressure`. */
export const PRESSURE_RESOURCES = ['cpu', 'memory', 'io'] as const

/** `<resource>.pressure/some_total` and `/full_total` for cpu, memory and io: cumulative stall time in µs. */
export const PRESSURE_COLUMNS: readonly string[] = PRESSURE_RESOURCES.flatMap((resource) => [
  `${resource}.pressure/some_total`,
  `${resource}.pressure/full_total`,
])

/** The counters kept of each interface, in order: the network columns are `network.<counter>`. */
export const NETWORK_COUNTERS: readonly string[] = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped']

/** Interfaces `network.interfaces` lists at most (the sums count every one). */
export const MAX_INTERFACES = 64

/**
 * The network columns: each counter summed over the interfaces of the target's network
 * namespace but `lo`, then `network.interfaces`, the counters per interface:
 * `<name> <8 counters>` per interface, joined by `;`.
 */
export const NETWORK_COLUMNS: readonly string[] = [...NETWORK_COUNTERS.map((counter) => `network.${counter}`), 'network.interfaces']
