import { defineSink } from '@radvisor/core'

/**
 * A sink that takes every row and keeps none: `bun bench/periodic.ts
 * "--cli-args=--sink ./bench/_discard-sink.ts"` measures the CLI without the CSVY sink's work.
 */
export default defineSink({
  name: 'discard',
  options: {},
  create() {
    return { name: 'discard', open: () => ({ write() {}, close() {} }), flush() {}, close() {} }
  },
})
