import type { CommandDef, SubCommandsDef } from 'citty'
import { defineCommand } from 'citty'
import { isModulePath } from '../_plugins.ts'
import { runArgs } from '../args.ts'
import { plannedProviders, providers } from '../registry.ts'
import { providerCommand, unavailableCommand } from './_provider-command.ts'

const named: SubCommandsDef = {}
for (const name of new Set([...Object.keys(providers), ...Object.keys(plannedProviders)])) {
  named[name] = providers[name]
    ? () => providerCommand(name)
    : unavailableCommand(name, plannedProviders[name] ?? name)
}

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
