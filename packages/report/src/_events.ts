/** An interval in which the kernel OOM-killed tasks of the target. */
export interface OomKill {
  /** Unix ms of the sample that first showed the kills: they happened since the sample before. */
  readonly time: number
  readonly kills: number
}

/** A target's OOM kills (and, on cgroup v1, its time under OOM), exact in constant memory. */
export interface OomSummary {
  /** Tasks killed in all, and the intervals in which any were. */
  readonly kills: number
  readonly intervals: number
  /** The first `MAX_OOM_EVENTS` intervals with kills, in time order. */
  readonly events: readonly OomKill[]
  /** v1 `under_oom`: intervals ending while the cgroup was out of memory, and their length; null without that column. */
  readonly underOom: { readonly intervals: number; readonly duration: number } | null
}

/** OOM-kill intervals listed (and marked on the page); past this they are only counted. */
export const MAX_OOM_EVENTS = 1000

export class OomEvents {
  private kills = 0
  private intervals = 0
  private readonly events: OomKill[] = []
  private underOomSeen = false
  private underOomIntervals = 0
  private underOomDuration = 0

  constructor(private readonly limit = MAX_OOM_EVENTS) {}

  /** One interval: its end, its length, the kills in it (NaN: unknown) and `under_oom` at its end (NaN: not logged). */
  push(time: number, elapsedMs: number, kills: number, underOom: number): void {
    if (kills > 0) {
      this.kills += kills
      this.intervals++
      if (this.events.length < this.limit) this.events.push({ time, kills })
    }
    if (Number.isFinite(underOom)) {
      this.underOomSeen = true
      if (underOom > 0) {
        this.underOomIntervals++
        this.underOomDuration += elapsedMs
      }
    }
  }

  /** Whether any interval ended with a value for `under_oom`. */
  get underOomLogged(): boolean {
    return this.underOomSeen
  }

  /** The summary; null when the log never had a value for OOM kills or `under_oom`. */
  summary(killsLogged: boolean): OomSummary | null {
    if (!killsLogged && !this.underOomSeen) return null
    return {
      kills: this.kills,
      intervals: this.intervals,
      events: [...this.events],
      underOom: this.underOomSeen ? { intervals: this.underOomIntervals, duration: this.underOomDuration } : null,
    }
  }
}
