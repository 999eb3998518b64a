import * as fs from 'node:fs'
import { Logger, RadvisorError } from '@radvisor/core'
import { defaultReportOptions, formatJson, formatProblem, formatText, reportFiles } from '@radvisor/report'
import { type ArgsDef, defineCommand } from 'citty'
import { rejectUnknownFlags } from '../_flags.ts'
import { writeHtmlFile } from '../_html.ts'

const reportArgs = {
  paths: { type: 'positional', required: false, valueHint: 'dir or files...', description: 'CSVY logs, or directories of them (*.log)' },
  format: { type: 'enum', options: ['text', 'json'], default: 'text', description: 'Summary on stdout: a table (text) or JSON for scripts' },
  html: { type: 'string', valueHint: 'path', description: 'Also write a self-contained HTML page with zoomable charts' },
  'cpu-threshold': {
    type: 'string',
    valueHint: 'percent',
    default: String(defaultReportOptions.cpuThreshold),
    description: 'CPU use (percent of the quota, else of the host CPUs) that starts a millibottleneck; it goes on down to 10 points below',
  },
  'pressure-threshold': {
    type: 'string',
    valueHint: 'percent',
    default: String(defaultReportOptions.pressureThreshold),
    description: 'Share of an interval (0 to below 100) in which some task stalled on CPU, memory or I/O, above which it is a pressure millibottleneck',
  },
  align: { type: 'boolean', description: 'Put all targets on one time axis (offsets from the earliest sample)' },
} as const satisfies ArgsDef

export default defineCommand({
  meta: {
    name: 'report',
    description: 'Summarise CSVY logs: rates, millibottlenecks and sampling regularity (radvisor report <dir or files...>)',
  },
  args: reportArgs,
  async run({ args, rawArgs }) {
    rejectUnknownFlags(rawArgs, reportArgs, 'radvisor report')
    const options = {
      ...defaultReportOptions,
      cpuThreshold: parsePercent('--cpu-threshold', args['cpu-threshold'], (value) => value > 0, 'a positive percentage such as 95'),
      pressureThreshold: parsePercent('--pressure-threshold', args['pressure-threshold'], (value) => value < 100, 'a percentage from 0 to below 100 such as 50'),
      align: args.align === true,
    }
    // Chart data only for a page: without one the analysis keeps just the summary.
    const report = await reportFiles(fs, args._, options, Boolean(args.html))
    const logger = new Logger()
    for (const problem of report.problems) logger.warn(formatProblem(problem))
    const unlisted = report.problemCount - report.problems.length
    if (unlisted > 0) logger.warn(`${unlisted} more problem(s) not listed`)
    process.stdout.write(args.format === 'json' ? formatJson(report) : formatText(report))
    if (args.html) {
      writeHtmlFile(args.html, report, 'report')
      logger.status('Wrote', `${args.html} (${report.targets.length} target(s))`)
    }
  },
})

/** A plain decimal (`95`, `12.5`: no sign, exponent, hex or spaces) that `valid` accepts. */
function parsePercent(option: string, text: string, valid: (value: number) => boolean, expected: string): number {
  const value = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !valid(value)) throw new RadvisorError('report', 'E_OPTION', `${option} must be ${expected}, got '${text}'`)
  return value
}
