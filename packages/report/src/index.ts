export type { Sample } from './_columns.ts'
export type { CollectorType, LogInfo } from './_header.ts'
export { fileChunks, type Line, LineSplitter } from './_lines.ts'
export type { Quantiles } from './_series.ts'
export {
  type AnalysisOptions,
  defaultAnalysisOptions,
  type Millibottleneck,
  type RateName,
  type Resource,
  RESOURCES,
  type SamplingStats,
  type TargetAnalysis,
  TargetAnalyzer,
  type TargetSeries,
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
export { formatText } from './text.ts'
