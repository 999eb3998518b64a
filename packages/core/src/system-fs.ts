import * as nodeFs from 'node:fs'
import { compileC } from './_native.ts'
import type { FileSystem, ReadBatch } from './fs.ts'

/**
 * The batch read in C, compiled at startup (`compileC`). Request fields as in `ReadBatch`; a
 * request outside the buffer is refused with -EINVAL, EINTR is retried.
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

let compiled: { readBatch: ReadBatch } | { problem: string } | null = null

/**
 * The native batch read, compiled once per process, or why it is not available (no TinyCC in
 * this Bun, no C library found): callers then read file by file.
 */
export function nativeReadBatch(): { readBatch: ReadBatch } | { problem: string } {
  compiled ??= compile()
  return compiled
}

function compile(): { readBatch: ReadBatch } | { problem: string } {
  const native = compileC('radvisor-read-batch.c', SOURCE, { read_batch: { args: ['ptr', 'i32', 'ptr', 'i32'], returns: 'void' } })
  if ('problem' in native) return native
  const readBatch = native.symbols.read_batch
  return {
    readBatch: (requests, count, buffer) => {
      if (!(count >= 0 && count * 4 <= requests.length)) throw new RangeError(`readBatch: ${count} requests do not fit in ${requests.length} fields`)
      readBatch(requests, count, buffer, buffer.length)
    },
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
