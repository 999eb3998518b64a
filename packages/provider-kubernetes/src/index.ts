export { default } from './definition.ts'
export { type Granularity, type KubernetesEnvironment, type KubernetesOptions, KubernetesProvider } from './provider.ts'
