// Shared by the end-to-end tests: the real `radvisor` bin as a child process, and a
// reader that splits its CSVY logs the way radvisor's users do.
import { expect } from 'bun:test'
import { type ChildProcess, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import { delimiter, join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dir, '..')
/** The bin under test: the workspace's, or the compiled one that RADVISOR_BIN names (the VM guest has no node_modules). */
export const RADVISOR = process.env.RADVISOR_BIN ?? join(REPO, 'node_modules/.bin/radvisor')

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((done) => child.once('exit', (code) => done(code)))
}

/** A running `radvisor` with its stderr collected, waitable line by line. */
export function radvisor(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(RADVISOR, args, {
    cwd: REPO,
    // The bin is a Node launcher that runs the CLI with the first Bun >= 1.4 on PATH: the workspace's.
    env: { ...process.env, ...env, PATH: `${join(REPO, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  const waiters: { text: string; found: () => void }[] = []
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    for (const waiter of waiters.splice(0)) {
      if (stderr.includes(waiter.text)) waiter.found()
      else waiters.push(waiter)
    }
  })
  child.stdout!.resume()
  return {
    child,
    stderr: () => stderr,
    /** Resolves once stderr contains `text`; rejects after `timeoutMs`, showing stderr. */
    waitFor(text: string, timeoutMs: number): Promise<void> {
      if (stderr.includes(text)) return Promise.resolve()
      return new Promise((found, fail) => {
        const timer = setTimeout(() => fail(new Error(`no '${text}' within ${timeoutMs}ms; stderr:\n${stderr}`)), timeoutMs)
        waiters.push({ text, found: () => (clearTimeout(timer), found()) })
      })
    },
  }
}

export interface Log {
  yaml: string
  columns: string[]
  rows: string[][]
}

/** Splits a CSVY log into its YAML header, CSV header row and rows. */
export function readLog(path: string): Log {
  const text = fs.readFileSync(path, 'utf8')
  expect(text.startsWith('---\n')).toBe(true)
  const yamlEnd = text.indexOf('\n---\n', 3)
  expect(yamlEnd).toBeGreaterThan(0)
  const lines = text.slice(yamlEnd + 5).split('\n')
  expect(lines.pop()).toBe('')
  const [header, ...rows] = lines
  return { yaml: text.slice(4, yamlEnd), columns: header!.split(','), rows: rows.map((row) => row.split(',')) }
}

export function column(log: Log, name: string): string[] {
  const index = log.columns.indexOf(name)
  expect(index).toBeGreaterThanOrEqual(0)
  return log.rows.map((row) => row[index]!)
}
