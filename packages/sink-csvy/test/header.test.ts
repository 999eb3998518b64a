import { expect, test } from 'bun:test'
import type { LogHeader } from '@radvisor/core'
import { parse, stringify } from 'yaml'
import { formatHeader, HeaderFormatter } from '../src/header.ts'
import { readSystemInfo } from '../src/system-info.ts'
import { fakeFs } from './_context.ts'

const header: LogHeader = {
  version: '0.1.0',
  target: {
    provider: 'docker',
    id: 'd69fefaa9ee2',
    name: 'cocky_hugle',
    metadata: { Created: '2020-04-12T00:15:19Z', Command: "bash -c 'sleep 1'", Labels: {}, Names: ['/cocky_hugle'], SizeRw: null, Flag: 'yes' },
    polledAt: 1586651816493000123n,
    cgroup: { kind: 'docker', id: 'd69fefaa9ee2' },
  },
  collector: {
    type: 'cgroup_v1',
    cgroup: 'system.slice/docker-d69fefaa9ee2.scope',
    driver: 'systemd',
    columns: ['read', 'pids.current', 'cpu.usage.percpu'],
    columnTypes: { read: { Type: 'epoch19' }, 'cpu.usage.percpu': { Type: 'int', Count: 4 } },
  },
  initializedAt: 1586651816493061473n,
}

test('the header has radvisor 1.4 keys in order, framed by --- and followed by the CSV header row', () => {
  const text = formatHeader(header, readSystemInfo(fakeFs().fs))
  const lines = text.split('\n')
  expect(lines[0]).toBe('---')
  const yamlLines = lines.slice(1, lines.indexOf('---', 1))
  expect(yamlLines.filter((line) => /^\S/.test(line)).map((line) => line.split(':')[0])).toEqual([
    'Version',
    'Provider',
    'Metadata',
    'PerfTable',
    'System',
    'CollectorType',
    'CollectorMetadata',
    'PolledAt',
    'InitializedAt',
  ])
  expect(lines.slice(-3)).toEqual(['---', 'read,pids.current,cpu.usage.percpu', ''])
})

test('nanosecond times are plain integers, absent values ~, and YAML 1.1 look-alikes are quoted', () => {
  const text = formatHeader(header, { ...readSystemInfo(fakeFs().fs), Hostname: null })
  expect(text).toContain('\nPolledAt: 1586651816493000123\nInitializedAt: 1586651816493061473\n')
  expect(text).toContain('  SizeRw: ~\n')
  expect(text).toContain('  Hostname: ~\n')
  expect(text).toContain('  Created: "2020-04-12T00:15:19Z"\n')
  expect(text).toContain('  Flag: "yes"\n')
  expect(text).toContain('    VersionId: "12"\n')
  expect(text).toContain('PerfTable:\n  Delimiter: ","\n  Columns:\n    read:\n      Type: epoch19\n    cpu.usage.percpu:\n      Type: int\n      Count: 4\n')
  expect(text).toContain('CollectorMetadata:\n  Cgroup: system.slice/docker-d69fefaa9ee2.scope\n  CgroupDriver: systemd\n')
})

test('the YAML reads back to the same values', () => {
  const text = formatHeader(header, readSystemInfo(fakeFs().fs))
  const yaml = parse(text.split('---\n')[1]!, { intAsBigInt: true })
  expect(yaml.Metadata).toEqual(header.target.metadata)
  expect(yaml.InitializedAt).toBe(header.initializedAt)
  expect(yaml.CollectorType).toBe('cgroup_v1')
  expect(yaml.CollectorMetadata).toEqual({ Cgroup: 'system.slice/docker-d69fefaa9ee2.scope', CgroupDriver: 'systemd' })
})

test('a formatter shares the system and column-type blocks between logs, and writes what one stringify of the whole document would', () => {
  const system = readSystemInfo(fakeFs().fs)
  const formatter = new HeaderFormatter(system)
  const v2 = { ...header.collector, type: 'cgroup_v2', columnTypes: { read: { Type: 'epoch19' } }, cpuQuota: 1.5, network: 'own' as const }
  const headers: LogHeader[] = [
    header,
    { ...header, collector: v2 },
    // Metadata with nesting, lists, YAML 1.1 look-alikes, a multi-line string and an empty map.
    { ...header, target: { ...header.target, provider: 'kubernetes', metadata: { Labels: { app: 'on', 'team/x': 'no' }, Env: ['A=1', 'B=2'], Note: 'two\nlines', Empty: {}, Port: '0x1F' } } },
    { ...header, collector: { ...header.collector, cpuQuota: null } },
    header,
  ]
  for (const each of headers) {
    const { target, collector } = each
    const whole = stringify(
      {
        Version: each.version,
        Provider: target.provider,
        Metadata: target.metadata,
        PerfTable: { Delimiter: ',', Columns: collector.columnTypes },
        System: system,
        CollectorType: collector.type,
        CollectorMetadata: {
          Cgroup: collector.cgroup,
          CgroupDriver: collector.driver,
          ...(collector.cpuQuota !== undefined && { CpuQuota: collector.cpuQuota }),
          ...(collector.network !== undefined && { Network: collector.network }),
        },
        PolledAt: target.polledAt,
        InitializedAt: each.initializedAt,
      },
      { version: '1.1', nullStr: '~', lineWidth: 0 },
    )
    const text = formatter.format(each)
    expect(text).toBe(`---\n${whole}---\n${collector.columns.join(',')}\n`)
    expect(text).toBe(formatHeader(each, system))
  }
})
