import type { CommandDef } from 'citty'

type Resolvable<T> = T | Promise<T> | (() => T) | (() => Promise<T>)

async function resolve<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value
}

/** The deepest command named by `rawArgs` and its parent, for `--help` (citty does not export its own). */
export async function resolveSubCommand(
  command: CommandDef,
  rawArgs: string[],
  parent?: CommandDef,
): Promise<[CommandDef, CommandDef | undefined]> {
  const subCommands = command.subCommands ? await resolve(command.subCommands) : undefined
  const name = rawArgs.find((arg) => !arg.startsWith('-'))
  if (!subCommands || !name || !(name in subCommands)) return [command, parent]
  const sub = await resolve(subCommands[name]!)
  return resolveSubCommand(sub, rawArgs.slice(rawArgs.indexOf(name) + 1), command)
}
