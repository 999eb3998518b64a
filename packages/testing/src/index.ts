// Public test kit. Each part lives in its own file; add its exports here.
export { type ContainerSummary, type DockerFailure, type MockContainer, MockDockerEngine } from './docker/mock-engine.ts'
export { type ContractSample, type SinkContractOptions, testSink } from './sink-contract.ts'
export { createFakeCgroupFs, type FakeCgroupFs, type FakeCgroupFsOptions, fixturesDir } from './cgroupfs.ts'
export { createTestCertificates, type KubeObject, type MockKubeconfigOptions, MockKubernetesApi, type MockKubernetesFailure, type MockKubernetesOptions, type MockKubernetesRequest, type MockTls, type TestCertificates } from './kubernetes/index.ts'
