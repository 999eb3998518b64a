export { cgroupProvider, cgroupProvider as default } from './definition.ts'
export { defaultPatterns, parsePatterns, ROOT_PATTERN } from './patterns.ts'
export { CgroupProvider, type CgroupProviderOptions } from './provider.ts'
export { cgroupTargetId, ROOT_TARGET_ID } from './target-id.ts'
