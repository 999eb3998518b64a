// Shared by the CLI tests: the bin, the fixtures, and a synchronous run of the CLI.
import { join, resolve } from 'node:path'

export const bin = resolve(import.meta.dir, '../src/bin.ts')
export const fixtures = resolve(import.meta.dir, 'fixtures')
export const counter = join(fixtures, 'counter-provider.ts')

/** Runs `radvisor <args>` to its end, with `env` on top of this process's (no colours by default). */
export function radvisor(args: string[], env: Record<string, string | undefined> = { NO_COLOR: '1' }) {
  const result = Bun.spawnSync([process.execPath, bin, ...args], { env: { ...process.env, NO_COLOR: undefined, ...env } })
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}
