import { describe, expect, test } from 'bun:test'
import { BufferedFile, type FileSystem, memoryLogger, WriteFailures } from '../src/index.ts'

/**
 * One file in memory whose writes can be made to fail, or to be short: `room` bytes are
 * left on the "disk"; a write beyond it writes what fits and the next one throws ENOSPC,
 * as the kernel does.
 */
function fakeDisk() {
  let content = new Uint8Array(0)
  const disk = {
    room: Number.POSITIVE_INFINITY,
    refuseOpen: false,
    opens: 0,
    writes: 0,
    closed: false,
    get text() {
      return new TextDecoder().decode(content)
    },
  }
  const fs = {
    writeSync(_fd: number, buffer: Uint8Array, offset: number, length: number) {
      disk.writes++
      if (disk.room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      const count = Math.min(length, disk.room)
      disk.room -= count
      const grown = new Uint8Array(content.length + count)
      grown.set(content)
      grown.set(buffer.subarray(offset, offset + count), content.length)
      content = grown
      return count
    },
    ftruncateSync(_fd: number, length: number) {
      content = content.slice(0, length)
    },
    closeSync() {
      disk.closed = true
    },
  } as unknown as FileSystem
  const open = () => {
    disk.opens++
    if (disk.refuseOpen) throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' })
    return { fd: 7, size: 0 }
  }
  return { disk, fs, open }
}

function setup(maxBytes = 1024, extra: { writeAtBytes?: number; rowsPerFlush?: number } = {}) {
  const { disk, fs, open } = fakeDisk()
  const logger = memoryLogger()
  const failures = new WriteFailures(logger, 'test', 'test logs', maxBytes)
  const file = new BufferedFile({ fs, label: '/logs/a.log', open, maxBytes, failures, ...extra })
  return { disk, file, logger, failures, fs, open }
}

const line = (text: string) => new TextEncoder().encode(text)
const rowOf = (i: number) => line(`row-${String(i).padStart(4, '0')},1234567890`)

describe('BufferedFile', () => {
  test('rows stay buffered until flush, then reach the file whole and in order', () => {
    const { disk, file } = setup()
    for (let i = 0; i < 3; i++) file.appendLine(rowOf(i), rowOf(i).length)
    expect(disk.text).toBe('')
    expect(file.flush()).toBe(true)
    expect(disk.text).toBe('row-0000,1234567890\nrow-0001,1234567890\nrow-0002,1234567890\n')
    expect(disk.writes).toBe(1)
  })

  test('the buffer starts small and grows on demand, up to the limit; a full buffer is written out', () => {
    const { disk, file } = setup(64 * 1024)
    expect(file.buffer.length).toBe(0)
    const row = rowOf(1)
    file.appendLine(row, row.length)
    expect(file.buffer.length).toBe(8 * 1024)
    for (let i = 1; i < 1000; i++) file.appendLine(row, row.length) // 20 kB
    // By a quarter, in whole pages (8, 12, 16, 20 KiB): it ends close to what the rows need.
    expect(file.buffer.length).toBe(20 * 1024)
    expect(disk.writes).toBe(0)
    for (let i = 0; i < 3000; i++) file.appendLine(row, row.length) // 80 kB in all: passes 64 KiB once
    expect(file.buffer.length).toBe(64 * 1024)
    expect(disk.writes).toBe(1)
    file.close()
    expect(disk.text.split('\n').filter(Boolean)).toHaveLength(4000)
  })

  test('told how many rows come between flushes, it is sized for them at the first row and does not grow', () => {
    const { disk, file } = setup(1024 * 1024, { rowsPerFlush: 40 })
    file.writePreamble(line('---\nheader\n---\n'))
    expect(disk.text).toBe('---\nheader\n---\n')
    expect(file.buffer.length).toBe(0)
    const row = rowOf(1) // 19 bytes and a newline: 40 rows and 10% more are 880 bytes
    for (let flush = 0; flush < 3; flush++) {
      for (let i = 0; i < 40; i++) file.appendLine(row, row.length)
      expect(file.buffer.length).toBe(880)
      file.flush()
    }
    const big = setup(8 * 1024, { rowsPerFlush: 1000 }).file
    big.appendLine(row, row.length)
    expect(big.buffer.length).toBe(8 * 1024)
    file.close()
    expect(disk.text.split('\n').filter(Boolean)).toHaveLength(3 + 120)
  })

  test('a preamble goes out straight from the caller’s bytes; what the output does not take is kept, and the bytes may be reused', () => {
    const { disk, file } = setup()
    const header = line('---\nheader\n---\n')
    disk.room = 6
    file.writePreamble(header)
    header.fill(0x3f) // the caller reuses its bytes
    expect(disk.text).toBe('---\nhe')
    const row = rowOf(1)
    file.appendLine(row, row.length)
    disk.room = Number.POSITIVE_INFINITY
    expect(file.flush()).toBe(true)
    expect(disk.text).toBe('---\nheader\n---\nrow-0001,1234567890\n')

    const closed = setup()
    closed.disk.refuseOpen = true
    closed.file.writePreamble(line('---\nh\n---\n'))
    closed.disk.refuseOpen = false
    closed.file.flush()
    expect(closed.disk.text).toBe('---\nh\n---\n')
  })

  test('a preamble the output never wholly takes is cut back at close: no log is left with half a header', () => {
    const { disk, file } = setup()
    disk.room = 6
    file.writePreamble(line('---\nheader\n---\n'))
    expect(disk.text).toBe('---\nhe')
    const row = rowOf(1)
    file.appendLine(row, row.length)
    expect(file.close().dropped).toBe(1)
    expect(disk.text).toBe('')
  })

  test('after an outage filled the buffer, it shrinks back once rows flow again', () => {
    const { disk, file } = setup(1024 * 1024)
    const row = rowOf(1)
    disk.room = 0
    for (let i = 0; i < 60_000; i++) file.appendLine(row, row.length)
    file.flush()
    expect(file.buffer.length).toBe(1024 * 1024)
    disk.room = Number.POSITIVE_INFINITY
    expect(file.flush()).toBe(true)
    for (let i = 0; i < 10; i++) file.appendLine(row, row.length)
    file.flush()
    expect(file.buffer.length).toBeLessThanOrEqual(8 * 1024)
  })

  test('a short write keeps its remainder: the next flush goes on from there and the file has every row whole', () => {
    const { disk, file, logger } = setup()
    for (let i = 0; i < 3; i++) file.appendLine(rowOf(i), rowOf(i).length)
    disk.room = 30 // the second row is cut after 10 bytes, then ENOSPC
    expect(file.flush()).toBe(false)
    expect(disk.text).toBe('row-0000,1234567890\nrow-0001,1')
    disk.room = Number.POSITIVE_INFINITY
    file.appendLine(rowOf(3), rowOf(3).length)
    expect(file.flush()).toBe(true)
    expect(disk.text.split('\n')).toEqual(['row-0000,1234567890', 'row-0001,1234567890', 'row-0002,1234567890', 'row-0003,1234567890', ''])
    expect(logger.lines.filter((l) => l.includes('cannot write'))).toHaveLength(1)
    expect(logger.lines.filter((l) => l.includes('Resumed'))).toHaveLength(1)
  })

  test('when the disk stays full at close, the row cut in half is truncated away and every unwritten row is counted', () => {
    const { disk, file } = setup()
    for (let i = 0; i < 4; i++) file.appendLine(rowOf(i), rowOf(i).length)
    disk.room = 50 // two rows and 10 bytes of the third
    const { dropped, reason } = file.close()
    expect(disk.text).toBe('row-0000,1234567890\nrow-0001,1234567890\n')
    expect(dropped).toBe(2)
    expect(reason).toContain('ENOSPC')
    expect(reason).toContain('/logs/a.log')
    expect(disk.closed).toBe(true)
  })

  test('a cut spanning several short writes is truncated as a whole', () => {
    const { disk, file } = setup()
    file.appendLine(rowOf(0), rowOf(0).length)
    disk.room = 5
    file.flush()
    disk.room = 5
    file.flush()
    expect(disk.text).toBe('row-0000,1')
    file.close()
    expect(disk.text).toBe('')
  })

  test('rows beyond the limit while the output refuses are dropped and counted; the outage is reported once and its end once', () => {
    const { disk, file, logger } = setup(100)
    disk.room = 0
    let kept = 0
    for (let i = 0; i < 10; i++) if (file.appendLine(rowOf(i), rowOf(i).length)) kept++
    expect(kept).toBe(5)
    // Only flushes retry while failing: rows that do not fit cost no write attempt.
    expect(disk.writes).toBe(1)
    for (let i = 0; i < 3; i++) file.flush()
    expect(logger.lines.filter((l) => l.includes('cannot write /logs/a.log: ENOSPC'))).toHaveLength(1)
    disk.room = Number.POSITIVE_INFINITY
    expect(file.flush()).toBe(true)
    expect(logger.lines.filter((l) => l.includes('Resumed'))).toEqual([expect.stringContaining('writing test logs (sink test)')])
    expect(file.close().dropped).toBe(5)
    expect(disk.text.split('\n').filter(Boolean)).toHaveLength(5)
  })

  test('an output that cannot be opened yet is retried at each flush, keeping the rows meanwhile', () => {
    const { disk, file } = setup()
    disk.refuseOpen = true
    file.appendLine(rowOf(0), rowOf(0).length)
    expect(file.flush()).toBe(false)
    expect([disk.opens, disk.text]).toEqual([1, ''])
    file.appendLine(rowOf(1), rowOf(1).length)
    expect(file.flush()).toBe(false)
    disk.refuseOpen = false
    expect(file.flush()).toBe(true)
    expect(disk.opens).toBe(3)
    expect(disk.text).toBe('row-0000,1234567890\nrow-0001,1234567890\n')
  })

  test('an output never opened loses its rows at close, counted', () => {
    const { disk, file } = setup()
    disk.refuseOpen = true
    for (let i = 0; i < 3; i++) file.appendLine(rowOf(i), rowOf(i).length)
    expect(file.close()).toEqual({ dropped: 3, reason: expect.stringContaining('ENOSPC') })
  })

  test('files of one sink failing together make one outage: one line when it starts, one when the last recovers', () => {
    const { disk, fs, open, logger, failures } = setup()
    const files = ['a', 'b', 'c'].map((name) => new BufferedFile({ fs, label: `/logs/${name}.log`, open, maxBytes: 1024, failures }))
    disk.room = 0
    for (const file of files) {
      file.appendLine(rowOf(0), rowOf(0).length)
      file.flush()
    }
    disk.room = Number.POSITIVE_INFINITY
    files[0]!.flush()
    files[1]!.flush()
    expect(logger.lines.filter((l) => l.includes('Resumed'))).toHaveLength(0)
    files[2]!.flush()
    expect(logger.lines.filter((l) => l.includes('cannot write'))).toHaveLength(1)
    expect(logger.lines.filter((l) => l.includes('Resumed'))).toHaveLength(1)
  })

  test('a row longer than the whole limit is still kept whole', () => {
    const { disk, file } = setup(16)
    expect(file.appendLine(rowOf(1), rowOf(1).length)).toBe(true)
    expect(file.appendLine(rowOf(2), rowOf(2).length)).toBe(true)
    file.close()
    expect(disk.text).toBe('row-0001,1234567890\nrow-0002,1234567890\n')
  })

  test('writeAtBytes writes out before the limit, which still bounds what an outage keeps', () => {
    const { disk, file } = setup(10_000, { writeAtBytes: 100 })
    for (let i = 0; i < 10; i++) file.appendLine(rowOf(i), rowOf(i).length)
    expect(disk.writes).toBeGreaterThanOrEqual(1)
    expect(disk.text.length).toBeGreaterThanOrEqual(80)
  })
})
