import { excerpt, printable } from './printable.ts'

/**
 * What an HTTP error body says, for a message: the `message` of a JSON body (the Docker
 * engine's `{"message": …}`, a Kubernetes `Status`), else the start of the body itself
 * (a proxy's HTML page), on one printable line; '' for an empty body.
 */
export function bodyMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown } | null)?.message
    if (typeof message === 'string') return printable(message, 300)
  } catch {
    // Not JSON: show the text itself.
  }
  return excerpt(body)
}
