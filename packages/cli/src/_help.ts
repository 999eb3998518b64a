import type { ArgDef, CommandDef, CommandMeta } from 'citty'

type Resolvable<T> = T | Promise<T> | (() => T) | (() => Promise<T>)

async function resolve<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value
}

/** How help is printed: in colour or not, and how wide. */
export interface HelpStyle {
  readonly color: boolean
  /** Columns to fit: the terminal's, or 80 when piped. */
  readonly width: number
}

/**
 * The style for help on `output` (stdout): `--color always|never` decides, else colour
 * only on a terminal without `NO_COLOR`; the terminal's width, or 80 columns when piped.
 */
export function helpStyle(
  rawArgs: readonly string[],
  output: { readonly isTTY?: boolean; readonly columns?: number },
  env: Readonly<Record<string, string | undefined>>,
): HelpStyle {
  const mode = colorFlag(rawArgs) ?? 'auto'
  const color = mode === 'always' || (mode === 'auto' && !!output.isTTY && !env.NO_COLOR)
  const width = output.isTTY && output.columns ? Math.max(40, output.columns) : 80
  return { color, width }
}

/** The value of the last `--color`/`-c` flag, or null. */
function colorFlag(rawArgs: readonly string[]): string | null {
  let value: string | null = null
  rawArgs.forEach((arg, index) => {
    if (arg === '--color' || arg === '-c') value = rawArgs[index + 1] ?? null
    else if (arg.startsWith('--color=')) value = arg.slice('--color='.length)
  })
  return value
}

/**
 * The deepest command named by `rawArgs` and the names of the path to it
 * (`['radvisor', 'run', 'cgroup']`), for `--help`. The values of `--color` are skipped, so
 * that `radvisor --color never run --help` finds `run`.
 */
export async function resolveSubCommand(command: CommandDef, rawArgs: readonly string[]): Promise<[CommandDef, string[]]> {
  const meta = command.meta ? await resolve(command.meta) : undefined
  const path = [meta?.name ?? 'radvisor']
  let current = command
  let rest = rawArgs.filter((arg, index) => !(['--color', '-c'].includes(rawArgs[index - 1] ?? '') && !arg.startsWith('-')))
  for (;;) {
    const subCommands = current.subCommands ? await resolve(current.subCommands) : undefined
    const name = rest.find((arg) => !arg.startsWith('-'))
    if (!subCommands || !name || !(name in subCommands)) return [current, path]
    current = await resolve(subCommands[name]!)
    path.push(name)
    rest = rest.slice(rest.indexOf(name) + 1)
  }
}

interface Row {
  readonly term: string
  readonly text: string
}

/**
 * One help screen for `command` (reached by `path`): its description, usage line,
 * arguments, options and commands, each row fitted to `style.width` with no trailing
 * spaces. `runOptions`, for the top-level screen, adds the options of `radvisor run`, the
 * command people come for.
 */
export async function renderHelp(command: CommandDef, path: readonly string[], style: HelpStyle, runOptions?: CommandDef): Promise<string> {
  const paint = (code: string, text: string) => (style.color ? `\x1b[${code}m${text}\x1b[0m` : text)
  const heading = (text: string) => paint('1;4', text)
  const meta: CommandMeta = command.meta ? await resolve(command.meta) : {}
  const name = path.join(' ')
  const { positionals, options } = await argRows(command)
  const commands = await commandRows(command)

  const usage = [name, options.length > 0 ? '[OPTIONS]' : '', ...positionals.map((row) => `[${row.term}]`)]
  if (commands.length > 0) usage.push(commands.map((row) => row.term).join('|'))
  const out: string[] = []
  const version = meta.version ? ` v${meta.version}` : ''
  out.push(...wrap(`${meta.description ?? ''} (${name}${version})`, style.width).map((line) => paint('2', line)), '')
  out.push(...wrap(`${heading('USAGE')} ${paint('36', usage.filter(Boolean).join(' '))}`, Number.POSITIVE_INFINITY), '')
  const section = (title: string, rows: readonly Row[]) => {
    if (rows.length === 0) return
    out.push(heading(title), '', ...table(rows, style, (term) => paint('36', term)), '')
  }
  section('ARGUMENTS', positionals)
  section('OPTIONS', options)
  section('COMMANDS', commands)
  if (runOptions) section(`OPTIONS OF ${name} run <provider>`, (await argRows(runOptions)).options)
  if (commands.length > 0) out.push(...wrap(`Use ${paint('36', `${name} <command> --help`)} for more about a command.`, Number.POSITIVE_INFINITY))
  while (out.at(-1) === '') out.pop()
  return `${out.map((line) => line.trimEnd()).join('\n')}\n`
}

async function argRows(command: CommandDef): Promise<{ positionals: Row[]; options: Row[] }> {
  const args = command.args ? await resolve(command.args) : {}
  const positionals: Row[] = []
  const options: Row[] = []
  for (const [name, arg] of Object.entries(args) as [string, ArgDef][]) {
    const text = describe(arg)
    if (arg.type === 'positional') {
      positionals.push({ term: name.toUpperCase(), text })
      continue
    }
    const alias = 'alias' in arg ? arg.alias : undefined
    const aliases: string[] = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias]
    const value = arg.type === 'boolean' ? '' : arg.type === 'enum' && arg.options ? `=<${arg.options.join('|')}>` : `=<${arg.valueHint ?? name}>`
    options.push({ term: [...aliases.map((alias) => `-${alias}`), `--${name}`].join(', ') + value, text })
    if (arg.type === 'boolean' && arg.negativeDescription) options.push({ term: `--no-${name}`, text: arg.negativeDescription })
  }
  return { positionals, options }
}

function describe(arg: ArgDef): string {
  const text = arg.description ?? ''
  if (arg.default === undefined || arg.type === 'boolean') return text
  return `${text} (default: ${arg.default})`
}

async function commandRows(command: CommandDef): Promise<Row[]> {
  const subCommands = command.subCommands ? await resolve(command.subCommands) : undefined
  const rows: Row[] = []
  for (const [name, sub] of Object.entries(subCommands ?? {})) {
    const def = await resolve(sub)
    const meta: CommandMeta = def.meta ? await resolve(def.meta) : {}
    if (!meta.hidden) rows.push({ term: name, text: meta.description ?? '' })
  }
  return rows
}

/** Two columns: terms, and texts wrapped to the width; a term too long for its column gets its text below it. */
function table(rows: readonly Row[], style: HelpStyle, paintTerm: (term: string) => string): string[] {
  const indent = 2
  const column = Math.min(Math.max(...rows.map((row) => row.term.length)), 31)
  const textStart = indent + column + 3
  const textWidth = style.width - textStart
  const lines: string[] = []
  for (const row of rows) {
    const text = wrap(row.text, textWidth)
    const first = ' '.repeat(indent) + paintTerm(row.term)
    if (row.term.length > column || text.some((line) => line.length > textWidth)) {
      lines.push(first)
      const start = Math.min(textStart, indent + 4)
      lines.push(...wrap(row.text, style.width - start).map((line) => ' '.repeat(start) + line))
      continue
    }
    lines.push(first + ' '.repeat(textStart - indent - row.term.length) + (text[0] ?? ''))
    lines.push(...text.slice(1).map((line) => ' '.repeat(textStart) + line))
  }
  return lines
}

/** Words of `text` in lines of at most `width` characters; a word longer than a line stays whole on its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(line)
  return lines.length > 0 ? lines : ['']
}
