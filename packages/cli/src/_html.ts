import * as fs from 'node:fs'
import { describeError, RadvisorError } from '@radvisor/core'
import { type Report, writeHtml } from '@radvisor/report'

/** Writes the report page to `path` (`--html`); a path that cannot be written is `E_OPTION`. */
export function writeHtmlFile(path: string, report: Report, plugin: string): void {
  let fd: number
  try {
    fd = fs.openSync(path, 'w')
  } catch (error) {
    throw new RadvisorError(plugin, 'E_OPTION', `cannot write --html ${path} (${describeError(error)}); give a writable file path`)
  }
  try {
    writeHtml(report, (chunk) => fs.writeSync(fd, chunk))
  } finally {
    fs.closeSync(fd)
  }
}
