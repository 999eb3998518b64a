import { RadvisorError } from '@radvisor/core'
import { type ArgsDef, defineCommand } from 'citty'
import { rejectUnknownFlags } from '../_flags.ts'
import { builtinSinkArgs } from '../_plugins.ts'
import type { RunArgs } from '../_run.ts'
import { runArgs } from '../args.ts'
import { CGROUP_PARENT, DEFAULT_CONTROLLERS, execute } from '../_exec.ts'

const execArgs = {
  command: {
    type: 'positional',
    required: false,
    valueHint: '-- command [args...]',
    description: 'The command to run and its arguments, after -- (they reach it untouched)',
  },
  interval: runArgs.interval,
  directory: {
    type: 'string',
    alias: 'd',
    description: 'Directory for the log (created when missing; default /var/log/radvisor/stats as root, else $XDG_STATE_HOME/radvisor/stats)',
  },
  'flush-log': runArgs['flush-log'],
  buffer: runArgs.buffer,
  'flush-every': runArgs['flush-every'],
  'cgroup-root': runArgs['cgroup-root'],
  sink: { ...runArgs.sink, default: undefined, description: 'A further sink for the samples, repeatable (the CSVY log is always written: the summary is its report)' },
  'sink-option': runArgs['sink-option'],
  controllers: {
    type: 'string',
    default: DEFAULT_CONTROLLERS.join(','),
    description: "cgroup controllers of the command's cgroup, comma-separated: on v1 the hierarchies it is created in, on v2 those enabled for it where the host offers them",
  },
  'cgroup-parent': {
    type: 'string',
    description: `Create the cgroup under this cgroup (relative to the cgroup root), not in a systemd scope (default: a systemd scope on systemd cgroup v2 hosts, else ${CGROUP_PARENT}/)`,
  },
  cpus: { type: 'string', description: 'CPU quota of the command in cores, e.g. 0.5 or 2 (CFS, 100 ms period)' },
  memory: { type: 'string', description: 'Memory limit of the command, e.g. 512MiB' },
  'max-linger': {
    type: 'string',
    default: '10s',
    description: "How long to keep sampling the command's processes that outlive it (0: not at all); then they are left running, outside radvisor's cgroup",
  },
  report: { type: 'boolean', description: 'End with the full report (as radvisor report prints it) instead of the short summary' },
  html: { type: 'string', valueHint: 'path', description: 'Also write the report page (as radvisor report --html)' },
  quiet: { ...runArgs.quiet, description: 'Print only errors: no summary, no warnings' },
  verbose: { ...runArgs.verbose, description: "Also print radvisor's status lines, and sampling punctuality at exit" },
  color: runArgs.color,
} as const satisfies ArgsDef

export default defineCommand({
  meta: {
    name: 'exec',
    description:
      "Run a command in a cgroup of its own, sampled from before it starts until it and its children exit; a summary with its millibottlenecks on stderr, and the command's exit code (radvisor exec [options] -- <command> [args...])",
  },
  args: async () => ({ ...execArgs, ...(await builtinSinkArgs()) }),
  async run({ args, rawArgs }) {
    const dashes = rawArgs.indexOf('--')
    const own = dashes < 0 ? rawArgs : rawArgs.slice(0, dashes)
    const command = dashes < 0 ? [] : rawArgs.slice(dashes + 1)
    // A word before `--` that is no option's value: a command given without `--`, whose
    // own options must not be read as radvisor's.
    const [stray] = (args._ as string[]).slice(0, (args._ as string[]).length - command.length)
    const strayAt = stray === undefined ? own.length : own.indexOf(stray)
    rejectUnknownFlags(own.slice(0, strayAt), { ...execArgs, ...(await builtinSinkArgs()) }, 'radvisor exec')
    if (stray !== undefined) {
      throw new RadvisorError('cli', 'E_OPTION', `radvisor exec takes the command after --: radvisor exec [options] -- ${own.slice(strayAt).join(' ')}`)
    }
    process.exitCode = await execute(args as RunArgs, own, command)
  },
})
