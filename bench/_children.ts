import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const live = new Set<Child>()
let started = 0
/** How often a wait for output looks at the output files. */
const POLL_MS = 20

/**
 * A child process whose stdout and stderr go to files (pipes read through streams were seen
 * to stall in Bun 1.4 when a child exits early, and a file never fills up).
 */
export class Child {
  readonly process: Subprocess<'ignore', 'ignore', 'ignore'>
  private readonly paths: { readonly stdout: string; readonly stderr: string }

  constructor(command: string[], env: Record<string, string | undefined> = process.env) {
    const base = join(tmpdir(), `radvisor-bench-${process.pid}-${++started}`)
    this.paths = { stdout: `${base}.out`, stderr: `${base}.err` }
    this.process = Bun.spawn(command, {
      stdin: 'ignore',
      stdout: Bun.file(this.paths.stdout),
      stderr: Bun.file(this.paths.stderr),
      env: { ...env, NO_COLOR: '1' },
    }) as unknown as Subprocess<'ignore', 'ignore', 'ignore'>
    live.add(this)
  }

  get pid(): number {
    return this.process.pid
  }

  /** What the child wrote to `stream` so far. */
  output(stream: 'stdout' | 'stderr'): string {
    try {
      return readFileSync(this.paths[stream], 'utf8')
    } catch {
      return ''
    }
  }

  /** Resolves once `stream` matches `pattern`; throws when the child exits first. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<void> {
    for (;;) {
      const exited = this.process.exitCode !== null || this.process.signalCode !== null
      if (pattern.test(this.output(stream))) return
      if (exited) throw new Error(`${stream} ended without ${pattern}:\n${this.output(stream).slice(-2000)}`)
      await Bun.sleep(POLL_MS)
    }
  }

  /** Waits for the exit and returns the output; throws with the output's tail on a non-zero exit. */
  async finish(what: string): Promise<{ stdout: string; stderr: string }> {
    const code = await this.process.exited
    const stdout = this.output('stdout')
    const stderr = this.output('stderr')
    this.forget()
    if (code !== 0) {
      const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-15).join('\n')
      throw new Error(`${what} exited with ${code}:\n${tail}`)
    }
    return { stdout, stderr }
  }

  /** Kills the child (if it still runs), waits for it, and removes its output files. */
  async kill(): Promise<void> {
    this.process.kill('SIGKILL')
    await this.process.exited
    this.forget()
  }

  private forget(): void {
    live.delete(this)
    rmSync(this.paths.stdout, { force: true })
    rmSync(this.paths.stderr, { force: true })
  }
}

/** Kills every child still running and waits for each to end (before its cgroups are removed). */
export async function killChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.kill()))
}
