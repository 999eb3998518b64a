/**
 * Reports failures once per outage and their recovery once. An outage is keyed (`poll:docker`,
 * `csvy:write`) and may span several members (the logs of one sink that a full disk refuses):
 * the first failing member starts it and prints one line; when the last one recovers it ends
 * and prints one line. Repeats in between are silent, so an SRE reading stderr on 500 nodes
 * sees exactly two lines per outage. Memory is bounded by the members failing now.
 */
export class Outages {
  private readonly failing = new Map<string, Set<string>>()

  /** `member` of outage `key` failed; `report` runs only when this starts the outage. */
  fail(key: string, member: string, report: () => void): void {
    let members = this.failing.get(key)
    if (!members) {
      members = new Set()
      this.failing.set(key, members)
      report()
    }
    members.add(member)
  }

  /** `member` of outage `key` works again; `report` runs only when this ends the outage. */
  recover(key: string, member: string, report: () => void): void {
    const members = this.failing.get(key)
    if (!members?.delete(member) || members.size > 0) return
    this.failing.delete(key)
    report()
  }

  /** `member` left without recovering (a log closed while failing): ends the outage silently if it was the last. */
  drop(key: string, member: string): void {
    const members = this.failing.get(key)
    if (members?.delete(member) && members.size === 0) this.failing.delete(key)
  }
}
