/**
 * Every workspace package is publishable as `npm pack` would pack it (scripts/check-packages.ts),
 * and the check itself notices each kind of flaw.
 */
import { describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Manifest, type PackedPackage, packageProblems, type WorkspaceFacts, workspaceProblems } from '../scripts/check-packages.ts'
import { REPO } from './_support.ts'

test('every workspace package is ready to publish', () => {
  expect(workspaceProblems(REPO)).toEqual([])
}, 60_000)

describe('the package check', () => {
  const facts: WorkspaceFacts = { license: 'MIT License\n', repositoryUrl: 'git+https://example.test/radvisor.git', versions: { '@radvisor/core': '0.1.0', '@radvisor/x': '0.1.0' } }
  const manifest: Manifest = {
    name: '@radvisor/x',
    version: '0.1.0',
    description: 'x',
    license: 'MIT',
    type: 'module',
    repository: { type: 'git', url: facts.repositoryUrl, directory: 'packages/x' },
    engines: { bun: '>=1.4.0' },
    exports: { '.': './src/index.ts' },
    dependencies: { '@radvisor/core': '^0.1.0', yaml: '^2.0.0' },
    devDependencies: { memfs: '^4.0.0' },
  }
  const sources: Record<string, string> = {
    'src/index.ts': "import { a } from './a.ts'\nimport type { Logger } from '@radvisor/core'\nimport { readFileSync } from 'node:fs'\nexport { a }\n",
    'src/a.ts': "import {\n  parse,\n} from 'yaml'\nexport const a = () => import('./lazy.ts')\nconst data = new URL('../fixtures/data.json', import.meta.url)\n",
    'src/lazy.ts': 'export default 1\n',
    'fixtures/data.json': '{}',
    'package.json': '{}',
    'README.md': '# x\n',
    LICENSE: facts.license,
  }
  const packed = (changes: { manifest?: Partial<Manifest>; files?: Record<string, string | null> } = {}): PackedPackage => {
    const files: Record<string, string> = { ...sources }
    for (const [path, content] of Object.entries(changes.files ?? {})) {
      if (content === null) delete files[path]
      else files[path] = content
    }
    return { directory: 'packages/x', manifest: { ...manifest, ...changes.manifest }, files: Object.keys(files), read: (path) => files[path]! }
  }

  test('passes a package that ships sources, README and LICENSE with complete metadata', () => {
    expect(packageProblems(packed(), facts)).toEqual([])
  })

  test.each([
    ['a shipped test', { files: { 'test/a.test.ts': '' } }, 'ships test/a.test.ts, which is a test or a script'],
    ['a shipped script', { files: { 'scripts/shot.ts': '' } }, 'ships scripts/shot.ts, which is a test or a script'],
    ['no LICENSE', { files: { LICENSE: null } }, 'does not ship LICENSE'],
    ['another LICENSE', { files: { LICENSE: 'ISC\n' } }, 'LICENSE differs from the repository LICENSE'],
    ['no description', { manifest: { description: '' } }, 'has no description'],
    ['no engines', { manifest: { engines: {} } }, 'engines.bun is undefined, not ">=1.4.0" or later'],
    ['an old engine', { manifest: { engines: { bun: '>=1.1.0' } } }, 'engines.bun is ">=1.1.0", not ">=1.4.0" or later'],
    ['another repository', { manifest: { repository: { url: 'https://elsewhere', directory: 'packages/x' } } }, 'repository.url is "https://elsewhere"'],
    ['the wrong folder', { manifest: { repository: { url: facts.repositoryUrl, directory: 'x' } } }, 'repository.directory is "x", not packages/x'],
    ['an internal *', { manifest: { dependencies: { '@radvisor/core': '*', yaml: '^2.0.0' } } }, 'dependencies.@radvisor/core is "*", not "^0.1.0"'],
    ['workspace:*', { manifest: { devDependencies: { '@radvisor/core': 'workspace:*' } } }, 'devDependencies.@radvisor/core is "workspace:*", not "^0.1.0"'],
    ['an external *', { manifest: { dependencies: { '@radvisor/core': '^0.1.0', yaml: '*' } } }, 'dependencies.yaml is "*", which the registry cannot resolve'],
    ['an export of a missing file', { manifest: { exports: { '.': './src/index.ts', './cli': './src/cli.ts' } } }, 'exports or bin name ./src/cli.ts, which is not shipped'],
    ['a missing bin', { manifest: { bin: { x: './bin/x.js' } } }, 'exports or bin name ./bin/x.js, which is not shipped'],
    ['an import of a file left out', { files: { 'src/lazy.ts': null } }, "src/a.ts imports ./lazy.ts, which is not shipped (src/lazy.ts)"],
    ['an import from outside the package', { files: { 'src/lazy.ts': "import x from '../../../fixtures/x.json'\n" } }, 'src/lazy.ts imports ../../../fixtures/x.json, which is not shipped'],
    ['a dev-only import', { files: { 'src/lazy.ts': "import { Volume } from 'memfs'\n" } }, 'src/lazy.ts imports memfs, which is not in dependencies'],
    ['a file read from outside', { files: { 'fixtures/data.json': null } }, 'src/a.ts reads ../fixtures/data.json, which is not shipped (fixtures/data.json)'],
  ] as const)('reports %s', (_, changes, message) => {
    const problems = packageProblems(packed(changes as Parameters<typeof packed>[0]), facts)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toStartWith(`@radvisor/x: ${message}`)
  })

  test("reads npm's own listing: a package without `files` ships its tests", () => {
    const folder = mkdtempSync(join(tmpdir(), 'radvisor-pack-'))
    try {
      const source = join(REPO, 'packages/sink-jsonl')
      for (const entry of ['src', 'test', 'README.md', 'LICENSE', 'package.json']) cpSync(join(source, entry), join(folder, entry), { recursive: true })
      const { files: _, ...withoutFiles } = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest & { files: string[] }
      writeFileSync(join(folder, 'package.json'), JSON.stringify(withoutFiles))
      const result = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: folder, encoding: 'utf8' })
      expect(result.status).toBe(0)
      const [listing] = JSON.parse(result.stdout) as { files: { path: string }[] }[]
      const problems = packageProblems(
        { directory: 'packages/sink-jsonl', manifest: withoutFiles, files: listing!.files.map((file) => file.path), read: (path) => readFileSync(join(folder, path), 'utf8') },
        { license: readFileSync(join(REPO, 'LICENSE'), 'utf8'), repositoryUrl: (withoutFiles.repository as { url: string }).url, versions: { '@radvisor/core': '0.1.0', '@radvisor/testing': '0.1.0', '@radvisor/sink-jsonl': '0.1.0' } },
      )
      expect(problems.sort()).toEqual([
        '@radvisor/sink-jsonl: ships test/_context.ts, which is a test or a script',
        '@radvisor/sink-jsonl: ships test/jsonl-sink.test.ts, which is a test or a script',
        '@radvisor/sink-jsonl: test/_context.ts imports @radvisor/testing, which is not in dependencies',
        '@radvisor/sink-jsonl: test/_context.ts imports memfs, which is not in dependencies',
        '@radvisor/sink-jsonl: test/jsonl-sink.test.ts imports @radvisor/testing, which is not in dependencies',
      ])
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })
})
