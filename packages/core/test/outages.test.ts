import { expect, test } from 'bun:test'
import { Outages } from '../src/index.ts'

test('an outage prints once when its first member fails and once when its last member recovers', () => {
  const outages = new Outages()
  const lines: string[] = []
  const fail = (member: string) => outages.fail('write', member, () => lines.push(`down ${member}`))
  const recover = (member: string) => outages.recover('write', member, () => lines.push(`up ${member}`))
  fail('a')
  fail('b')
  fail('a')
  recover('a')
  expect(outages.isFailing('write')).toBe(true)
  recover('b')
  recover('b')
  fail('c')
  recover('c')
  expect(lines).toEqual(['down a', 'up b', 'down c', 'up c'])
})

test('recovering a member that never failed prints nothing; a member that leaves while failing ends the outage silently', () => {
  const outages = new Outages()
  const lines: string[] = []
  outages.recover('poll', 'docker', () => lines.push('up'))
  outages.fail('poll', 'docker', () => lines.push('down'))
  outages.drop('poll', 'docker')
  expect(outages.isFailing('poll')).toBe(false)
  outages.fail('poll', 'docker', () => lines.push('down again'))
  expect(lines).toEqual(['down', 'down again'])
})
