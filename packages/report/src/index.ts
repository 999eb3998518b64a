export { CHART_SERIES, type ChartData, type ChartSeries } from './_chart.ts'
export type { Sample } from './_columns.ts'
export type { ChartLevel, ChartPoints } from './_decimate.ts'
export type { Quantiles } from './_distribution.ts'
export { MAX_OOM_EVENTS, type OomKill, type OomSummary } from './_events.ts'
export type { CollectorType, LogInfo } from './_header.ts'
export { fileChunks, type Line, LineSplitter } from './_lines.ts'
export type { RunSummary } from './_runs.ts'
export {
  type AnalysisOptions,
  type Availability,
  defaultAnalysisOptions,
  type Millibottleneck,
  type NetworkTotals,
  RATE_NAMES,
  type RateName,
  type Resource,
  RESOURCES,
  type SamplingStats,
  type ShadedRun,
  type TargetAnalysis,
  TargetAnalyzer,
  type TargetSummary,
} from './analyze.ts'
export { type ChartAssets, uplotAssets, writeHtml } from './html.ts'
export { formatJson, toJson } from './json.ts'
export { CsvyParser, type ParserHandler, type Problem } from './parse.ts'
export {
  analyzeLog,
  assembleReport,
  defaultReportOptions,
  findLogs,
  formatProblem,
  MAX_PROBLEMS_PER_FILE,
  type Report,
  type ReportOptions,
  reportFiles,
} from './report.ts'
export { formatBrief, formatText } from './text.ts'
