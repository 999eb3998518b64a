import { cc, dlopen, type FFIFunction, type Library } from 'bun:ffi'
import * as nodeFs from 'node:fs'

/** The C library mapped into this process (glibc's `libc.so.6`, or musl's loader, which is its libc). */
const LIBC = /\/(libc\.so\.6|libc\.musl-[\w-]+\.so\.1|ld-musl-[\w-]+\.so\.1)$/

/**
 * The path of the C library this process runs on, from `/proc/self/maps` (undefined when none
 * is mapped): what TinyCC links C against, since hosts seldom have libc's development files.
 */
export function mappedCLibrary(): string | undefined {
  return nodeFs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((line) => line.slice(line.indexOf('/')))
    .find((path) => LIBC.test(path))
}

/**
 * Compiles `source` with Bun's built-in TinyCC against the C library the process runs on (its
 * functions declared in the source, so nothing is included): no toolchain, headers or libc
 * development files are needed on the host. Returns the symbols, or why they are not available
 * (not Linux, no TinyCC in this Bun, no C library found). The compiled code stays for the
 * process's lifetime.
 *
 * TinyCC reads its source from a path, and a `bun build --compile` binary has none on disk for
 * its own files, so the source goes through an anonymous memory file (`memfd_create`): nothing
 * is written to the filesystem, which may well be read-only.
 */
export function compileC<Fns extends Record<string, FFIFunction>>(
  name: string,
  source: string,
  symbols: Fns,
): { symbols: Library<Fns>['symbols'] } | { problem: string } {
  if (process.platform !== 'linux') return { problem: `${process.platform} is not Linux` }
  let fd = -1
  try {
    const libc = mappedCLibrary()
    if (!libc) return { problem: 'no C library found in /proc/self/maps' }
    const memfd = dlopen(libc, { memfd_create: { args: ['ptr', 'u32'], returns: 'i32' } })
    try {
      fd = memfd.symbols.memfd_create(new TextEncoder().encode(`${name}\0`), 0)
    } finally {
      memfd.close()
    }
    if (fd < 0) return { problem: 'memfd_create failed' }
    nodeFs.writeSync(fd, source)
    const compiled = cc<Fns>({
      // Bun adds each source with tcc_add_file, so the C library's file is linked like a shared
      // library (an array is not in Bun's types): hosts seldom have libc's development files,
      // which TinyCC's default `-lc` needs.
      source: [`/proc/self/fd/${fd}`, libc] as unknown as string,
      flags: ['-nostdlib'],
      symbols,
    })
    return { symbols: compiled.symbols }
  } catch (error) {
    return { problem: error instanceof Error ? error.message.split('\n')[0]! : String(error) }
  } finally {
    if (fd >= 0) nodeFs.closeSync(fd)
  }
}
