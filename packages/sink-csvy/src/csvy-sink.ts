import { constants } from 'node:fs'
import { dirname } from 'node:path'
import {
  describeError,
  type LogHeader,
  type PluginContext,
  RadvisorError,
  type Row,
  type Sink,
  type Target,
} from '@radvisor/core'
import { FlushRecord } from './_flush-record.ts'
import { TargetLog, type TargetLogContext } from './_target-log.ts'
import { formatHeader } from './header.ts'
import { readSystemInfo, type SystemInfo } from './system-info.ts'

/**
 * Creates the CSVY sink for a run: checks that `settings.directory` (created when missing)
 * and the flush log's folder are writable, so that a bad path fails at startup with exit 2
 * rather than when the first target appears, and reads the host facts once.
 *
 * Writes for a target that is not open (never opened, already closed, or after `close`)
 * are ignored.
 */
export function createCsvySink(context: PluginContext, system: SystemInfo = readSystemInfo(context.fs)): Sink {
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
  return new CsvySink(context, system)
}

class CsvySink implements Sink {
  readonly name = 'csvy'
  private readonly logs = new Map<string, TargetLog>()
  /** Logs of stopped targets whose last write failed: retried at flush, closed at close. */
  private readonly stopping: TargetLog[] = []
  private readonly logContext: TargetLogContext
  private readonly record: FlushRecord | null
  private closed = false
  private files = 0
  private bytes = 0
  private writes = 0

  constructor(
    private readonly context: PluginContext,
    private readonly system: SystemInfo,
  ) {
    const { fs, clock, logger, settings } = context
    this.record = settings.flushLog === null ? null : new FlushRecord()
    this.logContext = { fs, clock, logger, record: this.record, bufferBytes: settings.bufferBytes, flushEveryMs: settings.flushEveryMs }
  }

  open(target: Target, header: LogHeader): void {
    if (this.closed) return
    if (this.logs.has(target.id)) this.closeTarget(target)
    const log = TargetLog.open(this.logContext, this.context.settings.directory, target.id, formatHeader(header, this.system))
    this.logs.set(target.id, log)
    this.files++
    this.context.logger.debug('Logging', `${target.name} to ${log.path}`)
  }

  write(row: Row): void {
    this.logs.get(row.target.id)?.append(row)
  }

  closeTarget(target: Target): void {
    const log = this.logs.get(target.id)
    if (!log) return
    this.logs.delete(target.id)
    if (log.drain()) this.finish(log)
    else this.stopping.push(log)
  }

  flush(): void {
    for (const log of this.logs.values()) log.drain()
    for (let i = this.stopping.length - 1; i >= 0; i--) {
      const log = this.stopping[i]!
      if (log.drain()) {
        this.stopping.splice(i, 1)
        this.finish(log)
      }
    }
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const log of [...this.logs.values(), ...this.stopping]) this.finish(log)
    this.logs.clear()
    this.stopping.length = 0
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

  /** Closes a log and reports rows it could not write. */
  private finish(log: TargetLog): void {
    const lost = log.close()
    this.bytes += log.bytesWritten
    this.writes += log.writes
    if (lost > 0) {
      this.context.logger.warn(`dropped ${plural(lost, 'row')} of ${log.targetId} that could not be written to ${log.path}`)
    }
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
