import { RadvisorError } from './errors.ts'
import type { OptionSpecs, ResolvedOptions } from './plugins.ts'
import { printable } from './printable.ts'

/** Microseconds per duration unit, largest first: the order units must be written in. */
const DURATION_UNITS: readonly (readonly [string, bigint])[] = [
  ['d', 86_400_000_000n],
  ['h', 3_600_000_000n],
  ['m', 60_000_000n],
  ['s', 1_000_000n],
  ['ms', 1_000n],
  ['us', 1n],
]
const DURATION_PART = /(\d+)(?:\.(\d+))?(d|h|ms|m|s|us)/y
/** Longer input is refused before any arithmetic (no real duration needs 64 characters). */
const MAX_TEXT = 64
/** The most of a value `quote` shows: longer ones are shortened in the middle. */
const MAX_QUOTED = 200
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** The longest duration a plugin option takes unless its caller allows more: one day. */
export const DEFAULT_MAX_DURATION_MS = 24 * 3_600_000

export interface DurationBounds {
  /** The plugin named in errors (default `cli`). */
  readonly plugin?: string
  /** The longest duration accepted, in milliseconds (default one day; `Infinity` for none). */
  readonly maxMs?: number
}

/**
 * Parses a duration into milliseconds: one or more `<number><unit>` parts, units `d`, `h`,
 * `m`, `s`, `ms`, `us`, each at most once and largest first (`50ms`, `1.5s`, `1m30s`, `7d`).
 * Numbers are decimal (`1.5s`); no signs, spaces, exponents or bare numbers (`50` is
 * ambiguous between tools). The value is exact to the microsecond, must be positive and at
 * most `maxMs`. Throws a `RadvisorError` naming `option` otherwise.
 */
export function parseDuration(text: string, option: string, { plugin = 'cli', maxMs = DEFAULT_MAX_DURATION_MS }: DurationBounds = {}): number {
  const invalid = (reason: string) => new RadvisorError(plugin, 'E_OPTION', `invalid value ${quote(text)} for ${option}: ${reason}`)
  const micros = text.length <= MAX_TEXT ? durationMicros(text) : null
  if (micros === null) {
    throw invalid('expected a duration such as 50ms, 1.5s, 1m30s or 250us (units d, h, m, s, ms, us, largest first)')
  }
  if (micros === 'fraction') throw invalid('durations are whole microseconds')
  if (micros === 0n) throw invalid('expected a positive duration')
  const ms = Number(micros) / 1000
  if (micros > MAX_SAFE || ms > maxMs) throw invalid(`at most ${formatDuration(Math.min(maxMs, Number(MAX_SAFE) / 1000))}`)
  return ms
}

/** Exact microseconds of `text`, `null` when it does not follow the grammar, `'fraction'` below 1 µs. */
function durationMicros(text: string): bigint | null | 'fraction' {
  let micros = 0n
  let nextUnit = 0
  DURATION_PART.lastIndex = 0
  while (DURATION_PART.lastIndex < text.length) {
    const at = DURATION_PART.lastIndex
    const match = DURATION_PART.exec(text)
    if (!match || match.index !== at) return null
    const [, whole, fraction = '', unit] = match as unknown as [string, string, string | undefined, string]
    const rank = DURATION_UNITS.findIndex(([name]) => name === unit)
    if (rank < nextUnit) return null
    nextUnit = rank + 1
    const scale = DURATION_UNITS[rank]![1]
    const fractionScale = 10n ** BigInt(fraction.length)
    const fractional = BigInt(fraction || '0') * scale
    if (fractional % fractionScale !== 0n) return 'fraction'
    micros += BigInt(whole) * scale + fractional / fractionScale
  }
  return text.length === 0 ? null : micros
}

/** Writes milliseconds in the duration grammar, largest units first (`90000` is `1m30s`). */
export function formatDuration(ms: number): string {
  let micros = BigInt(Math.round(ms * 1000))
  let text = ''
  for (const [unit, scale] of DURATION_UNITS) {
    if (micros >= scale) {
      text += `${micros / scale}${unit}`
      micros %= scale
    }
  }
  return text || '0us'
}

/** Bytes per size unit: `B`, binary `KiB`..`TiB`, decimal `kB`/`KB`..`TB`. */
const SIZE_UNITS: Readonly<Record<string, bigint>> = {
  B: 1n,
  KiB: 1n << 10n,
  MiB: 1n << 20n,
  GiB: 1n << 30n,
  TiB: 1n << 40n,
  kB: 1_000n,
  KB: 1_000n,
  MB: 1_000_000n,
  GB: 1_000_000_000n,
  TB: 1_000_000_000_000n,
}
const SIZE = /^(\d{1,20})(?:\.(\d{1,20}))?(B|[KMGT]iB|[kKMGT]B)?$/

/**
 * Parses a size into a whole number of bytes (rounded down): a whole number of bytes
 * (`4096`), or a decimal number with a unit, written exactly as `B`, `KiB`, `MiB`, `GiB`,
 * `TiB` (powers of 1024) or `kB`/`KB`, `MB`, `GB`, `TB` (powers of 1000): `64KiB`, `1.5MiB`,
 * `1MB`. No signs, spaces, exponents, hex or other spellings. Throws a `RadvisorError`
 * naming `option` when the text is not a positive size.
 */
export function parseSize(text: string, option: string, plugin = 'cli'): number {
  const [, whole, fraction = '', unit] = SIZE.exec(text) ?? []
  const scale = 10n ** BigInt(fraction.length)
  const bytes =
    whole !== undefined && (fraction === '' || unit) ? (BigInt(whole + fraction) * SIZE_UNITS[unit ?? 'B']!) / scale : 0n
  if (bytes < 1n || bytes > MAX_SAFE) {
    throw new RadvisorError(
      plugin,
      'E_OPTION',
      `invalid value ${quote(text)} for ${option}: expected a positive size, such as 4096 (bytes), 64KiB, 16MiB or 1MB`,
    )
  }
  return Number(bytes)
}

/** `text` in single quotes for a message, escaped by `printable` so that it stays one line, and bounded (to `maxLength` characters inside the quotes). */
export function quote(text: string, maxLength = MAX_QUOTED): string {
  return `'${printable(text, maxLength)}'`
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
        `unknown option ${quote(key)}${known.length ? ` (known: ${known.join(', ')})` : ' (it takes no options)'}`,
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
      case 'file':
        if (text === '') throw new RadvisorError(plugin, 'E_OPTION', `invalid value '' for ${flag}: expected a file path`)
        resolved[key] = text
        break
      case 'duration':
        resolved[key] = parseDuration(text, flag, { plugin, ...(spec.maxMs !== undefined && { maxMs: spec.maxMs }) })
        break
      case 'size':
        resolved[key] = parseSize(text, flag, plugin)
        break
      case 'number': {
        const value = Number(text)
        if (!/^-?\d+(\.\d+)?$/.test(text) || !Number.isFinite(value)) {
          throw new RadvisorError(plugin, 'E_OPTION', `invalid value ${quote(text)} for ${flag}: expected a number`)
        }
        resolved[key] = value
        break
      }
      case 'boolean':
        if (!/^(true|false|1|0|yes|no)$/i.test(text)) {
          throw new RadvisorError(plugin, 'E_OPTION', `invalid value ${quote(text)} for ${flag}: expected true or false`)
        }
        resolved[key] = /^(true|1|yes)$/i.test(text)
        break
    }
    spec.check?.(resolved[key] as never)
  }
  return resolved as ResolvedOptions<S>
}
