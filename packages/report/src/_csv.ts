/**
 * Splits one CSV record (RFC 4180 quoting: `"a,b"`, `""` for a quote). radvisor 1.1.7 wrote
 * blkio files as the kernel's lines joined by commas, quoted by its CSV writer. Returns null
 * when a quote is left open, which on a line reader means the record is cut.
 */
export function splitCsv(line: string): string[] | null {
  if (!line.includes('"')) return line.split(',')
  const cells: string[] = []
  let index = 0
  for (;;) {
    if (line.charCodeAt(index) === 34 /* " */) {
      let value = ''
      let cursor = index + 1
      for (;;) {
        const quote = line.indexOf('"', cursor)
        if (quote === -1) return null
        value += line.slice(cursor, quote)
        if (line.charCodeAt(quote + 1) === 34) {
          value += '"'
          cursor = quote + 2
          continue
        }
        index = quote + 1
        break
      }
      cells.push(value)
    } else {
      const comma = line.indexOf(',', index)
      const end = comma === -1 ? line.length : comma
      cells.push(line.slice(index, end))
      index = end
    }
    if (index >= line.length) return cells
    if (line.charCodeAt(index) !== 44 /* , */) return null
    index++
    if (index === line.length) {
      cells.push('')
      return cells
    }
  }
}
