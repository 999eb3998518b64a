import type { ProviderDefinition } from '@radvisor/core'
import { type ArgsDef, type CommandDef, defineCommand } from 'citty'
import { rejectUnknownFlags } from '../_flags.ts'
import { builtinSinkArgs, loadProvider, optionArgs } from '../_plugins.ts'
import { type RunArgs, runProvider } from '../_run.ts'
import { runArgs } from '../args.ts'

/** The `radvisor run <provider>` command for one provider (a built-in name or a module path). */
export async function providerCommand(spec: string): Promise<CommandDef> {
  const definition: ProviderDefinition = await loadProvider(spec)
  const args: ArgsDef = { ...runArgs, ...(await builtinSinkArgs()), ...optionArgs(definition.options) }
  return defineCommand({
    meta: { name: definition.name, description: definition.description ?? `Collect the targets of ${spec}` },
    args,
    async run({ args: parsed, rawArgs }) {
      rejectUnknownFlags(rawArgs, args, `radvisor run ${spec}`)
      process.exitCode = await runProvider(definition, parsed as RunArgs, rawArgs)
    },
  })
}
