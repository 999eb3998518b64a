import { isAbsolute, resolve } from 'node:path'
import { type OptionSpecs, type ProviderDefinition, RadvisorError, type SinkDefinition } from '@radvisor/core'
import type { ArgsDef } from 'citty'
import { providers, sinks } from './registry.ts'

/** A module path (`./x.ts`, `/abs/x.ts`) rather than a registered name or package. */
export function isModulePath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec)
}

async function importPlugin(spec: string, kind: 'sink' | 'provider'): Promise<unknown> {
  const target = isModulePath(spec) ? resolve(spec) : spec
  try {
    return await import(target)
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new RadvisorError('cli', 'E_PLUGIN', `cannot load ${kind} '${spec}': ${reason}`, { cause: error })
  }
}

function checkDefinition<D extends SinkDefinition | ProviderDefinition>(
  module: unknown,
  spec: string,
  kind: D['kind'],
  maker: string,
): D {
  const definition = (module as { default?: unknown } | null)?.default as Partial<D> | undefined
  const missing = !definition
    ? `no default export (export default ${maker}({ ... }))`
    : definition.kind !== kind
      ? `its default export was not made with ${maker}()`
      : typeof definition.name !== 'string' || !definition.name
        ? 'its definition has no name'
        : typeof definition.create !== 'function'
          ? 'its definition has no create() function'
          : null
  if (missing) throw new RadvisorError('cli', 'E_PLUGIN', `'${spec}' is not a valid ${kind}: ${missing}`)
  return definition as D
}

/** Loads a sink by built-in name, path or package name. */
export async function loadSink(spec: string): Promise<SinkDefinition> {
  const builtin = sinks[spec]
  if (builtin) return (await builtin()).default
  if (!isModulePath(spec) && !spec.includes('/') && !spec.startsWith('@')) {
    throw new RadvisorError(
      'cli',
      'E_OPTION',
      `unknown sink '${spec}' for --sink (built-in: ${Object.keys(sinks).join(', ') || 'none'}; or give a path such as ./my-sink.ts)`,
    )
  }
  return checkDefinition<SinkDefinition>(await importPlugin(spec, 'sink'), spec, 'sink', 'defineSink')
}

/** Loads a provider by built-in name or module path. */
export async function loadProvider(spec: string): Promise<ProviderDefinition> {
  const builtin = providers[spec]
  if (builtin) return (await builtin()).default
  return checkDefinition<ProviderDefinition>(await importPlugin(spec, 'provider'), spec, 'provider', 'defineProvider')
}

/** citty args for a plugin's options: each option `key` becomes `--<prefix><key>`. */
export function optionArgs(specs: OptionSpecs, prefix = ''): ArgsDef {
  const args: ArgsDef = {}
  for (const [key, spec] of Object.entries(specs)) {
    args[`${prefix}${key}`] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      description: spec.description + (spec.default !== undefined ? ` (default: ${spec.default})` : ''),
      // Only help reads it: an option that is on by default is turned off with --no-<name>.
      ...(spec.type === 'boolean' && spec.default === 'true' && { negativeDescription: `Turn --${prefix}${key} off` }),
    }
  }
  return args
}

/** Options of every built-in sink, as `--<sink>-<key>` flags. */
export async function builtinSinkArgs(): Promise<ArgsDef> {
  const args: ArgsDef = {}
  for (const [name, load] of Object.entries(sinks)) {
    Object.assign(args, optionArgs((await load()).default.options, `${name}-`))
  }
  return args
}
