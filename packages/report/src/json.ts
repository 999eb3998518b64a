import { offsetOf, originOf } from './_present.ts'
import type { Report } from './report.ts'

/**
 * The report as plain data for scripts: each target's summary (times in Unix ms, durations
 * in ms, rates per second, pressure as the stalled share of the interval), every longest
 * millibottleneck and listed OOM kill with its `offset` from the origin, and the problems
 * found. Numbers are rounded to 6 significant digits (times to 1 µs).
 */
export function toJson(report: Report): unknown {
  return tidy({
    options: report.options,
    origin: report.origin,
    targets: report.targets.map(({ summary }) => ({
      ...summary,
      millibottlenecks: {
        ...summary.millibottlenecks,
        longest: summary.millibottlenecks.longest.map((run) => ({ ...run, offset: offsetOf(report, summary, run) })),
      },
      oom: summary.oom && { ...summary.oom, events: summary.oom.events.map((event) => ({ ...event, offset: event.time - originOf(report, summary) })) },
    })),
    problems: report.problems,
    problemCount: report.problemCount,
  })
}

/** JSON text of `toJson`, two-space indented. */
export function formatJson(report: Report): string {
  return `${JSON.stringify(toJson(report), null, 2)}\n`
}

function tidy(value: unknown): unknown {
  if (typeof value === 'number') return round(value)
  if (Array.isArray(value)) return value.map(tidy)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, tidy(inner)]))
  return value
}

function round(value: number): number | null {
  if (!Number.isFinite(value)) return null
  if (Number.isInteger(value)) return value
  if (Math.abs(value) >= 1e6) return Math.round(value * 1000) / 1000
  return Number(value.toPrecision(6))
}
