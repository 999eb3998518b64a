// The provider contract of @radvisor/testing, on the recorded hosts of its fixtures.
import type { FileSystem } from '@radvisor/core'
import { createFakeCgroupFs, testPluginContext, testProvider } from '@radvisor/testing'
import { cgroupProvider } from '../src/definition.ts'

for (const host of ['v2-systemd', 'v1-systemd-kubernetes']) {
  let fake = createFakeCgroupFs(host)
  let failing = false
  let added = 0
  /** The fake tree, whose next listing of a folder fails after `failNextPoll`. */
  const fs = (): FileSystem => ({
    ...fake.fs,
    readdirSync: ((...args: Parameters<FileSystem['readdirSync']>) => {
      if (failing) {
        failing = false
        throw Object.assign(new Error('EIO: i/o error, scandir'), { code: 'EIO' })
      }
      return fake.fs.readdirSync(...args)
    }) as FileSystem['readdirSync'],
  })
  // On v1 the provider walks the first controller's folder; every controller gets the new cgroup.
  const folders = host.startsWith('v1') ? ['cpu,cpuacct/', 'memory/', 'pids/', 'blkio/'] : ['']

  testProvider(
    `cgroup on ${host}`,
    () => {
      fake = createFakeCgroupFs(host)
      return cgroupProvider.create({ match: undefined }, testPluginContext({ fs: fs(), cgroupRoot: fake.root }))
    },
    {
      addTarget() {
        const path = `system.slice/contract-${++added}.service`
        for (const folder of folders) fake.write(`${folder}${path}/cgroup.procs`, '')
        return path.replace('/', '+')
      },
      removeTarget: (id) => fake.remove(id.replace('+', '/')),
      watches: false,
      failNextPoll: () => void (failing = true),
      unreachable: () => cgroupProvider.create({ match: undefined }, testPluginContext({ fs: fs(), cgroupRoot: '/no/cgroup/here' })),
    },
  )
}
