import { join } from 'node:path'
import { detectHierarchy } from '@radvisor/cgroup'
import {
  type Clock,
  describeError,
  type FileSystem,
  type Logger,
  type Provider,
  RadvisorError,
  type Target,
  unixNanos,
} from '@radvisor/core'
import { SegmentMatcher } from './_matcher.ts'
import { readProcesses } from './_processes.ts'
import { referenceFolder } from './_reference.ts'
import { walkMatching } from './_walk.ts'
import { defaultPatterns, ROOT_PATTERN } from './patterns.ts'
import { cgroupTargetId } from './target-id.ts'

export interface CgroupProviderOptions {
  /** Glob patterns relative to the cgroup root (see `parsePatterns`); null for the host defaults plus the root cgroup. */
  readonly patterns: readonly string[] | null
  /** The cgroup mount root (`--cgroup-root`). */
  readonly root: string
  readonly fs: FileSystem
  readonly clock: Clock
  readonly logger: Logger
  /** Where `/proc` is mounted, for the processes' command names. */
  readonly procRoot?: string
  /** Text of `/proc/self/mountinfo` for hierarchy detection, where the caller has it (tests). */
  readonly mountinfo?: string
}

/**
 * Lists cgroups as targets: every poll walks the tree (only as deep as the patterns need)
 * and answers with the cgroups that match now, so targets appear and disappear as cgroups
 * are created and removed.
 */
export class CgroupProvider implements Provider {
  readonly name = 'cgroup'
  private readonly patterns: readonly string[]
  private readonly matcher: SegmentMatcher
  private folder: string | null = null
  /** Targets by cgroup path, so that a cgroup's metadata is read once, when it appears. */
  private readonly known = new Map<string, Target>()

  constructor(private readonly options: CgroupProviderOptions) {
    this.patterns = options.patterns ?? [ROOT_PATTERN, ...defaultPatterns]
    this.matcher = new SegmentMatcher(this.patterns)
  }

  /** Finds the cgroup mount and the folder to walk; throws E_CGROUP when there is none or it cannot be read. */
  async init(): Promise<void> {
    const { root, fs, mountinfo, logger } = this.options
    const folder = referenceFolder(detectHierarchy({ root, fs, ...(mountinfo !== undefined && { mountinfo }) }))
    try {
      fs.readdirSync(folder)
    } catch (error) {
      throw new RadvisorError(
        'provider-cgroup',
        'E_CGROUP',
        `cannot list cgroups in ${folder}: ${describeError(error)}; run as root, or point --cgroup-root at a readable cgroup mount`,
        { cause: error },
      )
    }
    this.folder = folder
    logger.debug('Matching', `cgroups under ${folder} against ${this.patterns.join(', ')}`)
  }

  async poll(): Promise<Target[]> {
    const folder = this.folder
    if (folder === null) throw new RadvisorError('provider-cgroup', 'E_INTERNAL', 'poll() was called before init()')
    const { fs, logger, clock } = this.options
    let paths: string[]
    try {
      paths = walkMatching(fs, folder, this.matcher, (path, error) =>
        logger.debug('Skipping', `cgroup ${path}: ${describeError(error)}`),
      )
    } catch (error) {
      throw new RadvisorError('provider-cgroup', 'E_CGROUP', `cannot list cgroups in ${folder}: ${describeError(error)}`, { cause: error })
    }
    this.reportEmpty(paths.length === 0, folder)

    const polledAt = unixNanos(clock.now())
    const current = new Map<string, Target>()
    for (const path of paths) current.set(path, this.known.get(path) ?? this.describe(folder, path, polledAt))
    this.known.clear()
    for (const [path, target] of current) this.known.set(path, target)
    return [...current.values()]
  }

  async close(): Promise<void> {
    this.known.clear()
  }

  private describe(folder: string, path: string, polledAt: bigint): Target {
    const name = path === '' ? '/' : path
    const processes = readProcesses(this.options.fs, join(folder, path), this.options.procRoot ?? '/proc')
    return {
      provider: this.name,
      id: cgroupTargetId(path),
      name,
      metadata: { Path: name, ProcessCount: processes?.count ?? null, Processes: processes?.names ?? null },
      polledAt,
      cgroup: { kind: 'path', path },
      labels: { cgroup: name },
    }
  }

  /** Warns once while nothing matches, and again if matches vanish after having been found. */
  private reportEmpty(empty: boolean, folder: string): void {
    const key = 'provider-cgroup:no-match'
    if (!empty) return this.options.logger.forget(key)
    this.options.logger.once(key, () =>
      this.options.logger.warn(`no cgroup under ${folder} matches ${this.patterns.join(', ')}; checking again at every poll`),
    )
  }
}
