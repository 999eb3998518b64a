// Public test kit: fake cgroupfs, mock Docker and Kubernetes API servers, plugin contexts, the sink and provider contract suites.
export { cgroupFixturesDir, copyCgroupFixture, createFakeCgroupFs, type FakeCgroupFs, type FakeCgroupFsOptions } from './cgroupfs.ts'
export { type ContainerSummary, type DockerFailure, type MockContainer, MockDockerEngine } from './docker/mock-engine.ts'
export {
  createTestCertificates,
  type KubeObject,
  type MockKubeconfigOptions,
  MockKubernetesApi,
  type MockKubernetesFailure,
  type MockKubernetesOptions,
  type MockKubernetesRequest,
  type MockTls,
  type TestCertificates,
} from './kubernetes/index.ts'
export { type RecordingLogger, recordingLogger, runRetries } from './recording-logger.ts'
export { type ContractSample, type SinkContractOptions, testSink } from './sink-contract.ts'
export { type ProviderContractOptions, testProvider } from './provider-contract.ts'
export { type TestPluginContext, type TestPluginContextOptions, testPluginContext } from './plugin-context.ts'
export { ManualClock } from '@radvisor/core'
export { radvisorErrorOf } from './errors.ts'
