#!/usr/bin/env bun
import { ExitCode, formatError, RadvisorError } from '@radvisor/core'
import { type CommandDef, runCommand, showUsage } from 'citty'
import { main } from './main.ts'
import { providers } from './registry.ts'

/**
 * Entry point. citty parses; radvisor prints errors as one `[radvisor] [plugin] message`
 * line with exit code 2 for bad usage and 1 for failures.
 */
async function cli(rawArgs: string[]): Promise<void> {
  if (rawArgs.includes('--help') || rawArgs.includes('-h') || rawArgs.length === 0) {
    const [command, parent] = await resolveForHelp(rawArgs)
    await showUsage(command, parent)
    // The top-level help also shows `run`'s options: it is the command people come for.
    if (command === main) await showUsage((await import('./commands/run.ts')).default as CommandDef, main)
    return
  }
  if (rawArgs.length === 1 && rawArgs[0] === '--version') {
    console.log(main.meta && 'version' in main.meta ? main.meta.version : '')
    return
  }
  try {
    await runCommand(main, { rawArgs })
  } catch (error) {
    process.stderr.write(`${formatError(translate(error))}\n`)
    process.exitCode = error instanceof RadvisorError ? error.exitCode : isUsageError(error) ? ExitCode.usage : ExitCode.failure
  }
}

async function resolveForHelp(rawArgs: string[]): Promise<[CommandDef, CommandDef | undefined]> {
  const { resolveSubCommand } = await import('./_help.ts')
  return resolveSubCommand(main, rawArgs.filter((arg) => arg !== '--help' && arg !== '-h'))
}

function isUsageError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code
  return typeof code === 'string' && /^(E_UNKNOWN_COMMAND|E_NO_COMMAND|EARG)$/.test(code)
}

/** citty's own errors, reworded to name the option and what to do. */
function translate(error: unknown): unknown {
  if (!isUsageError(error) || !(error instanceof Error)) return error
  // biome-ignore lint: strip ANSI colour codes citty adds
  const message = error.message.replace(/\x1b\[[0-9;]*m/g, '')
  const unknown = /^Unknown command (\S+)/.exec(message)
  if (unknown) {
    return new RadvisorError('cli', 'E_OPTION', `unknown provider '${unknown[1]}' for run (available: ${Object.keys(providers).join(', ')}, or a module path); see radvisor run --help`)
  }
  if (/^No command specified/.test(message)) {
    return new RadvisorError('cli', 'E_OPTION', 'missing command or provider: try radvisor run cgroup, or radvisor --help')
  }
  return new RadvisorError('cli', 'E_OPTION', message)
}

await cli(process.argv.slice(2))
