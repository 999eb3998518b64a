import type { ArgsDef } from 'citty'

/** Options every `radvisor run <provider>` command takes. */
export const runArgs = {
  interval: { type: 'string', alias: 'i', default: '50ms', description: 'Collection interval, at most 1h: <number><unit> parts, units d h m s ms us largest first (e.g. 50ms, 1.5s, 1m30s, 250us)' },
  poll: { type: 'string', alias: 'p', default: '1s', description: 'How often the provider is asked what runs, at most 1h' },
  directory: {
    type: 'string',
    alias: 'd',
    default: '/var/log/radvisor/stats',
    description: 'Directory for log files (created when missing; checked before anything starts)',
  },
  'flush-log': {
    type: 'string',
    alias: 'f',
    description: 'Write a CSV record of every buffer write to this path at exit (its folder must exist and be writable)',
  },
  buffer: {
    type: 'string',
    alias: 'b',
    default: '16MiB',
    description:
      'Most bytes of rows one target may hold while its log cannot be written; buffers grow on demand (bytes, or a number with B KiB MiB GiB TiB kB MB GB TB)',
  },
  'flush-every': {
    type: 'string',
    default: '2s',
    description: 'Write buffered rows out at least this often, at most 1h: the most a kill -9 or a crash can lose',
  },
  'cgroup-root': { type: 'string', default: '/sys/fs/cgroup', description: 'Where the cgroup tree is mounted' },
  columns: {
    type: 'enum',
    options: ['extended', 'radvisor'],
    default: 'extended',
    description:
      "Columns of each sample: extended (radvisor 1.4's, then pressure stalls, memory events and network counters) or radvisor (exactly radvisor 1.4's, nothing more read)",
  },
  sink: {
    type: 'string',
    default: 'csvy',
    description: 'Where samples go, repeatable: a built-in sink name or a path/package exporting a sink',
  },
  'sink-option': { type: 'string', description: 'An option for a sink, repeatable: <sink>.<key>=<value>' },
  duration: { type: 'string', description: 'Stop gracefully after this long (e.g. 10s, 5m, 72h)' },
  ticks: { type: 'string', description: 'Stop gracefully after exactly this many ticks: that many rows per target, no final sample (e.g. 1000; for benchmarks)' },
  quiet: { type: 'boolean', alias: 'q', description: 'Print only errors' },
  verbose: { type: 'boolean', alias: 'v', description: 'Print details, and sampling punctuality at exit' },
  color: { type: 'enum', alias: 'c', options: ['auto', 'always', 'never'], default: 'auto', description: 'Colour output' },
} as const satisfies ArgsDef
