#!/usr/bin/env node
// The `radvisor` bin: runs the CLI (TypeScript, for Bun) wherever Node or Bun is. Under a
// Bun >= 1.4 it runs the CLI in this process; otherwise it starts the first Bun >= 1.4 it
// finds: `bun` on PATH, else the binary the `bun` package (a dependency) installed. Plain
// JavaScript with Node's built-ins only, so that `npx radvisor` works with Node alone.
import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MINIMUM = [1, 4]
const cli = fileURLToPath(new URL('../src/bin.ts', import.meta.url))
const parentGuard = fileURLToPath(new URL('./_parent-guard.js', import.meta.url))
const args = process.argv.slice(2)

/** True when `version` (`1.4.5`, `1.5.0-canary.3`) is at least MINIMUM. */
function recent(version) {
  const [major, minor] = String(version).split('.').map(Number)
  return major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])
}

/** The version a Bun binary reports, or why it did not run. */
function probe(path) {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 })
  if (result.error) return { error: result.error.code ?? result.error.message }
  const version = result.stdout.trim()
  return result.status === 0 && /^\d+\.\d+\.\d+/.test(version) ? { version } : { error: `exit code ${result.status}` }
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** `bun` on PATH, and the binaries the `bun` npm package may have installed. */
function candidates() {
  const found = []
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder && executable(join(folder, 'bun'))) {
      found.push({ path: join(folder, 'bun'), from: 'on PATH' })
      break
    }
  }
  const require = createRequire(import.meta.url)
  try {
    const bunPackage = dirname(require.resolve('bun/package.json'))
    // The package's postinstall puts the binary at bin/bun.exe; without it (--ignore-scripts)
    // the binary stays in its platform package.
    found.push({ path: join(bunPackage, 'bin', 'bun.exe'), from: 'from the bun package' })
    const platform = createRequire(join(bunPackage, 'package.json'))
    for (const suffix of ['', '-musl', '-baseline']) {
      try {
        const folder = dirname(platform.resolve(`@oven/bun-${process.platform}-${process.arch}${suffix}/package.json`))
        found.push({ path: join(folder, 'bin', 'bun'), from: 'from the bun package' })
      } catch {
        // That variant is not installed.
      }
    }
  } catch {
    // The bun package is not installed beside this one.
  }
  return found
}

/** The first Bun >= 1.4, or one line saying what was found instead and what to do. */
function findBun() {
  const tried = []
  for (const candidate of candidates()) {
    if (candidate.from !== 'on PATH' && !executable(candidate.path)) continue
    const { version, error } = probe(candidate.path)
    if (version && recent(version)) return { path: candidate.path }
    tried.push(`${candidate.path} (${candidate.from}) ${version ? `is Bun ${version}` : `does not run (${error})`}`)
  }
  const found = tried.length ? `but ${tried.join(', and ')}` : 'but there is no bun on PATH and no bun package beside radvisor'
  return {
    missing: `[radvisor] needs Bun >= ${MINIMUM.join('.')}, ${found}: install Bun >= ${MINIMUM.join('.')} (https://bun.sh), or reinstall radvisor without --ignore-scripts`,
  }
}

/**
 * Runs the CLI under `bun` as a child and mirrors its exit. The child gets a process group
 * of its own, so a terminal's Ctrl+C reaches it once, through this process; a signal that
 * arrives twice within a moment (npm forwards the signal the terminal already sent) is
 * passed on once, so that the CLI does not take it for a second, forcing signal. Should
 * this process be killed outright, `_parent-guard.js` stops the CLI gracefully.
 */
function runChild(bun) {
  const child = spawn(bun, ['--preload', parentGuard, cli, ...args], { stdio: 'inherit', detached: true })
  const lastForwarded = new Map()
  const forward = (signal) => {
    const now = Date.now()
    if (now - (lastForwarded.get(signal) ?? -Infinity) < 200) return
    lastForwarded.set(signal, now)
    child.kill(signal)
  }
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']
  for (const signal of signals) process.on(signal, forward)
  child.on('error', (error) => {
    process.stderr.write(`[radvisor] cannot start ${bun}: ${error.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    for (const name of signals) process.off(name, forward)
    if (signal) {
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
}

if (process.versions.bun && recent(process.versions.bun)) {
  await import(cli)
} else {
  const bun = findBun()
  if (bun.missing) {
    process.stderr.write(`${bun.missing}\n`)
    process.exit(1)
  }
  runChild(bun.path)
}
