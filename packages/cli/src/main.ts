import { defineCommand } from 'citty'
import { version } from './version.ts'

/** The `radvisor` command. */
export const main = defineCommand({
  meta: {
    name: 'radvisor',
    version,
    description: 'Fine-grained container resource monitor: samples cgroup accounting every 50 ms into CSVY logs',
  },
  subCommands: {
    run: () => import('./commands/run.ts').then((m) => m.default),
    report: () => import('./commands/report.ts').then((m) => m.default),
    exec: () => import('./commands/exec.ts').then((m) => m.default),
  },
})
