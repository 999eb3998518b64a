import { afterAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BATCH_FIELDS, BATCH_RESULT, batchReader, type FileSystem, nativeReadBatch, systemFileSystem } from '../src/index.ts'

// The native batch read (TinyCC, compiled at startup) against the same requests done one by
// one with readSync: same bytes, same counts, errors as -errno per request.

const folder = fs.mkdtempSync(join(tmpdir(), 'radvisor-batch-'))
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }))

const linux = process.platform === 'linux'
if (!linux) console.warn(`skipping the native batch read test: ${process.platform} is not Linux`)

function file(name: string, content: string): number {
  fs.writeFileSync(join(folder, name), content)
  return fs.openSync(join(folder, name), 'r')
}

/** `[fd, offset, length]` triples as a request array (results zeroed). */
function requests(...fields: [number, number, number][]): Int32Array {
  return new Int32Array(fields.flatMap(([fd, offset, length]) => [fd, offset, length, 0]))
}

const results = (batch: Int32Array) => Array.from({ length: batch.length / BATCH_FIELDS }, (_, i) => batch[i * BATCH_FIELDS + BATCH_RESULT])

describe.skipIf(!linux)('native batch read', () => {
  const native = nativeReadBatch()

  test('compiles on Linux (without it every file costs a call from JavaScript)', () => {
    expect(native).not.toHaveProperty('problem')
    expect(systemFileSystem().problem).toBeNull()
    expect(systemFileSystem().fs.readBatch).toBeFunction()
  })

  test('reads each file from offset 0 into its slot, like readSync one by one', () => {
    if (!('readBatch' in native)) throw new Error(native.problem)
    const a = file('a', 'user 17\nsystem 4\n')
    const b = file('b', '9223372036854771712\n')
    const closed = file('closed', 'x')
    fs.closeSync(closed)
    const batch = () => requests([a, 0, 64], [b, 64, 8], [closed, 72, 8], [a, 80, 32])
    const nativeBatch = batch()
    const nativeBuffer = new Uint8Array(112).fill(0x2e)
    native.readBatch(nativeBatch, 4, nativeBuffer)
    const loopBatch = batch()
    const loopBuffer = new Uint8Array(112).fill(0x2e)
    batchReader(fs as FileSystem)(loopBatch, 4, loopBuffer)
    // A short slot takes what fits; a closed descriptor is EBADF (9); reads always start at 0.
    expect(results(nativeBatch)).toEqual([17, 8, -9, 17])
    expect(results(loopBatch)).toEqual(results(nativeBatch))
    expect(nativeBuffer).toEqual(loopBuffer)
    const text = new TextDecoder().decode(nativeBuffer)
    expect(text.slice(0, 17)).toBe('user 17\nsystem 4\n')
    expect(text.slice(64, 72)).toBe('92233720')
    expect(text.slice(72, 80)).toBe('........')
    fs.closeSync(a)
    fs.closeSync(b)
  })

  test('a request outside the buffer is refused with -EINVAL and writes nothing', () => {
    if (!('readBatch' in native)) throw new Error(native.problem)
    const a = file('big', 'y'.repeat(100))
    const batch = requests([a, 60, 10], [a, 10, -1], [a, -1, 4], [a, 0, 8])
    const buffer = new Uint8Array(64)
    native.readBatch(batch, 4, buffer)
    expect(results(batch)).toEqual([-22, -22, -22, 8])
    expect(buffer.subarray(8).every((byte) => byte === 0)).toBe(true)
    expect(() => native.readBatch(batch, 5, buffer)).toThrow(RangeError)
    fs.closeSync(a)
  })
})

test('without a native batch, reads go one by one through readSync at offset 0, errors by their code', () => {
  const calls: unknown[][] = []
  const fake = {
    readSync: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
      calls.push([fd, offset, length, position])
      // memfs sets only the code, no errno.
      if (fd === 2) throw Object.assign(new Error('EBADF: bad file descriptor, read'), { code: 'EBADF' })
      buffer.set([0x61, 0x62, 0x63], offset)
      return 3
    },
  } as unknown as FileSystem
  const batch = requests([1, 0, 8], [2, 8, 8], [1, 16, 8])
  const buffer = new Uint8Array(24)
  batchReader(fake)(batch, 3, buffer)
  expect(results(batch)).toEqual([3, -9, 3])
  expect(calls).toEqual([
    [1, 0, 8, 0],
    [2, 8, 8, 0],
    [1, 16, 8, 0],
  ])
  expect(new TextDecoder().decode(buffer.subarray(16, 19))).toBe('abc')
})
