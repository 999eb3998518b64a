import type { Target } from './types.ts'

/** What changed between two updates of a `TargetPool`. */
export interface PoolDiff {
  readonly added: Target[]
  readonly removed: Target[]
}

/**
 * The set of targets being collected. Providers only list what runs now; the pool turns
 * successive lists into start/stop events, so a missed push is healed by the next poll.
 */
export class TargetPool {
  private readonly known = new Map<string, Target>()

  /** Replaces the pool's contents with `targets` and returns what was added and removed. */
  update(targets: Iterable<Target>): PoolDiff {
    const current = new Map<string, Target>()
    for (const target of targets) if (!current.has(target.id)) current.set(target.id, target)
    const added: Target[] = []
    const removed: Target[] = []
    for (const [id, target] of current) if (!this.known.has(id)) added.push(target)
    for (const [id, target] of this.known) if (!current.has(id)) removed.push(target)
    for (const target of removed) this.known.delete(target.id)
    for (const target of added) this.known.set(target.id, target)
    return { added, removed }
  }

  /** Drops a target without a stop event, so that the next update reports it as added again. */
  forget(id: string): void {
    this.known.delete(id)
  }

  has(id: string): boolean {
    return this.known.has(id)
  }

  get size(): number {
    return this.known.size
  }
}
