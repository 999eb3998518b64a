import type { CommandDef } from 'citty'

type Resolvable<T> = T | Promise<T> | (() => T) | (() => Promise<T>)

async function resolve<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value
}

/**
 * The deepest command named by `rawArgs`, and a parent named by the whole path to it
 * (`radvisor run`), for `--help`: citty does not export its own resolver, and its usage
 * line names only the direct parent.
 */
export async function resolveSubCommand(
  command: CommandDef,
  rawArgs: string[],
  path: string[] = [],
): Promise<[CommandDef, CommandDef | undefined]> {
  const subCommands = command.subCommands ? await resolve(command.subCommands) : undefined
  const name = rawArgs.find((arg) => !arg.startsWith('-'))
  if (!subCommands || !name || !(name in subCommands)) {
    return [command, path.length ? { meta: { name: path.join(' ') } } : undefined]
  }
  const meta = command.meta ? await resolve(command.meta) : undefined
  const sub = await resolve(subCommands[name]!)
  return resolveSubCommand(sub, rawArgs.slice(rawArgs.indexOf(name) + 1), [...path, meta?.name ?? name])
}
