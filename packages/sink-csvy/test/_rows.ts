import { type CollectorInfo, type LogHeader, Row, type Target } from '@radvisor/core'

export const v1Collector: CollectorInfo = {
  type: 'cgroup_v1',
  cgroup: 'docker/abc',
  driver: 'cgroupfs',
  columns: ['read', 'pids.current', 'cpu.usage.total', 'cpu.usage.percpu', 'memory.limit.hard'],
  columnTypes: { read: { Type: 'epoch19' }, 'cpu.usage.percpu': { Type: 'int', Count: 2 } },
}

export function target(id: string): Target {
  return {
    provider: 'docker',
    id,
    name: `/${id}`,
    metadata: { Id: id, Names: [`/${id}`] },
    polledAt: 1_700_000_000_000_000_000n,
    cgroup: { kind: 'docker', id },
  }
}

export function header(of: Target, collector: CollectorInfo = v1Collector): LogHeader {
  return { version: '0.1.0', target: of, collector, initializedAt: 1_700_000_000_001_000_000n }
}

/** A v1-style row for sample `index` of `of` (one Row per target, reused, as the runner does). */
export function sampler(of: Target, collector: CollectorInfo = v1Collector) {
  const row = new Row(of, collector.columns)
  return (index: number): Row => {
    row.reset()
    row.putTime(1_700_000_000_000 + index * 50)
    row.putUint(index)
    row.putUint(1_000_000 * index)
    row.putAscii(`${index} ${index + 1}`)
    row.putEmpty()
    return row
  }
}
