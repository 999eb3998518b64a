export {
  type CgroupLimits,
  CONTROLLER_NAMES,
  type CreateCgroupOptions,
  type CreatedCgroup,
  createCgroup,
  type MissingController,
  processCgroupPaths,
} from './create.ts'
export { type CollectorFactoryOptions, createCollectorFactory } from './factory.ts'
export { type DetectOptions, detectHierarchy, type Hierarchy } from './hierarchy.ts'
export { type NetworkAttribution, NetworkNamespaces } from './namespaces.ts'
export {
  type CgroupCandidate,
  type CgroupDriver,
  candidatePaths,
  containerCgroupNames,
  dockerCgroupPaths,
  podCgroupPaths,
  systemdSlicePath,
} from './paths.ts'
export { COLUMN_SETS, type ColumnSet, MAX_INTERFACES, NETWORK_COLUMNS, NETWORK_COUNTERS, PRESSURE_COLUMNS, PRESSURE_RESOURCES } from './columns.ts'
export { type CgroupCollectorOptions, CgroupV1Collector, V1_COLUMNS, V1_EXTENDED_COLUMNS } from './v1.ts'
export { CgroupV2Collector, V2_COLUMNS, V2_EXTENDED_COLUMNS } from './v2.ts'
