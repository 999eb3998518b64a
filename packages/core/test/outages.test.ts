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
  // 'b' still fails: the outage goes on, silently.
  expect(lines).toEqual(['down a'])
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
  // Over: the next failure starts a new outage (a line), and no recovery was printed for the one that left.
  outages.fail('poll', 'docker', () => lines.push('down again'))
  expect(lines).toEqual(['down', 'down again'])
})
