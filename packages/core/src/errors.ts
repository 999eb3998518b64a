/** Machine-readable error codes shared by every plugin. */
export type ErrorCode =
  | 'E_OPTION' // bad command-line or plugin option
  | 'E_CONFIG' // a configuration file or environment value is wrong
  | 'E_CONNECT' // a daemon or API server cannot be reached
  | 'E_NOT_FOUND' // something the user named does not exist
  | 'E_CGROUP' // cgroup tree missing or unreadable
  | 'E_GONE' // a target's cgroup was removed: how a container ends, not a fault
  | 'E_IO' // a read or write failed
  | 'E_PROTOCOL' // an API answered something unexpected
  | 'E_PLUGIN' // a plugin module is not valid
  | 'E_INTERNAL'

/**
 * Exit codes radvisor uses: 0 all collected rows were delivered; 1 a failure ended the run
 * (a daemon that cannot be reached, no cgroup tree); 2 bad usage (nothing was started);
 * 3 the run ended normally but some collected rows could not be delivered by a sink.
 */
export const ExitCode = { ok: 0, failure: 1, usage: 2, dataLoss: 3 } as const

/**
 * The one error class of radvisor. It names the plugin that raised it and prints as
 * `[radvisor] [plugin] message`.
 */
export class RadvisorError extends Error {
  override readonly name = 'RadvisorError'
  constructor(
    /** The plugin or part that raised it (`sink-csvy`, `provider-docker`, `cli`). */
    readonly plugin: string,
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }

  /** Exit code for this error when it ends the process: usage errors exit 2. */
  get exitCode(): number {
    return this.code === 'E_OPTION' || this.code === 'E_PLUGIN' ? ExitCode.usage : ExitCode.failure
  }

  override toString(): string {
    return `[radvisor] [${this.plugin}] ${this.message}`
  }
}

/** Bun's advice on its network errors, which means nothing to a radvisor user. */
const FETCH_HINT = / ?For more information, pass `verbose: true` in the second argument to fetch\(\)\.?/

/** A short description of any thrown value, for messages. */
export function describeError(error: unknown): string {
  if (error instanceof RadvisorError) return error.message
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code
    const message = error.message.replace(FETCH_HINT, '')
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
  }
  return String(error)
}
