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
export {
  type CgroupCandidate,
  type CgroupDriver,
  candidatePaths,
  containerCgroupNames,
  dockerCgroupPaths,
  podCgroupPaths,
  systemdSlicePath,
} from './paths.ts'
export { type CgroupCollectorOptions, CgroupV1Collector, V1_COLUMNS } from './v1.ts'
export { CgroupV2Collector, V2_COLUMNS } from './v2.ts'
