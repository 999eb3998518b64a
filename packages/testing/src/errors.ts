import { RadvisorError } from '@radvisor/core'

/**
 * The `RadvisorError` that `call` throws, for asserting its plugin, code and message.
 * Fails the test when nothing is thrown; rethrows anything that is not a `RadvisorError`.
 */
export function radvisorErrorOf(call: () => unknown): RadvisorError {
  try {
    call()
  } catch (error) {
    if (error instanceof RadvisorError) return error
    throw error
  }
  throw new Error('expected a RadvisorError, but nothing was thrown')
}
