import type { CommandDef, SubCommandsDef } from 'citty'
import { defineCommand } from 'citty'
import { isModulePath } from '../_plugins.ts'
import { runArgs } from '../args.ts'
import { providers } from '../registry.ts'
import { providerCommand } from './_provider-command.ts'

const named: SubCommandsDef = Object.fromEntries(Object.keys(providers).map((name) => [name, () => providerCommand(name)]))

/**
 * Registered providers, plus any module path (`radvisor run ./my-provider.ts`), so that
 * teams can run providers of their own without registering them.
 */
const subCommands = new Proxy(named, {
  has: (target, key) => key in target || (typeof key === 'string' && isModulePath(key)),
  get: (target, key) =>
    typeof key === 'string' && !(key in target) && isModulePath(key)
      ? (): Promise<CommandDef> => providerCommand(key)
      : target[key as string],
})

export default defineCommand({
  meta: {
    name: 'run',
    description: 'Collect resource usage of every target a provider finds, until stopped (SIGINT/SIGTERM) or --duration',
  },
  args: runArgs,
  subCommands,
})
