import type { Target } from './types.ts'

/** What changed between two updates of a `TargetPool`. */
export interface PoolDiff {
  /** Targets listed now that were not before. */
  readonly added: Target[]
  /** Ids listed before that are not now. */
  readonly removed: string[]
}

/**
 * The ids of the targets a provider lists. Providers only list what runs now; the pool turns
 * successive lists into added and removed, so a missed push is healed by the next poll. It keeps
 * ids only: its memory follows the list, never the providers' metadata.
 */
export class TargetPool {
  private known = new Set<string>()

  /** Replaces the pool's contents with `targets` and returns what was added and removed. */
  update(targets: Iterable<Target>): PoolDiff {
    const current = new Set<string>()
    const added: Target[] = []
    for (const target of targets) {
      if (current.has(target.id)) continue
      current.add(target.id)
      if (!this.known.has(target.id)) added.push(target)
    }
    const removed: string[] = []
    for (const id of this.known) if (!current.has(id)) removed.push(id)
    this.known = current
    return { added, removed }
  }

  /** Drops a target without a removal, so that the next update reports it as added again. */
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
