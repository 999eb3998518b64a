import type { ProviderDefinition, SinkDefinition } from '@radvisor/core'

type Lazy<T> = () => Promise<{ default: T }>

/** Built-in providers, loaded only when used. */
export const providers: Record<string, Lazy<ProviderDefinition>> = {
  cgroup: () => import('@radvisor/provider-cgroup'),
  docker: () => import('@radvisor/provider-docker'),
  // The definition alone: the provider and its Kubernetes client load only when it runs.
  kubernetes: () => import('@radvisor/provider-kubernetes/definition'),
}

/** Built-in sinks, loaded only when used. */
export const sinks: Record<string, Lazy<SinkDefinition>> = {
  csvy: () => import('@radvisor/sink-csvy'),
  jsonl: () => import('@radvisor/sink-jsonl'),
  prometheus: () => import('@radvisor/sink-prometheus'),
}
