import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The repository's fixtures/report folder and the shared real radvisor logs. */
export const REPORT_FIXTURES = join(import.meta.dir, '../../../fixtures/report')
export const SHARED_1_1_7_LOG = join(import.meta.dir, '../../../fixtures/radvisor/radvisor-1.1.7-docker.log')

/** A fixture's lines, as a line reader would give them. */
export function fixtureLines(name: string): string[] {
  const text = readFileSync(join(REPORT_FIXTURES, name), 'utf8')
  const lines = text.split('\n')
  if (text.endsWith('\n')) lines.pop()
  return lines
}
