import { closeSync, constants as fsConstants, writeSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { describeError, type FileSystem, RadvisorError } from '@radvisor/core'

/**
 * The gate: a shell that says it runs (`r` on fd 3), waits for a line on fd 3, then
 * becomes the command (`exec`, same pid, fd 3 closed). Between spawn and that line
 * radvisor moves it into the cgroup and takes the first sample, so the command's first
 * instruction already runs there. If radvisor goes away first, the read fails and the
 * command never starts.
 */
const GATE = 'printf r >&3; read -r _ <&3 || exit 125; exec "$@" 3<&-'
/**
 * The gate with a keeper: first it starts a subshell (stdio closed) that blocks reading
 * fd 4 until radvisor closes its end (or exits), and says its pid (`r<pid>` and a newline).
 * In a systemd scope the keeper holds the scope's cgroup after the command's exit, until
 * radvisor has taken the last sample (see `_exec-systemd.ts`).
 */
const GATE_WITH_KEEPER = `(exec </dev/null >/dev/null 2>&1 3<&-; read -r _ <&4) & printf 'r%s\\n' $! >&3; read -r _ <&3 || exit 125; exec "$@" 3<&- 4<&-`

/** How the command ended, and the status a shell would report for it. */
export interface CommandExit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  /** The exit code, or 128 + the signal's number when a signal killed it. */
  readonly status: number
}

/** A command waiting at the gate, then running. */
export interface GatedCommand {
  readonly pid: number
  /**
   * Resolves once the gate shell runs (under systemd-run: inside its scope), with the
   * keeper's pid when there is one; rejects if it exits before.
   */
  readonly ready: Promise<number | null>
  /** Lets the command start. */
  open(): void
  /** Lets the keeper exit (closes radvisor's end of its pipe); nothing without a keeper. */
  releaseKeeper(): void
  readonly exit: Promise<CommandExit>
  /** Sends `signal` to the command (or its gate); false once it has exited. */
  signal(signal: NodeJS.Signals): boolean
}

/**
 * Spawns `command` behind the gate, with radvisor's stdin, stdout and stderr. `prefix`
 * runs the gate shell through another program (`systemd-run --scope ... --`); `keeper`
 * adds the keeper. Bun.spawn, not node:child_process: its first spawn costs a few
 * milliseconds instead of tens.
 */
export async function spawnGated(command: readonly string[], prefix: readonly string[] = [], { keeper = false } = {}): Promise<GatedCommand> {
  const argv = [...prefix, '/bin/sh', '-c', keeper ? GATE_WITH_KEEPER : GATE, 'sh', ...command]
  let child: Bun.Subprocess
  try {
    child = Bun.spawn(argv, { stdio: ['inherit', 'inherit', 'inherit', 'pipe', ...(keeper ? (['pipe'] as const) : [])] })
  } catch (error) {
    throw new RadvisorError('cli', 'E_IO', `cannot start ${argv[0]}: ${describeError(error)}`, { cause: error })
  }
  // radvisor's end of a socket pair; the shell has the other end as fd 3 (and the keeper's as fd 4).
  const gate = (child.stdio as unknown as (number | undefined)[])[3]!
  let keeperEnd = keeper ? (child.stdio as unknown as (number | undefined)[])[4]! : null
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null
  let closed = false
  const exit = child.exited.then((): CommandExit => {
    void reader?.cancel().catch(() => {})
    // Once closed, the number may name another file: nothing may write to it any more.
    closed = true
    closeSync(gate)
    const signal = (child.signalCode as NodeJS.Signals | null) ?? null
    const code = signal === null ? child.exitCode : null
    return { code, signal, status: code ?? 128 + (osConstants.signals[signal!] ?? 0) }
  })
  let ready: Promise<number | null> | null = null
  return {
    pid: child.pid,
    get ready() {
      const early = (ended: CommandExit) =>
        new RadvisorError('cli', 'E_IO', `${argv[0]} exited (${ended.signal ?? `status ${ended.code}`}) before the command could start`)
      ready ??= Promise.race([
        (async () => {
          reader = Bun.file(gate).stream().getReader()
          // `r`, or with a keeper `r<pid>` and a newline; the end of the stream before that: the shell is gone.
          let said = ''
          while (said === '' || (keeper && !said.includes('\n'))) {
            const { done, value } = await reader.read()
            if (done) throw early(await exit)
            said += new TextDecoder().decode(value)
          }
          return keeper ? Number(said.slice(1, said.indexOf('\n'))) : null
        })(),
        exit.then((ended) => {
          throw early(ended)
        }),
      ])
      return ready
    },
    exit,
    open: () => {
      try {
        if (!closed) writeSync(gate, '\n')
      } catch {
        // EPIPE: the gate shell is gone already (killed while waiting); its exit says so.
      }
    },
    releaseKeeper: () => {
      if (keeperEnd !== null) closeSync(keeperEnd)
      keeperEnd = null
    },
    signal: (signal) => child.exitCode === null && child.signalCode === null && (child.kill(signal), true),
  }
}

/** Why a shell could not run a command: 127 when it is not found, 126 when it cannot be executed. */
export interface CommandProblem {
  readonly status: 126 | 127
  readonly message: string
}

/**
 * Checks `name` the way a shell looks it up: a name with a `/` as a path, any other on
 * `PATH`. Returns null when it can be executed. Done before anything is created, so that
 * a typo costs no cgroup; the gate shell's own `exec` still has the last word.
 */
export function checkCommand(fs: FileSystem, name: string, path = process.env.PATH ?? ''): CommandProblem | null {
  if (name === '') return { status: 127, message: "'': command not found" }
  const executable = (candidate: string): 'yes' | 'no' | 'absent' | 'directory' => {
    try {
      if (fs.statSync(candidate).isDirectory()) return 'directory'
      fs.accessSync(candidate, fsConstants.X_OK)
      return 'yes'
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      return code === 'ENOENT' || code === 'ENOTDIR' ? 'absent' : 'no'
    }
  }
  if (name.includes('/')) {
    const found = executable(name)
    if (found === 'yes') return null
    if (found === 'absent') return { status: 127, message: `${name}: No such file or directory` }
    return { status: 126, message: `${name}: ${found === 'directory' ? 'Is a directory' : 'Permission denied'}` }
  }
  let denied = false
  for (const folder of path.split(':')) {
    const found = executable(`${folder || '.'}/${name}`)
    if (found === 'yes') return null
    if (found === 'no') denied = true
  }
  return denied ? { status: 126, message: `${name}: Permission denied` } : { status: 127, message: `${name}: command not found` }
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']
/** What a terminal sends to its whole foreground process group (Ctrl-C, Ctrl-\). */
const FROM_TERMINAL: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT'])

/** Signal forwarding to the command, once there is one (see `forwardSignals`). */
export interface SignalForwarding {
  /** Forwards from now on, and at once any signal that came before. */
  forwardTo(command: GatedCommand): void
  stop(): void
}

/**
 * Catches SIGINT, SIGTERM, SIGHUP and SIGQUIT, so that radvisor stays up to take the last
 * sample and clean up, and forwards them to the command. When radvisor (and so the
 * command, which shares its process group) is the terminal's foreground job, a SIGINT or
 * SIGQUIT most likely came from the keyboard and reached the command already: it is not
 * sent a second time (a second Ctrl-C means "hurry" to many programs). `onSignal` hears
 * every signal.
 */
export function forwardSignals(fs: FileSystem, onSignal: (signal: NodeJS.Signals) => void): SignalForwarding {
  let target: GatedCommand | null = null
  const pending: NodeJS.Signals[] = []
  const forward = (signal: NodeJS.Signals): void => {
    if (FROM_TERMINAL.has(signal) && inForeground(fs)) return
    if (target) target.signal(signal)
    else pending.push(signal)
  }
  const handler = (signal: NodeJS.Signals): void => {
    forward(signal)
    onSignal(signal)
  }
  for (const signal of FORWARDED) process.on(signal, handler)
  return {
    forwardTo(command) {
      target = command
      for (const signal of pending.splice(0)) command.signal(signal)
    },
    stop() {
      for (const signal of FORWARDED) process.off(signal, handler)
    },
  }
}

/** Whether this process's group is the foreground group of its controlling terminal (`/proc/self/stat` pgrp = tpgid). */
export function inForeground(fs: FileSystem): boolean {
  try {
    const stat = String(fs.readFileSync('/proc/self/stat', 'utf8'))
    // After the command name in parentheses: state ppid pgrp session tty_nr tpgid ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const pgrp = Number(fields[2])
    return pgrp > 0 && Number(fields[5]) === pgrp
  } catch {
    return false
  }
}
