import {
  BufferedFile,
  describeError,
  type LogHeader,
  type PluginContext,
  RadvisorError,
  type Row,
  type Sink,
  type Target,
  type TargetWriter,
  WriteFailures,
} from '@radvisor/core'
import { JsonLineEncoder } from './_encoder.ts'

const STDOUT = 1
/** Lines are written out once this many bytes are buffered, besides every flush. */
const WRITE_AT_BYTES = 64 * 1024

/** The JSON lines sink: every call is synchronous. */
export interface JsonlSinkHandle extends Sink {
  open(target: Target, header: LogHeader): TargetWriter
  flush(): void
  close(): void
}

/**
 * Creates the JSON lines sink: one `{"target","provider","time","values"}` object per row,
 * appended to `path` (created when missing) or written to stdout, through core's buffered
 * writer: written every `--flush-every` and whenever 64 KiB are buffered; while the output
 * refuses (a full disk, a closed pipe), up to `--buffer` bytes of lines are kept and retried,
 * and lines that had to be given up are counted as lost rows.
 */
export function createJsonlSink(context: PluginContext, path?: string): JsonlSinkHandle {
  const { fs, logger, settings } = context
  let opened = { fd: STDOUT, size: null as number | null }
  if (path !== undefined) {
    try {
      const fd = fs.openSync(path, 'a')
      const stat = fs.statSync(path)
      opened = { fd, size: stat.isFile() ? stat.size : null }
    } catch (error) {
      throw new RadvisorError('sink-jsonl', 'E_OPTION', `cannot open ${path} (--jsonl-path): ${describeError(error)}`, { cause: error })
    }
  }
  const destination = path ?? 'stdout'
  // At least a write's worth: lines are written out at WRITE_AT_BYTES.
  const maxBytes = Math.max(settings.bufferBytes, WRITE_AT_BYTES)
  const file = new BufferedFile({
    fs,
    label: destination,
    open: () => opened,
    closeDescriptor: path !== undefined,
    maxBytes,
    writeAtBytes: WRITE_AT_BYTES,
    failures: new WriteFailures(logger, 'jsonl', destination, maxBytes),
  })
  file.flush()
  return new JsonlSink(context, file, destination)
}

class JsonlSink implements JsonlSinkHandle {
  readonly name = 'jsonl'
  private lines = 0
  /** Lines given up because the output refused them and the buffer was full. */
  private refused = 0
  private closed = false

  constructor(
    private readonly context: PluginContext,
    private readonly file: BufferedFile,
    private readonly destination: string,
  ) {}

  open(target: Target, header: LogHeader): TargetWriter {
    const encoder = new JsonLineEncoder(target, header.collector.columns)
    const { file } = this
    return {
      write: (row: Row) => {
        const at = file.reserve(encoder.maxBytes(row))
        if (at < 0) {
          this.refused++
          return
        }
        file.commit(encoder.encode(row, file.buffer, at))
        this.lines++
      },
      close: () => {},
    }
  }

  flush(): void {
    this.file.flush()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    const { dropped, reason } = this.file.close()
    this.context.losses.record(this.name, this.destination, dropped, reason)
    const unwritten = dropped - this.refused
    this.context.logger.status('Wrote', `${this.lines - unwritten} JSON lines to ${this.destination}`)
  }
}
