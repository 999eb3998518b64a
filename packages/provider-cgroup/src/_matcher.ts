import { ROOT_PATTERN } from './patterns.ts'

/** One path segment of a pattern: `**` (any number of segments) or a one-segment glob. */
type Segment = { readonly anyDepth: true } | { readonly anyDepth: false; readonly glob: Bun.Glob }

/** How far one pattern has matched: the index of its next segment. */
interface Position {
  readonly pattern: number
  readonly segment: number
}

/**
 * Where the walk stands in every pattern at one folder. The walk keeps one per folder, so
 * that it matches each folder name once per pattern and descends only while some pattern
 * still has segments left.
 */
export type MatchState = readonly Position[]

/**
 * Matches cgroup paths against glob patterns one segment at a time: `*`, `?`, `[...]` and
 * `{a,b}` within a segment (Bun.Glob), `**` for any number of segments (zero included).
 */
export class SegmentMatcher {
  private readonly patterns: readonly (readonly Segment[])[]

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((pattern) =>
      pattern === ROOT_PATTERN
        ? []
        : pattern.split('/').map((text): Segment => (text === '**' ? { anyDepth: true } : { anyDepth: false, glob: new Bun.Glob(text) })),
    )
  }

  /** The state at the root folder (the empty path). */
  start(): MatchState {
    return this.close(this.patterns.map((_, pattern) => ({ pattern, segment: 0 })))
  }

  /** The state after descending into the folder `name`; empty when no pattern can match below. */
  step(state: MatchState, name: string): MatchState {
    const next: Position[] = []
    for (const position of state) {
      const segment = this.patterns[position.pattern]![position.segment]
      if (!segment) continue
      if (segment.anyDepth) next.push(position)
      else if (segment.glob.match(name)) next.push({ pattern: position.pattern, segment: position.segment + 1 })
    }
    return this.close(next)
  }

  /** True when the folder reached in `state` matches a whole pattern. */
  matches(state: MatchState): boolean {
    return state.some((position) => position.segment === this.patterns[position.pattern]!.length)
  }

  /** True when a pattern still has segments left, so subfolders may match. */
  canDescend(state: MatchState): boolean {
    return state.some((position) => position.segment < this.patterns[position.pattern]!.length)
  }

  /** Adds the positions past each `**` (it may match zero segments) and drops duplicates. */
  private close(positions: Position[]): MatchState {
    const seen = new Set<string>()
    const closed: Position[] = []
    const add = (position: Position) => {
      const key = `${position.pattern}:${position.segment}`
      if (seen.has(key)) return
      seen.add(key)
      closed.push(position)
      if (this.patterns[position.pattern]![position.segment]?.anyDepth) {
        add({ pattern: position.pattern, segment: position.segment + 1 })
      }
    }
    for (const position of positions) add(position)
    return closed
  }
}
