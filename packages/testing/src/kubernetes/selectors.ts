/** A Kubernetes object as JSON: what the mock stores and serves. */
export type KubeObject = {
  metadata?: {
    name?: string
    namespace?: string
    uid?: string
    resourceVersion?: string
    labels?: Record<string, string>
    [key: string]: unknown
  }
  [key: string]: unknown
}

/** Test of one object against a selector. */
export type Matcher = (object: KubeObject) => boolean

/** The fields the API server lets pods be selected by (a subset: what radvisor and tests use). */
const podFields: Readonly<Record<string, (object: KubeObject) => string | undefined>> = {
  'spec.nodeName': (object) => (object.spec as { nodeName?: string } | undefined)?.nodeName,
  'status.phase': (object) => (object.status as { phase?: string } | undefined)?.phase,
  'metadata.name': (object) => object.metadata?.name,
  'metadata.namespace': (object) => object.metadata?.namespace,
}

/** A selection the server cannot parse: answered with 400, as the real one does. */
export class SelectorError extends Error {}

/**
 * Parses a `fieldSelector` (`spec.nodeName=worker-1,status.phase!=Failed`): `=`, `==`
 * and `!=` on the fields the real server supports for pods.
 */
export function parseFieldSelector(text: string | null): Matcher {
  const terms = splitTerms(text).map((term) => {
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term)
    const field = match ? podFields[match[1]!.trim()] : undefined
    if (!match || !field) throw new SelectorError(`field label not supported: ${term}`)
    const [, , operator, value] = match as unknown as [string, string, string, string]
    return (object: KubeObject) => ((field(object) ?? '') === value) === (operator !== '!=')
  })
  return (object) => terms.every((term) => term(object))
}

/** Parses a `labelSelector` with equality terms (`a=b`, `a==b`, `a!=b`) and existence terms (`a`, `!a`). */
export function parseLabelSelector(text: string | null): Matcher {
  const terms = splitTerms(text).map((term) => {
    const labels = (object: KubeObject) => object.metadata?.labels ?? {}
    const equality = /^([^=!]+)(==|=|!=)(.*)$/.exec(term)
    if (equality) {
      const [, key, operator, value] = equality as unknown as [string, string, string, string]
      return (object: KubeObject) => (labels(object)[key.trim()] === value) === (operator !== '!=')
    }
    const existence = /^(!?)([\w./-]+)$/.exec(term)
    if (!existence) throw new SelectorError(`unable to parse requirement: ${term}`)
    const [, not, key] = existence as unknown as [string, string, string]
    return (object: KubeObject) => (key in labels(object)) !== (not === '!')
  })
  return (object) => terms.every((term) => term(object))
}

function splitTerms(text: string | null): string[] {
  return (text ?? '')
    .split(',')
    .map((term) => term.trim())
    .filter(Boolean)
}
