export { BufferedFile, type BufferedFileOptions, type OpenedFile, WriteFailures } from './buffered-file.ts'
export { type Clock, systemClock, systemTimer, type Timer, unixNanos } from './clock.ts'
export { describeError, type ErrorCode, ExitCode, RadvisorError } from './errors.ts'
export {
  BATCH_FD,
  BATCH_FIELDS,
  BATCH_LENGTH,
  BATCH_OFFSET,
  BATCH_RESULT,
  batchReader,
  errnoOf,
  type FileSystem,
  type ReadBatch,
} from './fs.ts'
export { LatenessHistogram } from './histogram.ts'
export { type JsonList, JsonListError, type JsonListOptions, readJsonList } from './json-list.ts'
export { bodyMessage } from './http.ts'
export { type ColorMode, formatError, type LogOutput, Logger, memoryLogger, type Verbosity } from './logger.ts'
export { DEFAULT_MAX_DURATION_MS, type DurationBounds, formatDuration, parseDuration, parseSize, quote, resolveOptions } from './options.ts'
export {
  type Collector,
  type CollectorFactory,
  defineProvider,
  defineSink,
  type OptionSpec,
  type OptionSpecs,
  type OptionType,
  type PluginContext,
  type Provider,
  type ProviderDefinition,
  type ResolvedOptions,
  type RunSettings,
  type Sink,
  type SinkDefinition,
  type TargetWriter,
} from './plugins.ts'
export { type Loss, LossLedger } from './losses.ts'
export { Outages } from './outages.ts'
export { type PoolDiff, TargetPool } from './pool.ts'
export { excerpt, printable } from './printable.ts'
export { plural } from './plural.ts'
export { Row } from './row.ts'
export { type RunnerOptions, Runner, type RunSummary, type StopOptions } from './runner.ts'
export { fileInDirectory, targetIdProblem } from './target-id.ts'
export { pageOutExecutable, pageOutProgress } from './code-pages.ts'
export { nativeReadBatch, systemFileSystem } from './system-fs.ts'
export { TimeSlices } from './slices.ts'
export { Scheduler, type SchedulerOptions, type TickStats } from './scheduler.ts'
export { type Backoff, type LineResult, ReconnectingStream, type ReconnectingStreamOptions, type StreamSource } from './stream.ts'
export type { CgroupLocator, CollectionEvent, CollectorInfo, ColumnTypes, LogHeader, QosClass, Target } from './types.ts'
export { ManualClock } from './testing.ts'
