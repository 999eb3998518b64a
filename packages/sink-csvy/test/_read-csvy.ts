import { parse } from 'yaml'

/**
 * Reads a CSVY log the way radvisor's users do in their analysis scripts: split the
 * text on the `---` lines, parse the YAML between them, then the CSV after them.
 */
export function readCsvy(text: string) {
  const [before, yaml, csv] = text.split(/^---$/m)
  if (before !== '' || yaml === undefined || csv === undefined) throw new Error('not a CSVY log: expected ---, YAML, ---, CSV')
  const [columns, ...rows] = csv
    .replace(/^\n/, '')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(','))
  return { header: parse(yaml, { intAsBigInt: true }) as Record<string, unknown>, columns: columns ?? [], rows }
}

/** The CSV lines after the header row of a log, as text. */
export function bodyLines(text: string): string[] {
  return text.split(/^---$/m)[2]!.split('\n').slice(2, -1)
}
