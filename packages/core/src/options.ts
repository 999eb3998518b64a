import bytes from 'bytes-iec'
import parseDurationText from 'parse-duration'
import { RadvisorError } from './errors.ts'
import type { OptionSpecs, ResolvedOptions } from './plugins.ts'

/**
 * Parses a duration such as `50ms`, `1s`, `1m30s` or `250us` into milliseconds.
 * A unit is required: a bare `50` is ambiguous between radvisor's and other tools' units.
 * Throws a `RadvisorError` naming `option` when the text is not a positive duration.
 */
export function parseDuration(text: string, option: string, plugin = 'cli'): number {
  const value = /\d\s*[a-zµ]/i.test(text) ? parseDurationText(text) : null
  if (value === null || !Number.isFinite(value) || value <= 0) {
    throw new RadvisorError(
      plugin,
      'E_OPTION',
      `invalid value '${text}' for ${option}: expected a positive duration with a unit, such as 50ms, 1s, 1m30s or 250us`,
    )
  }
  return value
}

/**
 * Parses a size such as `16MiB`, `64KiB`, `1MB` or `4096` (bytes) into a whole number of bytes.
 * Throws a `RadvisorError` naming `option` when the text is not a positive size.
 */
export function parseSize(text: string, option: string, plugin = 'cli'): number {
  const value = /^\s*\d/.test(text) ? bytes.parse(text, { mode: 'binary' }) : null
  if (value === null || !Number.isFinite(value) || value < 1) {
    throw new RadvisorError(
      plugin,
      'E_OPTION',
      `invalid value '${text}' for ${option}: expected a positive size, such as 16MiB, 64KiB, 1MB or 4096`,
    )
  }
  return Math.floor(value)
}

/**
 * Converts a plugin's raw string options (from `--sink-option name.key=value` or
 * dedicated flags) into typed values by its option specs. Unknown keys, missing required
 * keys and bad values throw a `RadvisorError` naming the plugin and the option.
 */
export function resolveOptions<S extends OptionSpecs>(
  plugin: string,
  specs: S,
  raw: Readonly<Record<string, string | undefined>>,
  flagFor: (key: string) => string = (key) => `${plugin}.${key}`,
): ResolvedOptions<S> {
  const resolved: Record<string, unknown> = {}
  for (const key of Object.keys(raw)) {
    if (!(key in specs) && raw[key] !== undefined) {
      const known = Object.keys(specs)
      throw new RadvisorError(
        plugin,
        'E_OPTION',
        `unknown option '${key}'${known.length ? ` (known: ${known.join(', ')})` : ' (it takes no options)'}`,
      )
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const text = raw[key] ?? spec.default
    const flag = flagFor(key)
    if (text === undefined) {
      if (spec.required) throw new RadvisorError(plugin, 'E_OPTION', `missing required option ${flag}`)
      resolved[key] = undefined
      continue
    }
    switch (spec.type) {
      case 'string':
        resolved[key] = text
        break
      case 'duration':
        resolved[key] = parseDuration(text, flag, plugin)
        break
      case 'size':
        resolved[key] = parseSize(text, flag, plugin)
        break
      case 'number': {
        const value = Number(text)
        if (text.trim() === '' || !Number.isFinite(value)) {
          throw new RadvisorError(plugin, 'E_OPTION', `invalid value '${text}' for ${flag}: expected a number`)
        }
        resolved[key] = value
        break
      }
      case 'boolean':
        if (!/^(true|false|1|0|yes|no)$/i.test(text)) {
          throw new RadvisorError(plugin, 'E_OPTION', `invalid value '${text}' for ${flag}: expected true or false`)
        }
        resolved[key] = /^(true|1|yes)$/i.test(text)
        break
    }
  }
  return resolved as ResolvedOptions<S>
}
