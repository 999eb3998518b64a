import { CellError, emptySample, type Sample, type SampleReader, sampleReader } from './_columns.ts'
import { splitCsv } from './_csv.ts'
import { describeLog, type LogInfo, parseHeaderYaml } from './_header.ts'
import type { Line } from './_lines.ts'

/** Something wrong in a log, at a line; the report skips it and goes on. */
export interface Problem {
  readonly source: string
  /** 1-based line number (0: the file as a whole). */
  readonly line: number
  readonly message: string
}

/** Receives what a CsvyParser reads. `sample` reuses one object: copy what you keep. */
export interface ParserHandler {
  header(info: LogInfo): void
  sample(sample: Sample): void
  problem(problem: Problem): void
}

// A YAML header past this size is not a radvisor header (it is a few KiB).
const MAX_HEADER_CHARS = 1 << 20

type State = 'start' | 'yaml' | 'columns' | 'rows' | 'done'

/**
 * Streaming reader of one CSVY log, fed line by line: `---`, YAML, `---`, the column row,
 * then rows. Holds only the YAML header and one row; every malformed line becomes a
 * Problem with its line number and is skipped.
 */
export class CsvyParser {
  private state: State = 'start'
  private yaml: string[] = []
  private yamlChars = 0
  private yamlStart = 0
  private header: Record<string, unknown> = {}
  private columnCount = 0
  private read: SampleReader | null = null
  private readonly sample = emptySample()

  constructor(
    private readonly source: string,
    private readonly handler: ParserHandler,
  ) {}

  push(line: Line): void {
    switch (this.state) {
      case 'start':
        return this.start(line)
      case 'yaml':
        return this.headerLine(line)
      case 'columns':
        return this.columns(line)
      case 'rows':
        return this.row(line)
      case 'done':
        return
    }
  }

  /** Reports a log that ended before its rows began. */
  end(): void {
    if (this.state === 'start') this.fail(0, 'empty file: not a CSVY log')
    else if (this.state === 'yaml') this.fail(this.yamlStart, "the YAML header is not closed by a '---' line")
    else if (this.state === 'columns') this.fail(0, 'no CSV column row after the YAML header')
  }

  private start(line: Line): void {
    if (line.text.trim() === '') return
    if (line.text === '---') {
      this.state = 'yaml'
      this.yamlStart = line.number
    } else if (line.text.startsWith('read,')) {
      this.problem(line.number, "no YAML header ('---' ... '---'): target details unknown, rows read with this column row")
      this.columns(line)
    } else {
      this.fail(line.number, "missing header: a CSVY log starts with a '---' line")
    }
  }

  private headerLine(line: Line): void {
    if (line.text === '---') {
      try {
        this.header = parseHeaderYaml(this.yaml.join('\n'))
        this.yaml = []
        this.state = 'columns'
      } catch (error) {
        this.fail(this.yamlStart + 1, `bad YAML header: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)
      }
      return
    }
    this.yamlChars += line.text.length + 1
    if (this.yamlChars > MAX_HEADER_CHARS) return this.fail(this.yamlStart, "the YAML header is not closed by a '---' line")
    this.yaml.push(line.text)
  }

  private columns(line: Line): void {
    if (line.text.trim() === '') return
    const columns = splitCsv(line.text)
    if (!columns?.includes('read')) return this.fail(line.number, "missing column row: expected the CSV header ('read,...') after the YAML header")
    const info = describeLog(this.source, this.header, columns)
    this.read = sampleReader(info)
    this.columnCount = columns.length
    this.state = 'rows'
    this.handler.header(info)
  }

  private row(line: Line): void {
    if (line.text === '') return
    const cells = splitCsv(line.text)
    if (cells === null || cells.length !== this.columnCount) {
      const found = cells === null ? 'an unclosed quote' : `${cells.length} cells`
      const message = line.complete
        ? `wrong column count: expected ${this.columnCount} cells, found ${found}`
        : `truncated last row: expected ${this.columnCount} cells, found ${found}`
      return this.problem(line.number, message)
    }
    const sample = this.sample
    sample.line = line.number
    try {
      this.read?.(cells, sample)
    } catch (error) {
      if (!(error instanceof CellError)) throw error
      return this.problem(line.number, error.message)
    }
    this.handler.sample(sample)
  }

  private fail(line: number, message: string): void {
    this.state = 'done'
    this.problem(line, `${message}; file skipped`)
  }

  private problem(line: number, message: string): void {
    this.handler.problem({ source: this.source, line, message })
  }
}
