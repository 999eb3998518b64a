import { RadvisorError } from '@radvisor/core'
import type { ArgsDef } from 'citty'

/** Every value given for a repeatable `--name` (as `--name v` or `--name=v`). */
export function repeated(rawArgs: readonly string[], name: string, alias?: string): string[] {
  const values: string[] = []
  const flags = [`--${name}`, ...(alias ? [`-${alias}`] : [])]
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!
    if (arg === '--') break
    if (flags.includes(arg)) {
      const value = rawArgs[i + 1]
      if (value !== undefined) values.push(value)
      i++
    } else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3))
  }
  return values
}

/** Rejects flags the command does not know, so that a typo is not silently ignored. */
export function rejectUnknownFlags(rawArgs: readonly string[], args: ArgsDef, command: string): void {
  const known = new Set<string>(['help', 'h', 'version'])
  for (const [name, def] of Object.entries(args)) {
    known.add(name)
    if (def.type === 'boolean') known.add(`no-${name}`)
    const aliases = 'alias' in def ? def.alias : undefined
    for (const alias of Array.isArray(aliases) ? aliases : aliases ? [aliases] : []) known.add(alias)
  }
  for (const arg of rawArgs) {
    if (arg === '--') break
    const match = /^--?([^=]+)/.exec(arg)
    if (!match || /^-\d/.test(arg)) continue
    const names = arg.startsWith('--') ? [match[1]!] : [...match[1]!]
    for (const name of names) {
      if (!known.has(name)) {
        throw new RadvisorError('cli', 'E_OPTION', `unknown option '${arg.startsWith('--') ? '--' : '-'}${name}' for ${command} (see ${command} --help)`)
      }
    }
  }
}
