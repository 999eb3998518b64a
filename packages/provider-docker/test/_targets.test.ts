import { describe, expect, test } from 'bun:test'
import { RadvisorError } from '@radvisor/core'
import captured from '../../testing/fixtures/docker/containers.json'
import { containerTarget } from '../src/_targets.ts'

const polledAt = 1_795_714_660_123_456_789n

describe('containerTarget', () => {
  test('maps a captured summary: full id, name without slash, PascalCase metadata, docker locator', () => {
    const summary = captured[0]!
    const target = containerTarget(summary, polledAt)
    expect(target.provider).toBe('docker')
    expect(target.id).toBe(summary.Id)
    expect(target.name).toBe(summary.Names[0]!.slice(1))
    expect(target.polledAt).toBe(polledAt)
    expect(target.cgroup).toEqual({ kind: 'docker', id: summary.Id })
    expect(target.labels).toEqual({ container: target.name, image: summary.Image })
    expect(Object.keys(target.metadata)).toEqual([
      'Id',
      'Names',
      'Image',
      'ImageID',
      'Command',
      'Created',
      'Ports',
      'Labels',
      'State',
      'Status',
      'SizeRw',
      'SizeRootFs',
    ])
    expect(target.metadata).toMatchObject({
      Id: summary.Id,
      Names: summary.Names,
      Image: summary.Image,
      ImageID: summary.ImageID,
      Command: summary.Command,
      Ports: summary.Ports,
      Labels: summary.Labels,
      State: summary.State,
      Status: summary.Status,
      SizeRw: null,
      SizeRootFs: null,
    })
    expect(target.metadata).not.toHaveProperty('NetworkSettings')
  })

  test('Created becomes an RFC 3339 time without fractional seconds', () => {
    const target = containerTarget({ ...captured[0], Created: 1586650519 }, polledAt)
    expect(target.metadata.Created).toBe('2020-04-12T00:15:19Z')
    expect(new Date(target.metadata.Created as string).getTime() / 1000).toBe(1586650519)
  })

  test('labels are kept as the engine sent them', () => {
    const labelled = captured.find((summary) => Object.keys(summary.Labels).length > 0)!
    expect(containerTarget(labelled, polledAt).metadata.Labels).toEqual(labelled.Labels)
  })

  test('a container without names is named by its short id', () => {
    const { Names: _, ...summary } = captured[0]!
    const target = containerTarget(summary, polledAt)
    expect(target.name).toBe(captured[0]!.Id.slice(0, 12))
    expect(target.metadata.Names).toBeNull()
  })

  test.each([
    ['no Id', { Names: ['/nameless'] }, 'Id is null'],
    ['a short Id', { Id: 'abc123', Names: ['/short'] }, 'Id is "abc123"'],
    ['a list', [], 'not an object'],
    ['null', null, 'not an object'],
  ])('rejects a summary with %s', (_, summary, reason) => {
    let caught: unknown
    try {
      containerTarget(summary, polledAt)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(RadvisorError)
    expect((caught as RadvisorError).code).toBe('E_PROTOCOL')
    expect((caught as RadvisorError).message).toContain(reason)
  })
})
