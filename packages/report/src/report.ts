import { describeError, type FileSystem, RadvisorError } from '@radvisor/core'
import { fileChunks, type Line, LineSplitter } from './_lines.ts'
import { type AnalysisOptions, defaultAnalysisOptions, type TargetAnalysis, TargetAnalyzer } from './analyze.ts'
import { CsvyParser, type Problem } from './parse.ts'

/** Options of a report. */
export interface ReportOptions extends AnalysisOptions {
  /** Put every target on one time axis, counted from the earliest first sample. */
  readonly align: boolean
}

export const defaultReportOptions: ReportOptions = { ...defaultAnalysisOptions, align: false }

/** The analysis of a set of logs. */
export interface Report {
  readonly options: ReportOptions
  /** Unix ms offsets count from when aligned (the earliest start); null: each target's own start. */
  readonly origin: number | null
  readonly targets: readonly TargetAnalysis[]
  /** The first problems of each file (see MAX_PROBLEMS_PER_FILE) and how many there were in all. */
  readonly problems: readonly Problem[]
  readonly problemCount: number
}

/** Problems kept per file; the rest are only counted, so a broken 1 GB log cannot flood memory. */
export const MAX_PROBLEMS_PER_FILE = 20

type LineInput = Iterable<string | Line> | AsyncIterable<string | Line>

/**
 * Analyses one log given as lines (strings are numbered from 1). Returns null when the log
 * has no usable header; problems go to `onProblem`. `charts: false` leaves out the chart
 * data (text and JSON reports need only the summary).
 */
export async function analyzeLog(
  lines: LineInput,
  source: string,
  options: AnalysisOptions = defaultAnalysisOptions,
  onProblem: (problem: Problem) => void = () => {},
  charts = true,
): Promise<TargetAnalysis | null> {
  let analyzer: TargetAnalyzer | null = null
  const parser = new CsvyParser(source, {
    header: (info) => {
      analyzer = new TargetAnalyzer(info, options, (line, message) => onProblem({ source, line, message }), charts)
    },
    sample: (sample) => analyzer?.push(sample),
    problem: onProblem,
  })
  let number = 0
  for await (const line of lines) {
    parser.push(typeof line === 'string' ? { text: line, number: ++number, complete: true } : line)
  }
  parser.end()
  return (analyzer as TargetAnalyzer | null)?.finish() ?? null
}

/** Assembles a report from analysed targets (in order) and their problems. */
export function assembleReport(
  targets: readonly TargetAnalysis[],
  problems: readonly Problem[],
  problemCount: number,
  options: ReportOptions = defaultReportOptions,
): Report {
  const starts = targets.map((target) => target.summary.start).filter(Number.isFinite)
  const origin = options.align && starts.length > 0 ? Math.min(...starts) : null
  return { options, origin, targets, problems, problemCount }
}

/**
 * Reads every log found in `inputs` (files, or directories whose `*.log` files are read)
 * through the injected `fs`, streaming each in 64 KiB chunks; `charts: false` when no
 * HTML page will be written.
 */
export async function reportFiles(fs: FileSystem, inputs: readonly string[], options: ReportOptions = defaultReportOptions, charts = true): Promise<Report> {
  const files = findLogs(fs, inputs)
  const targets: TargetAnalysis[] = []
  const problems: Problem[] = []
  let problemCount = 0
  for (const file of files) {
    let kept = 0
    const onProblem = (problem: Problem): void => {
      problemCount++
      if (kept++ < MAX_PROBLEMS_PER_FILE) problems.push(problem)
    }
    try {
      const analysis = await analyzeLog(new LineSplitter().lines(fileChunks(fs, file)), file, options, onProblem, charts)
      if (analysis) targets.push(analysis)
    } catch (error) {
      onProblem({ source: file, line: 0, message: `cannot read: ${describeError(error)}; file skipped` })
    }
  }
  if (targets.length === 0) {
    throw new RadvisorError(
      'report',
      'E_OPTION',
      `none of the ${files.length} file(s) given is a readable CSVY log${problems[0] ? ` (${formatProblem(problems[0])})` : ''}; pass radvisor's log files or their directory`,
    )
  }
  return assembleReport(targets, problems, problemCount, options)
}

/** `file:line: message`. */
export function formatProblem(problem: Problem): string {
  return `${problem.source}${problem.line > 0 ? `:${problem.line}` : ''}: ${problem.message}`
}

/** The log files named by `inputs`: files as given, directories' `*.log` files sorted by name. */
export function findLogs(fs: FileSystem, inputs: readonly string[]): string[] {
  if (inputs.length === 0) throw new RadvisorError('report', 'E_OPTION', 'no logs given: pass a directory of CSVY logs or log files, e.g. radvisor report ./stats')
  const files: string[] = []
  for (const input of inputs) {
    let isDirectory: boolean
    try {
      isDirectory = fs.statSync(input).isDirectory()
    } catch (error) {
      throw new RadvisorError('report', 'E_OPTION', `cannot read '${input}' (${describeError(error)}); pass a directory of CSVY logs or log files`)
    }
    if (!isDirectory) {
      files.push(input)
      continue
    }
    const logs = (fs.readdirSync(input) as string[])
      .filter((name) => name.endsWith('.log'))
      .sort()
      .map((name) => `${input.replace(/\/+$/, '')}/${name}`)
    if (logs.length === 0) throw new RadvisorError('report', 'E_OPTION', `no CSVY logs (*.log) in '${input}'; pass the directory radvisor run wrote to (--directory)`)
    files.push(...logs)
  }
  return files
}
