import { constants } from 'node:fs'
import { dirname } from 'node:path'
import {
  BufferedFile,
  describeError,
  fileInDirectory,
  type LogHeader,
  type OpenedFile,
  type PluginContext,
  RadvisorError,
  type Row,
  type Sink,
  type Target,
  type TargetWriter,
  unixNanos,
  WriteFailures,
  plural,
} from '@radvisor/core'
import { FlushRecord } from './_flush-record.ts'
import { type RetentionPolicy, retainLogs } from './_retention.ts'
import { HeaderFormatter } from './header.ts'
import { readSystemInfo, type SystemInfo } from './system-info.ts'

/** The most the header scratch buffer grows to: headers are ~3 KB. */
const MAX_SCRATCH_BYTES = 64 * 1024
/** `<id>_<seconds>_<n>.log` with n up to this is tried before giving up on a name. */
const MAX_NAME_ATTEMPTS = 1000
/** Retention runs when the sink starts and then at the first flush of every hour. */
const RETENTION_EVERY_MS = 60 * 60 * 1000

/**
 * Creates the CSVY sink for a run: checks that `settings.directory` (created when missing)
 * and the flush log's folder are writable, so that a bad path fails at startup with exit 2
 * rather than when the first target appears, and reads the host facts once.
 */
export function createCsvySink(
  context: PluginContext,
  system: SystemInfo = readSystemInfo(context.fs),
  retention: RetentionPolicy | null = null,
): CsvySinkHandle {
  const { fs, settings } = context
  try {
    fs.mkdirSync(settings.directory, { recursive: true })
    fs.accessSync(settings.directory, constants.W_OK | constants.X_OK)
  } catch (error) {
    throw new RadvisorError(
      'sink-csvy',
      'E_OPTION',
      `cannot write logs to directory ${settings.directory} (-d/--directory): ${describeError(error)}; choose a writable directory`,
      { cause: error },
    )
  }
  if (settings.flushLog !== null) {
    try {
      fs.accessSync(dirname(settings.flushLog), constants.W_OK | constants.X_OK)
    } catch (error) {
      throw new RadvisorError(
        'sink-csvy',
        'E_OPTION',
        `cannot write the flush log ${settings.flushLog} (-f/--flush-log): ${describeError(error)}; its folder must exist and be writable`,
        { cause: error },
      )
    }
  }
  return new CsvySink(context, system, retention)
}

/** The CSVY sink: every call is synchronous. */
export interface CsvySinkHandle extends Sink {
  open(target: Target, header: LogHeader): TargetWriter
  flush(): void
  close(): void
}

/** One target's log: its buffered file and who it belongs to. */
interface TargetLog {
  readonly file: BufferedFile
  readonly target: Target
  /** Where it is written: `<id>_<seconds>.log`, or with `_<n>` when that name was taken. */
  path: string
}

class CsvySink implements CsvySinkHandle {
  readonly name = 'csvy'
  /** Logs of running targets, and of stopped ones whose rows the disk still refuses. */
  private readonly logs = new Set<TargetLog>()
  private readonly stopping = new Set<TargetLog>()
  private readonly failures: WriteFailures
  private readonly record: FlushRecord | null
  private readonly encoder = new TextEncoder()
  /** Where headers are encoded, one after the other: a log keeps none of it once written. */
  private scratch = new Uint8Array(0)
  private readonly headers: HeaderFormatter
  private closed = false
  private files = 0
  private bytes = 0
  private writes = 0
  private lastRetention: number

  constructor(
    private readonly context: PluginContext,
    system: SystemInfo,
    private readonly retention: RetentionPolicy | null,
  ) {
    const { logger, settings, clock } = context
    this.headers = new HeaderFormatter(system)
    this.record = settings.flushLog === null ? null : new FlushRecord()
    this.failures = new WriteFailures(logger, this.name, `logs in ${settings.directory}`, settings.bufferBytes)
    this.lastRetention = clock.monotonic()
    this.retain()
  }

  open(target: Target, header: LogHeader): TargetWriter {
    if (this.closed) throw new RadvisorError('sink-csvy', 'E_INTERNAL', 'open after close')
    const { fs, clock, settings, logger } = this.context
    const base = `${target.id}_${Math.floor(clock.now() / 1000)}`
    const path = fileInDirectory(settings.directory, `${base}.log`, 'sink-csvy')
    const log: TargetLog = {
      target,
      path,
      file: new BufferedFile({
        fs,
        label: path,
        maxBytes: settings.bufferBytes,
        rowsPerFlush: Math.ceil(settings.flushEveryMs / settings.intervalMs),
        failures: this.failures,
        open: () => {
          const opened = this.create(base)
          log.path = opened.path
          return opened
        },
        ...(this.record && { onWrite: (written: number, success: boolean) => this.record!.add(unixNanos(clock.now()), target.id, written, success) }),
      }),
    }
    log.file.writePreamble(this.encode(this.headers.format(header)))
    this.logs.add(log)
    this.files++
    logger.debug('Logging', `${target.name} to ${log.path}`)
    return {
      write: (row: Row) => void log.file.appendLine(row.bytes, row.length),
      close: () => {
        this.logs.delete(log)
        if (log.file.flush()) this.finish(log)
        else this.stopping.add(log)
      },
    }
  }

  flush(): void {
    if (this.retention && this.context.clock.monotonic() - this.lastRetention >= RETENTION_EVERY_MS) {
      this.lastRetention = this.context.clock.monotonic()
      this.retain()
    }
    for (const log of this.logs) log.file.flush()
    for (const log of this.stopping) {
      if (log.file.flush()) {
        this.stopping.delete(log)
        this.finish(log)
      }
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const log of [...this.logs, ...this.stopping]) this.finish(log)
    this.logs.clear()
    this.stopping.clear()
    const { logger, settings, fs } = this.context
    logger.status(
      'Flushed',
      `${this.bytes} bytes in ${plural(this.writes, 'write')} to ${plural(this.files, 'log file')} in ${settings.directory}`,
    )
    if (this.record && settings.flushLog !== null) {
      try {
        this.record.writeTo(fs, settings.flushLog)
        logger.status('Wrote', `flush log of ${plural(this.record.size, 'write')} to ${settings.flushLog}`)
      } catch (error) {
        logger.error(new RadvisorError('sink-csvy', 'E_IO', `cannot write the flush log ${settings.flushLog}: ${describeError(error)}`))
      }
    }
  }

  /** Deletes old logs as `--csvy-retention-*` say, never one of this sink's open logs. */
  private retain(): void {
    if (!this.retention) return
    const { fs, logger, clock, settings } = this.context
    const open = new Set([...this.logs, ...this.stopping].map((log) => log.path))
    retainLogs({ fs, logger, nowMs: clock.now(), directory: settings.directory }, this.retention, open)
  }

  /**
   * `text` as UTF-8 in the sink's scratch buffer (valid until the next call). A header larger
   * than the scratch may grow to (metadata from an API can be) gets an array of its own, so
   * that one outsized header is not kept for the rest of the run.
   */
  private encode(text: string): Uint8Array {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const most = text.length * 3
    if (most > MAX_SCRATCH_BYTES) return this.encoder.encode(text)
    if (this.scratch.length < most) this.scratch = new Uint8Array(most)
    return this.scratch.subarray(0, this.encoder.encodeInto(text, this.scratch).written)
  }

  /** Creates `<base>.log`, or `<base>_1.log`, `_2`... when the name is taken: a log is never overwritten or appended to. */
  private create(base: string): OpenedFile & { readonly path: string } {
    const { fs, settings } = this.context
    for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
      const path = fileInDirectory(settings.directory, attempt === 0 ? `${base}.log` : `${base}_${attempt}.log`, 'sink-csvy')
      try {
        return { fd: fs.openSync(path, 'wx'), size: 0, path }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
    }
    throw new RadvisorError('sink-csvy', 'E_IO', `${MAX_NAME_ATTEMPTS} logs named ${base}_*.log exist already in ${settings.directory}`)
  }

  /** Closes a log and counts the rows it could not write. */
  private finish(log: TargetLog): void {
    const { dropped, reason } = log.file.close()
    this.bytes += log.file.bytesWritten
    this.writes += log.file.writes
    this.context.losses.record(this.name, log.target.name, dropped, reason)
  }
}

