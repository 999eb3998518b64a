import { isAbsolute, resolve } from 'node:path'
import {
  describeError,
  type OptionSpecs,
  type PluginContext,
  type ProviderDefinition,
  quote,
  RadvisorError,
  type ResolvedOptions,
  type Sink,
  type SinkDefinition,
} from '@radvisor/core'
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

/** The functions the runner calls on every sink. */
const SINK_FUNCTIONS = ['open', 'flush', 'close'] as const

/**
 * Checks what a sink's `create()` returned (the sink loaded from `spec`): a non-empty `name`
 * and the functions the runner calls, so that a malformed sink is refused at startup
 * instead of failing at every call.
 */
export function checkSink(sink: unknown, spec: string): Sink {
  const invalid = (reason: string) => new RadvisorError('cli', 'E_PLUGIN', `sink ${quote(spec)} is not valid: its create() returned ${reason}`)
  if (typeof sink !== 'object' || sink === null) throw invalid(`${sink === null ? 'null' : typeof sink}, not a sink object`)
  const members = sink as Record<string, unknown>
  const missing = [
    ...(typeof members.name === 'string' && members.name !== '' ? [] : ['name']),
    ...SINK_FUNCTIONS.filter((key) => typeof members[key] !== 'function').map((key) => `${key}()`),
  ]
  if (missing.length > 0) throw invalid(`a sink without ${missing.join(', ')} (a sink has a name, open(), flush() and close())`)
  return sink as Sink
}

/**
 * Creates the sink of `definition`, loaded from `spec`. A `create()` that throws anything
 * but a `RadvisorError` (which names its plugin already) is reported naming the sink.
 */
export async function createSink(
  definition: SinkDefinition,
  spec: string,
  options: ResolvedOptions<OptionSpecs>,
  context: PluginContext,
): Promise<Sink> {
  let sink: unknown
  try {
    sink = await definition.create(options, context)
  } catch (error) {
    if (error instanceof RadvisorError) throw error
    throw new RadvisorError('cli', 'E_INTERNAL', `sink ${quote(spec)} failed to start: its create() threw: ${describeError(error).split('\n')[0]}`, { cause: error })
  }
  return checkSink(sink, spec)
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

/** Options of every built-in sink, as `--<sink>-<key>` flags (each a usage error without its `--sink`). */
export async function builtinSinkArgs(): Promise<ArgsDef> {
  const args: ArgsDef = {}
  for (const [name, load] of Object.entries(sinks)) {
    for (const [flag, arg] of Object.entries(optionArgs((await load()).default.options, `${name}-`))) {
      args[flag] = { ...arg, description: `${arg.description} [with --sink ${name}]` }
    }
  }
  return args
}
