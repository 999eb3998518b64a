import { homedir, hostname } from 'node:os'
import { defineProvider, RadvisorError } from '@radvisor/core'
import type { Granularity } from './provider.ts'

/**
 * `radvisor run kubernetes`: every pod scheduled on this node (or every container of
 * them, with `--granularity container`), found through the Kubernetes API server.
 * The provider, and @kubernetes/client-node with it, is imported only by `create`, so that
 * listing providers (`radvisor run --help`) does not load the Kubernetes client.
 */
const kubernetes = defineProvider({
  name: 'kubernetes',
  description: 'Collect the pods of this Kubernetes node (API server list + watch)',
  options: {
    'kube-config': {
      type: 'string',
      description: 'kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then the in-cluster service account)',
    },
    'node-name': {
      type: 'string',
      description: "This node's name (default: NODE_NAME, then the node labelled kubernetes.io/hostname=<host name>)",
    },
    granularity: { type: 'string', default: 'pod', description: 'pod|container: one target per pod, or per container of each pod' },
  },
  create(options, context) {
    if (options.granularity !== 'pod' && options.granularity !== 'container') {
      throw new RadvisorError('provider-kubernetes', 'E_OPTION', `invalid value '${options.granularity}' for --granularity: expected pod or container`)
    }
    const granularity: Granularity = options.granularity
    return import('./provider.ts').then(
      ({ KubernetesProvider }) =>
        new KubernetesProvider(
          { kubeConfig: options['kube-config'], nodeName: options['node-name'], granularity },
          { logger: context.logger, clock: context.clock, fs: context.fs, env: process.env, homeDir: homedir(), hostname: hostname() },
        ),
    )
  },
})

export default kubernetes
