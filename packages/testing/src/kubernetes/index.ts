export { createTestCertificates, type TestCertificates } from './certificates.ts'
export {
  type MockKubeconfigOptions,
  MockKubernetesApi,
  type MockKubernetesFailure,
  type MockKubernetesOptions,
  type MockKubernetesRequest,
  type MockTls,
} from './mock-api.ts'
export type { KubeObject } from './selectors.ts'
