import { cc, dlopen } from 'bun:ffi'
import * as nodeFs from 'node:fs'
import type { FileSystem, ReadBatch } from './fs.ts'

/**
 * The batch read in C, compiled at startup by Bun's built-in TinyCC: no toolchain, headers or
 * libc development files are needed on the host, only the C library the process already runs
 * on (its two functions are declared here, so nothing is included). Request fields as in
 * `ReadBatch`; a request outside the buffer is refused with -EINVAL, EINTR is retried.
 */
const SOURCE = `
typedef long ssize_t;
typedef unsigned long size_t;
typedef long off_t;
extern ssize_t pread(int fd, void *buf, size_t count, off_t offset);
extern int *__errno_location(void);

void read_batch(int *requests, int count, unsigned char *buffer, int size) {
  for (int i = 0; i < count; i++) {
    int *request = requests + 4 * i;
    int offset = request[1], length = request[2];
    if (offset < 0 || length < 0 || length > size - offset) {
      request[3] = -22;
      continue;
    }
    ssize_t got;
    do got = pread(request[0], buffer + offset, (size_t)length, 0);
    while (got < 0 && *__errno_location() == 4);
    request[3] = got < 0 ? -*__errno_location() : (int)got;
  }
}
`

/** The C library mapped into this process (glibc's `libc.so.6`, or musl's loader, which is its libc). */
const LIBC = /\/(libc\.so\.6|libc\.musl-[\w-]+\.so\.1|ld-musl-[\w-]+\.so\.1)$/

let compiled: { readBatch: ReadBatch } | { problem: string } | null = null

/**
 * The native batch read, compiled once per process, or why it is not available (no TinyCC in
 * this Bun, no C library found): callers then read file by file.
 *
 * TinyCC reads its source from a path, and a `bun build --compile` binary has none on disk for
 * its own files, so the source goes through an anonymous memory file (`memfd_create`): nothing
 * is written to the filesystem, which may well be read-only.
 */
export function nativeReadBatch(): { readBatch: ReadBatch } | { problem: string } {
  compiled ??= compile()
  return compiled
}

function compile(): { readBatch: ReadBatch } | { problem: string } {
  if (process.platform !== 'linux') return { problem: `${process.platform} is not Linux` }
  let fd = -1
  try {
    const libc = nodeFs
      .readFileSync('/proc/self/maps', 'utf8')
      .split('\n')
      .map((line) => line.slice(line.indexOf('/')))
      .find((path) => LIBC.test(path))
    if (!libc) return { problem: 'no C library found in /proc/self/maps' }
    const memfd = dlopen(libc, { memfd_create: { args: ['ptr', 'u32'], returns: 'i32' } })
    try {
      fd = memfd.symbols.memfd_create(new TextEncoder().encode('radvisor-read-batch.c\0'), 0)
    } finally {
      memfd.close()
    }
    if (fd < 0) return { problem: 'memfd_create failed' }
    nodeFs.writeSync(fd, SOURCE)
    const { symbols } = cc({
      // Bun adds each source with tcc_add_file, so the C library's file is linked like a shared
      // library (an array is not in Bun's types): hosts seldom have libc's development files,
      // which TinyCC's default `-lc` needs.
      source: [`/proc/self/fd/${fd}`, libc] as unknown as string,
      flags: ['-nostdlib'],
      symbols: { read_batch: { args: ['ptr', 'i32', 'ptr', 'i32'], returns: 'void' } },
    })
    const readBatch = symbols.read_batch
    return {
      readBatch: (requests, count, buffer) => {
        if (!(count >= 0 && count * 4 <= requests.length)) throw new RangeError(`readBatch: ${count} requests do not fit in ${requests.length} fields`)
        readBatch(requests, count, buffer, buffer.length)
      },
    }
  } catch (error) {
    return { problem: error instanceof Error ? error.message.split('\n')[0]! : String(error) }
  } finally {
    if (fd >= 0) nodeFs.closeSync(fd)
  }
}

/**
 * `node:fs` plus the native `readBatch` where it could be compiled: what production injects.
 * `problem` says why there is no batch read (reads then cost one call per file).
 */
export function systemFileSystem(): { fs: FileSystem; problem: string | null } {
  const native = nativeReadBatch()
  return 'readBatch' in native ? { fs: { ...nodeFs, readBatch: native.readBatch }, problem: null } : { fs: nodeFs, problem: native.problem }
}
