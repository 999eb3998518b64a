/**
 * `bun bench/native-parse.ts [--file <memory.stat>] [--rounds 5] [--calls 1000000]`: whether
 * parsing a stat file in C would beat the JavaScript parser, before anyone ports it. One file
 * (a Docker container's cgroup v1 `memory.stat` from the fixtures by default) is parsed into a
 * `Row` the way the v1 collector does it, radvisor's 16 keys located with last-line hints and
 * their digits checked and copied, by:
 *
 * - `js`: the collector's own code (`KeyedValues` and `putKeyed`);
 * - `tcc`: the same algorithm in C, compiled at run time by Bun's TinyCC (`bun:ffi` `cc`, what
 *   the native batch read uses, so it needs no compiler on the host);
 * - `gcc -O2`: the same C source as a shared library, where `gcc` is on PATH (a prebuilt library
 *   would have to ship with radvisor, one per platform);
 * - `ffi call`: an empty C function with the same arguments, the crossing alone.
 *
 * Each C result is checked against the JavaScript one, byte for byte. Rounds alternate; each
 * prints ns per file, and the summary the median [min–max]. Needs no root.
 */
import { type ConvertFns, cc, dlopen, type FFIFunction, ptr } from 'bun:ffi'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { Row } from '@radvisor/core'
import { mappedCLibrary } from '../packages/core/src/_native.ts'
import { putKeyed } from '../packages/cgroup/src/_cells.ts'
import { KeyedValues } from '../packages/cgroup/src/_keyed.ts'
import type { StatFile } from '../packages/cgroup/src/_stat-file.ts'
import { MEMORY_STAT } from '../packages/cgroup/src/v1.ts'
import { spread } from './_stats.ts'

const FIXTURE = 'packages/testing/fixtures/cgroup/v1-cgroupfs-docker/root/memory/docker/a84bba07931db925306a0799dc6ebd718b8c764d1c0acb3dea13519a60a077bb/memory.stat'
const { values: options } = parseArgs({
  options: {
    file: { type: 'string', default: resolve(import.meta.dir, '..', FIXTURE) },
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '1000000' },
  },
})
const rounds = Number(options.rounds)
const calls = Number(options.calls)

/**
 * Two C versions of what `KeyedValues.locate` and `putToken` do for a file whose values are all
 * u64s below 20 digits (the common case; anything else returns -2, where a port would hand the
 * file back to the JavaScript parser): `put_keyed_loops` walks the bytes itself, as the
 * JavaScript does; `put_keyed_libc` leaves the searching and copying to the C library's
 * `memchr`, `memcmp` and `memcpy` (optimised code, even when TinyCC compiles the caller). Each
 * appends one cell per key to `line` from `at` and returns the line's new length, or -1 when it
 * does not fit. `crossing` does nothing, for the cost of the call alone.
 */
const SOURCE = `
typedef unsigned long size_t;
extern void *memchr(const void *s, int c, size_t n);
extern int memcmp(const void *a, const void *b, size_t n);
extern void *memcpy(void *to, const void *from, size_t n);

static int key_at(const unsigned char *buf, int line, int length, const unsigned char *key, int key_length) {
  if (line > 0 && buf[line - 1] != 10) return 0;
  if (line + key_length > length) return 0;
  for (int i = 0; i < key_length; i++) if (buf[line + i] != key[i]) return 0;
  return 1;
}

static int find_line(const unsigned char *buf, int length, const unsigned char *key, int key_length, int from) {
  for (int pass = 0; pass < 2; pass++) {
    int line = pass == 0 ? from : 0, end = pass == 0 ? length : from;
    while (line < end && line < length) {
      if (buf[line] == key[0] && key_at(buf, line, length, key, key_length)) return line;
      while (line < length && buf[line] != 10) line++;
      line++;
    }
  }
  return -1;
}

int put_keyed_loops(const unsigned char *buf, int length, const unsigned char *keys, const int *key_starts, int key_count,
                    int *hints, unsigned char *line, int at, int capacity, unsigned int *starts, unsigned int *ends, int cell) {
  int cursor = 0;
  for (int k = 0; k < key_count; k++) {
    const unsigned char *key = keys + key_starts[k];
    int key_length = key_starts[k + 1] - key_starts[k];
    int found = hints[k];
    if (found < 0 || !key_at(buf, found, length, key, key_length)) found = find_line(buf, length, key, key_length, cursor);
    if (cell > 0) {
      if (at >= capacity) return -1;
      line[at++] = ',';
    }
    starts[cell] = at;
    if (found >= 0) {
      hints[k] = found;
      int start = found + key_length, end = start;
      while (end < length && buf[end] != 10) end++;
      cursor = end + 1;
      if (end == start || end - start >= 20) return -2;
      if (at + (end - start) > capacity) return -1;
      for (int i = start; i < end; i++) {
        unsigned char byte = buf[i];
        if (byte < '0' || byte > '9') return -2;
        line[at++] = byte;
      }
    }
    ends[cell++] = at;
  }
  return at;
}

static int libc_key_at(const unsigned char *buf, int line, int length, const unsigned char *key, int key_length) {
  return line >= 0 && (line == 0 || buf[line - 1] == 10) && line + key_length <= length && memcmp(buf + line, key, key_length) == 0;
}

static int libc_find_line(const unsigned char *buf, int length, const unsigned char *key, int key_length, int from) {
  for (int pass = 0; pass < 2; pass++) {
    int line = pass == 0 ? from : 0, end = pass == 0 ? length : from;
    while (line < end && line < length) {
      if (libc_key_at(buf, line, length, key, key_length)) return line;
      const unsigned char *newline = memchr(buf + line, 10, length - line);
      if (!newline) break;
      line = newline - buf + 1;
    }
  }
  return -1;
}

int put_keyed_libc(const unsigned char *buf, int length, const unsigned char *keys, const int *key_starts, int key_count,
                   int *hints, unsigned char *line, int at, int capacity, unsigned int *starts, unsigned int *ends, int cell) {
  int cursor = 0;
  for (int k = 0; k < key_count; k++) {
    const unsigned char *key = keys + key_starts[k];
    int key_length = key_starts[k + 1] - key_starts[k];
    int found = hints[k];
    if (!libc_key_at(buf, found, length, key, key_length)) found = libc_find_line(buf, length, key, key_length, cursor);
    if (cell > 0) {
      if (at >= capacity) return -1;
      line[at++] = ',';
    }
    starts[cell] = at;
    if (found >= 0) {
      hints[k] = found;
      int start = found + key_length;
      const unsigned char *newline = memchr(buf + start, 10, length - start);
      int end = newline ? newline - buf : length;
      cursor = end + 1;
      if (end == start || end - start >= 20) return -2;
      if (at + (end - start) > capacity) return -1;
      for (int i = start; i < end; i++) if ((unsigned)(buf[i] - '0') > 9) return -2;
      memcpy(line + at, buf + start, end - start);
      at += end - start;
    }
    ends[cell++] = at;
  }
  return at;
}

int crossing(const unsigned char *buf, int length, const unsigned char *keys, const int *key_starts, int key_count,
             int *hints, unsigned char *line, int at, int capacity, unsigned int *starts, unsigned int *ends, int cell) {
  return 0;
}
`
const SIGNATURE = { args: ['ptr', 'i32', 'ptr', 'ptr', 'i32', 'ptr', 'ptr', 'i32', 'i32', 'ptr', 'ptr', 'i32'], returns: 'i32' } as const satisfies FFIFunction
type NativeParse = ConvertFns<{ parse: typeof SIGNATURE }>['parse']

const text = readFileSync(options.file)
const buf = new Uint8Array(text.length * 2)
buf.set(text)
const keys = MEMORY_STAT.map(([key]) => key)
const row = new Row({ provider: 'bench', id: 'x', name: 'x', metadata: {}, polledAt: 0n, cgroup: { kind: 'path', path: '' } }, keys)
const file = { buf, length: text.length, opened: true, reported: false, report: () => {} } as unknown as StatFile
const keyed = new KeyedValues(keys)

const keyBytes = new TextEncoder().encode(keys.map((key) => `${key} `).join(''))
const keyStarts = new Int32Array(keys.length + 1)
for (let k = 0, at = 0; k <= keys.length; k++) {
  keyStarts[k] = at
  at += (keys[k]?.length ?? 0) + 1
}
const hints = new Int32Array(keys.length).fill(-1)

const folder = mkdtempSync(join(tmpdir(), 'radvisor-native-parse-'))
const sourcePath = join(folder, 'parse.c')
writeFileSync(sourcePath, SOURCE)
const variants = new Map<string, () => void>()

variants.set('js', () => {
  for (let i = 0; i < calls; i++) {
    row.reset()
    putKeyed(row, file, keyed, null)
  }
})
const expected = (variants.get('js')!(), row.toString())

/**
 * Runs `parse` over the file `calls` times with pointers taken once, as a port would hold them.
 * The numbers go in as separate values: out of a mixed array, the integers come back as
 * doubles, and Bun passes an \`i32\` argument that is a double as 0 (the count of keys, here).
 */
function native(parse: NativeParse): () => void {
  const [source, keyText, keyTable, hintTable, line, starts, ends] = [buf, keyBytes, keyStarts, hints, row.line, row.starts, row.ends].map((array) => ptr(array))
  const [length, keyCount, capacity] = [text.length | 0, keys.length | 0, row.line.length | 0]
  return () => {
    let written = 0
    for (let i = 0; i < calls; i++) written = parse(source!, length, keyText!, keyTable!, keyCount, hintTable!, line!, 0, capacity, starts!, ends!, 0)
    row.length = written
    row.cells = keys.length
  }
}

const SYMBOLS = { put_keyed_loops: SIGNATURE, put_keyed_libc: SIGNATURE, crossing: SIGNATURE }
const libc = mappedCLibrary()
if (!libc) throw new Error('no C library found in /proc/self/maps')
// Linked as the native batch read is (system-fs.ts): the C library's file as a source, no -lc.
const tcc = cc({ source: [sourcePath, libc] as unknown as string, flags: ['-nostdlib'], symbols: SYMBOLS }).symbols
variants.set('tcc, loops', native(tcc.put_keyed_loops))
variants.set('tcc, libc', native(tcc.put_keyed_libc))
variants.set('ffi call', native(tcc.crossing))
const gcc = Bun.which('gcc')
if (gcc) {
  const library = join(folder, 'parse.so')
  const built = Bun.spawnSync([gcc, '-O2', '-shared', '-fPIC', '-o', library, sourcePath], { stderr: 'pipe' })
  if (built.exitCode !== 0) throw new Error(`gcc failed: ${built.stderr.toString()}`)
  const { symbols } = dlopen(library, SYMBOLS)
  variants.set('gcc -O2, loops', native(symbols.put_keyed_loops))
  variants.set('gcc -O2, libc', native(symbols.put_keyed_libc))
} else {
  console.error('bench: no gcc on PATH, so no gcc -O2 variants')
}

for (const [name, run] of variants) {
  if (name === 'ffi call') continue
  run()
  if (row.toString() !== expected) throw new Error(`${name} wrote ${JSON.stringify(row.toString())}, not ${JSON.stringify(expected)}`)
}

const results = new Map<string, number[]>([...variants.keys()].map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [...variants] : [...variants].reverse()
  const line: string[] = []
  for (const [name, run] of order) {
    const started = process.cpuUsage()
    run()
    const used = process.cpuUsage(started)
    const ns = ((used.user + used.system) * 1000) / calls
    results.get(name)!.push(ns)
    line.push(`${name} ${ns.toFixed(0)} ns`)
  }
  console.error(`round ${round + 1}: ${line.join(', ')}`)
}
rmSync(folder, { recursive: true, force: true })

console.log(`\n${options.file}: ${text.length} bytes, ${keys.length} keys; ns per file, median [min–max] of ${rounds} rounds of ${calls}\n`)
console.log('| variant | ns per file |\n|---|--:|')
for (const [name, values] of results) {
  const { median, min, max } = spread(values)
  console.log(`| ${name} | ${median.toFixed(0)} [${min.toFixed(0)}–${max.toFixed(0)}] |`)
}
