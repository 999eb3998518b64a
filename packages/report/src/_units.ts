/** Human units for the text report and the HTML summary table. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

export function bytes(value: number): string {
  let scaled = value
  let unit = 0
  while (Math.abs(scaled) >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024
    unit++
  }
  return `${unit === 0 ? scaled.toFixed(0) : scaled.toFixed(1)} ${BYTE_UNITS[unit]}`
}

export function milliseconds(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`
  if (value >= 10) return `${value.toFixed(0)} ms`
  return `${value.toFixed(1)} ms`
}

export function percent(value: number): string {
  return `${value.toFixed(value >= 10 || value === 0 ? 0 : 1)}%`
}

export function fraction(value: number): string {
  return percent(value * 100)
}

export function decimal(value: number): string {
  if (value === 0) return '0'
  const magnitude = Math.abs(value)
  if (magnitude >= 100) return value.toFixed(0)
  if (magnitude >= 10) return value.toFixed(1)
  return magnitude >= 0.01 ? value.toFixed(2) : value.toPrecision(2)
}

export function perSecond(value: number): string {
  return `${decimal(value)}/s`
}

export function bytesPerSecond(value: number): string {
  return `${bytes(value)}/s`
}

/** `+1.250 s` from the origin. */
export function offset(ms: number): string {
  return `+${(ms / 1000).toFixed(3)} s`
}
