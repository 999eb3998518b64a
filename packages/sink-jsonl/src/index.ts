import { defineSink } from '@radvisor/core'
import { createJsonlSink } from './jsonl-sink.ts'

/** JSON lines for `jq`, Vector or Fluent Bit: stdout by default, or `--jsonl-path`. */
export const jsonlSink = defineSink({
  name: 'jsonl',
  description: 'One JSON object per sample (JSON lines), to stdout or --jsonl-path',
  options: {
    path: { type: 'file', description: 'Append JSON lines to this file instead of writing them to stdout' },
  },
  create: (options, context) => createJsonlSink(context, options.path),
})

export default jsonlSink
export { createJsonlSink, type JsonlSinkHandle } from './jsonl-sink.ts'
