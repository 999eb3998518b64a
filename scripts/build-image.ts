/**
 * Builds radvisor's container image with the local Docker engine, from nothing but the
 * standalone binary (scripts/build-binary.ts) and the C libraries `ldd` says it loads:
 * `FROM scratch`, so no base image has to be pulled and the image holds no shell.
 *
 *   bun scripts/build-image.ts [tag]     default tag radvisor:<version> (npm run build:image)
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { buildBinary } from './build-binary.ts'

const ROOT = resolve(import.meta.dir, '..')
export const DOCKERFILE = join(ROOT, 'deploy/Dockerfile')
/** Where the binary sits in the image (the Dockerfile's ENTRYPOINT). */
export const BINARY_IN_IMAGE = '/usr/local/bin/radvisor'

/** radvisor's version, from the cli package. */
export function version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')) as { version: string }).version
}

/** The absolute paths of the shared libraries and the loader `binary` needs, from `ldd`. */
export function linkedLibraries(binary: string): string[] {
  const result = spawnSync('ldd', [binary], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`ldd ${binary} failed: ${result.stderr.trim() || result.stdout.trim()}`)
  const paths: string[] = []
  for (const line of result.stdout.split('\n')) {
    // `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)` or `/lib64/ld-linux-x86-64.so.2 (0x...)`
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x[0-9a-f]+\)/.exec(line)
    if (match) paths.push(match[1]!)
    else if (/not found/.test(line)) throw new Error(`ldd ${binary}: ${line.trim()}`)
  }
  return paths
}

/** The docker CLI against `DOCKER_HOST`; returns trimmed stdout, throws with stderr on failure. */
export function docker(args: string[], options: { input?: string } = {}): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', input: options.input, maxBuffer: 64 << 20 })
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} exited ${result.status}: ${(result.stderr || result.stdout).trim()}`)
  return result.stdout.trim()
}

/**
 * Compiles the binary, stages it with its libraries (symlinks resolved, at the paths the
 * loader looks in) and an empty /tmp, and builds `deploy/Dockerfile` on that context.
 * Returns the image id.
 */
export function buildImage(tag = `radvisor:${version()}`): string {
  const binary = buildBinary()
  const context = mkdtempSync(join(tmpdir(), 'radvisor-image-'))
  try {
    const rootfs = join(context, 'rootfs')
    for (const path of [BINARY_IN_IMAGE, ...linkedLibraries(binary)]) mkdirSync(join(rootfs, dirname(path)), { recursive: true })
    copyFileSync(binary, join(rootfs, BINARY_IN_IMAGE))
    chmodSync(join(rootfs, BINARY_IN_IMAGE), 0o755)
    for (const library of linkedLibraries(binary)) copyFileSync(library, join(rootfs, library))
    mkdirSync(join(rootfs, 'tmp'))
    chmodSync(join(rootfs, 'tmp'), 0o1777)
    docker(['build', '--quiet', '-f', DOCKERFILE, '-t', tag, '--label', `org.opencontainers.image.version=${version()}`, context])
    return docker(['image', 'inspect', '--format', '{{.Id}}', tag])
  } finally {
    rmSync(context, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const tag = process.argv[2] ?? `radvisor:${version()}`
  const id = buildImage(tag)
  const size = Number(docker(['image', 'inspect', '--format', '{{.Size}}', tag]))
  console.log(`${tag} (${id.slice(0, 19)}, ${Math.round(size / 1e6)} MB)`)
}
