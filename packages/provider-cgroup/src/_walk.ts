import { join } from 'node:path'
import type { FileSystem } from '@radvisor/core'
import type { MatchState, SegmentMatcher } from './_matcher.ts'

/**
 * The cgroup paths (relative to `folder`, `''` for the folder itself) that match, in walk
 * order. Only folders some pattern can still match below are listed, so a pattern such as
 * `system.slice/*.service` reads two folders, not the whole tree. A subfolder that cannot
 * be read (permission denied, removed mid-walk) is passed to `onSkip` and left out; the
 * top folder failing throws, since then nothing can be listed.
 */
export function walkMatching(
  fs: FileSystem,
  folder: string,
  matcher: SegmentMatcher,
  onSkip: (path: string, error: unknown) => void,
): string[] {
  const found: string[] = []
  const visit = (path: string, state: MatchState) => {
    if (matcher.matches(state)) found.push(path)
    if (!matcher.canDescend(state)) return
    let names: string[]
    try {
      names = fs
        .readdirSync(join(folder, path), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => String(entry.name))
        .sort()
    } catch (error) {
      if (path === '') throw error
      onSkip(path, error)
      return
    }
    for (const name of names) {
      const next = matcher.step(state, name)
      if (next.length > 0) visit(path === '' ? name : `${path}/${name}`, next)
    }
  }
  visit('', matcher.start())
  return found
}
