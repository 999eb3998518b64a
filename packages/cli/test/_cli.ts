// Shared by the CLI tests: the bin, the fixtures, and a synchronous run of the CLI.
import { join, resolve } from 'node:path'

export const bin = resolve(import.meta.dir, '../src/bin.ts')
export const fixtures = resolve(import.meta.dir, 'fixtures')
export const counter = join(fixtures, 'counter-provider.ts')

/** Runs `radvisor <args>` to its end, without colours. */
export function radvisor(args: string[]) {
  const result = Bun.spawnSync([process.execPath, bin, ...args], { env: { ...process.env, NO_COLOR: '1' } })
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() }
}
