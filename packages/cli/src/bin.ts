#!/usr/bin/env bun
import { ExitCode, formatError, RadvisorError } from '@radvisor/core'
import { type CommandDef, runCommand } from 'citty'
import { main } from './main.ts'
import { isModulePath } from './_plugins.ts'
import { providers } from './registry.ts'

/**
 * Entry point. citty parses; radvisor prints help itself (one screen, fitted to the
 * terminal, coloured only where colour belongs) and errors as one `[radvisor] [plugin]
 * message` line, with exit code 2 for bad usage and 1 for failures.
 */
async function cli(rawArgs: string[]): Promise<void> {
  // After `--` come a command's own arguments (radvisor exec), never radvisor's.
  const own = rawArgs.includes('--') ? rawArgs.slice(0, rawArgs.indexOf('--')) : rawArgs
  if (own.includes('--help') || own.includes('-h') || rawArgs.length === 0) {
    await printHelp(own.filter((arg) => arg !== '--help' && arg !== '-h'))
    return
  }
  if (rawArgs.length === 1 && rawArgs[0] === '--version') {
    console.log(main.meta && 'version' in main.meta ? main.meta.version : '')
    return
  }
  try {
    await runCommand(main, { rawArgs })
  } catch (error) {
    process.stderr.write(`${formatError(translate(error, rawArgs))}\n`)
    process.exitCode = error instanceof RadvisorError ? error.exitCode : isUsageError(error) ? ExitCode.usage : ExitCode.failure
  }
}

async function printHelp(rawArgs: string[]): Promise<void> {
  const { helpStyle, renderHelp, resolveSubCommand } = await import('./_help.ts')
  const [command, path] = await resolveSubCommand(main, rawArgs)
  const run = command === main ? ((await import('./commands/run.ts')).default as CommandDef) : undefined
  process.stdout.write(await renderHelp(command, path, helpStyle(rawArgs, process.stdout, process.env), run))
}

function isUsageError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code
  return typeof code === 'string' && /^(E_UNKNOWN_COMMAND|E_NO_COMMAND|EARG)$/.test(code)
}

/** citty's own errors, reworded to name the option and what to do. */
function translate(error: unknown, rawArgs: readonly string[]): unknown {
  if (!isUsageError(error) || !(error instanceof Error)) return error
  if ((error as { code?: string }).code === 'E_UNKNOWN_COMMAND') return unknownCommand(rawArgs)
  // biome-ignore lint: strip ANSI colour codes citty adds
  const message = error.message.replace(/\x1b\[[0-9;]*m/g, '')
  if (/^No command specified/.test(message)) {
    return new RadvisorError('cli', 'E_OPTION', 'missing command or provider: try radvisor run cgroup, or radvisor --help')
  }
  return new RadvisorError('cli', 'E_OPTION', message)
}

/** A word citty found no command for: a provider given without `run`, an unknown provider of `run`, or an unknown command. */
function unknownCommand(rawArgs: readonly string[]): RadvisorError {
  const words = rawArgs.filter((arg) => !arg.startsWith('-'))
  const [first, second] = words
  const available = `${Object.keys(providers).join(', ')}, or a module path`
  if (first === 'run') {
    return new RadvisorError('cli', 'E_OPTION', `unknown provider '${second}' for run (available: ${available}); see radvisor run --help`)
  }
  if (first !== undefined && (first in providers || isModulePath(first))) {
    const suggestion = ['radvisor', 'run', ...rawArgs].join(' ')
    return new RadvisorError('cli', 'E_OPTION', `'${first}' is a provider of the run command: try ${suggestion}`)
  }
  const commands = Object.keys(main.subCommands ?? {}).join(', ')
  return new RadvisorError('cli', 'E_OPTION', `unknown command '${first}' (commands: ${commands}); see radvisor --help`)
}

await cli(process.argv.slice(2))
