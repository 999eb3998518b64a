/**
 * Checks that every workspace package is publishable, from what `npm pack --dry-run --json`
 * would ship: only sources, README and LICENSE (no tests, no scripts); the root's LICENSE;
 * `license`, `description`, `repository` (the root's, with the package's folder) and
 * `engines.bun`; internal dependencies at `^<version>` and no `*`, `workspace:` or local
 * ranges; `exports` and `bin` that point at shipped files; and shipped code that imports
 * only shipped files, built-in modules and the package's own `dependencies`.
 *
 *   bun scripts/check-packages.ts      prints every problem, exits 1 when there is one
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, normalize, relative, resolve } from 'node:path'

export interface Manifest {
  readonly name: string
  readonly version: string
  readonly description?: string
  readonly license?: string
  readonly type?: string
  readonly repository?: { readonly type?: string; readonly url?: string; readonly directory?: string } | string
  readonly engines?: Readonly<Record<string, string>>
  readonly exports?: unknown
  readonly bin?: string | Readonly<Record<string, string>>
  readonly dependencies?: Readonly<Record<string, string>>
  readonly devDependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
  readonly optionalDependencies?: Readonly<Record<string, string>>
}

/** One package as the check sees it: its manifest, its folder and the files npm would pack. */
export interface PackedPackage {
  /** The package's folder relative to the repository root (`packages/core`). */
  readonly directory: string
  readonly manifest: Manifest
  /** Paths relative to the package folder, as `npm pack --dry-run --json` lists them. */
  readonly files: readonly string[]
  /** Reads a shipped file. */
  readonly read: (path: string) => string
}

/** What every package is checked against. */
export interface WorkspaceFacts {
  readonly license: string
  readonly repositoryUrl: string
  /** Versions of the workspace's own packages, by name. */
  readonly versions: Readonly<Record<string, string>>
}

const ALWAYS_SHIPPED = new Set(['package.json', 'README.md', 'LICENSE'])
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const
const CODE = /\.(ts|js|mjs|cjs)$/
const BUILTINS = new Set([...builtinModules, 'bun', 'bun:test', 'bun:sqlite', 'bun:ffi', 'bun:jsc'])

/** Module specifiers a source file imports or re-exports (static and dynamic), and files it reads by `new URL(...)`. */
function references(source: string): { imports: string[]; urls: string[] } {
  const imports = [
    ...source.matchAll(/^\s*(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
    ...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((match) => match[1]!)
  const urls = [...source.matchAll(/new URL\(\s*['"`]([^'"`]+?)(?:\$\{[^`]*)?['"`]\s*,\s*import\.meta\.url/g)].map((match) => match[1]!)
  return { imports, urls }
}

/** The package name of a bare specifier (`@scope/name/sub` → `@scope/name`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

/** Every string a package.json `exports` value points at. */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets)
  return []
}

/** Every way `pkg` is not ready to publish; empty when it is. */
export function packageProblems(pkg: PackedPackage, workspace: WorkspaceFacts): string[] {
  const { manifest, files, directory } = pkg
  const name = manifest.name
  const problems: string[] = []
  const problem = (text: string) => problems.push(`${name}: ${text}`)
  const shipped = new Set(files)

  // What is shipped: the `files` entries and npm's own, and no tests or scripts among them.
  for (const file of files) {
    if (/(^|\/)(test|tests|__tests__|scripts)\//.test(file) || /\.(test|spec)\.[cm]?[jt]s$/.test(file)) problem(`ships ${file}, which is a test or a script`)
  }
  for (const file of ALWAYS_SHIPPED) if (!shipped.has(file)) problem(`does not ship ${file}`)
  if (shipped.has('LICENSE') && pkg.read('LICENSE') !== workspace.license) problem('LICENSE differs from the repository LICENSE')

  // Metadata.
  if (manifest.license !== 'MIT') problem(`license is ${JSON.stringify(manifest.license)}, not "MIT"`)
  if (!manifest.description?.trim()) problem('has no description')
  if (manifest.type !== 'module') problem('is not "type": "module"')
  const repository = typeof manifest.repository === 'string' ? { url: manifest.repository } : manifest.repository
  if (repository?.url !== workspace.repositoryUrl) problem(`repository.url is ${JSON.stringify(repository?.url)}, not the repository's ${workspace.repositoryUrl}`)
  if (repository?.directory !== directory) problem(`repository.directory is ${JSON.stringify(repository?.directory)}, not ${directory}`)
  if (!/^>=1\.(4|[5-9]|\d{2,})(\.\d+)?$/.test(manifest.engines?.bun ?? '')) problem(`engines.bun is ${JSON.stringify(manifest.engines?.bun)}, not ">=1.4.0" or later`)

  // Dependency ranges that npm and Bun resolve from the registry.
  for (const field of DEPENDENCY_FIELDS) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      const internal = workspace.versions[dependency]
      if (internal !== undefined) {
        if (range !== `^${internal}`) problem(`${field}.${dependency} is "${range}", not "^${internal}"`)
      } else if (range === '*' || range === '' || /^(workspace|file|link|portal):/.test(range)) {
        problem(`${field}.${dependency} is "${range}", which the registry cannot resolve`)
      }
    }
  }

  // Entry points exist in the package.
  const entries = [...exportTargets(manifest.exports), ...(typeof manifest.bin === 'string' ? [manifest.bin] : Object.values(manifest.bin ?? {}))]
  for (const entry of entries) if (!shipped.has(normalize(entry))) problem(`exports or bin name ${entry}, which is not shipped`)
  if (manifest.exports === undefined && manifest.bin === undefined) problem('has neither exports nor bin')

  // Shipped code reaches only shipped files, built-ins and its own dependencies.
  const runtime = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ])
  for (const file of files.filter((path) => CODE.test(path))) {
    const { imports, urls } = references(pkg.read(file))
    for (const specifier of imports) {
      if (specifier.startsWith('.')) {
        const target = normalize(join(dirname(file), specifier))
        if (!shipped.has(target)) problem(`${file} imports ${specifier}, which is not shipped (${target})`)
      } else if (!BUILTINS.has(specifier) && !specifier.startsWith('node:') && !runtime.has(packageName(specifier))) {
        problem(`${file} imports ${specifier}, which is not in dependencies`)
      }
    }
    for (const url of urls) {
      const target = normalize(join(dirname(file), url))
      if (!files.some((path) => path === target || path.startsWith(target.endsWith('/') ? target : `${target}/`))) {
        problem(`${file} reads ${url}, which is not shipped (${target})`)
      }
    }
  }
  return problems
}

/** `npm pack --dry-run --json` of every workspace package: name and the paths it would ship. */
export function packListings(root: string): { name: string; files: string[] }[] {
  const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--workspaces', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`npm pack --dry-run failed (exit ${result.status}): ${result.stderr.trim().split('\n').at(-1)}`)
  return (JSON.parse(result.stdout) as { name: string; files: { path: string }[] }[]).map((entry) => ({
    name: entry.name,
    files: entry.files.map((file) => file.path),
  }))
}

/** The folders of `root`'s workspace packages (`packages/*` globs), relative to `root`. */
function workspaceFolders(root: string, patterns: readonly string[]): string[] {
  return patterns.flatMap((pattern) => [...new Bun.Glob(`${pattern}/package.json`).scanSync({ cwd: root })].map((path) => dirname(path)).sort())
}

/** Every problem of every package in `root`'s workspaces. */
export function workspaceProblems(root: string): string[] {
  const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest & { workspaces: string[] }
  const folders = new Map<string, { folder: string; manifest: Manifest }>()
  for (const folder of workspaceFolders(root, rootManifest.workspaces)) {
    const manifest = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as Manifest
    folders.set(manifest.name, { folder, manifest })
  }
  const facts: WorkspaceFacts = {
    license: readFileSync(join(root, 'LICENSE'), 'utf8'),
    repositoryUrl: typeof rootManifest.repository === 'string' ? rootManifest.repository : (rootManifest.repository?.url ?? ''),
    versions: Object.fromEntries([...folders].map(([name, { manifest }]) => [name, manifest.version])),
  }
  const listings = packListings(root)
  const problems = [...folders.keys()].filter((name) => !listings.some((listing) => listing.name === name)).map((name) => `${name}: npm pack does not list it`)
  for (const listing of listings) {
    const { folder, manifest } = folders.get(listing.name)!
    problems.push(...packageProblems({ directory: folder, manifest, files: listing.files, read: (path) => readFileSync(join(root, folder, path), 'utf8') }, facts))
  }
  return problems
}

if (import.meta.main) {
  const root = resolve(import.meta.dir, '..')
  const problems = workspaceProblems(root)
  for (const line of problems) console.error(line)
  console.log(problems.length ? `${problems.length} problems` : `every package of ${relative(process.cwd(), root) || '.'} is ready to publish`)
  process.exit(problems.length ? 1 : 0)
}
