import { defineProvider } from '@radvisor/core'
import { parsePatterns } from './patterns.ts'
import { CgroupProvider } from './provider.ts'

/** `radvisor run cgroup`: targets straight from the cgroup tree, no daemon needed. */
export const cgroupProvider = defineProvider({
  name: 'cgroup',
  description: 'Collect cgroups of this machine, straight from the cgroup tree (no daemon needed)',
  options: {
    match: {
      type: 'string',
      repeatable: true,
      description:
        "Glob(s) relative to the cgroup root, comma-separated (e.g. 'system.slice/*.service,docker/*'); * matches one path segment, ** any depth, / the root cgroup. Repeatable. Default: systemd services, container scopes and the root cgroup",
    },
  },
  create(options, context) {
    return new CgroupProvider({
      patterns: options.match === undefined ? null : parsePatterns(options.match),
      root: context.cgroupRoot,
      fs: context.fs,
      clock: context.clock,
      logger: context.logger,
    })
  },
})
