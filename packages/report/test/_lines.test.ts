import { describe, expect, test } from 'bun:test'
import { Volume } from 'memfs'
import type { FileSystem } from '@radvisor/core'
import { fileChunks, type Line, LineSplitter } from '../src/_lines.ts'

async function collect(splitter: LineSplitter, chunks: Iterable<Uint8Array>): Promise<Line[]> {
  const lines: Line[] = []
  for await (const line of splitter.lines(chunks)) lines.push(line)
  return lines
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('LineSplitter', () => {
  test('joins lines split across chunks, numbers them, strips CR, and marks an unterminated last line', async () => {
    const lines = await collect(new LineSplitter(), [bytes('---\nVer'), bytes('sion: 1\r\n\nrow'), bytes(',1')])
    expect(lines).toEqual([
      { text: '---', number: 1, complete: true },
      { text: 'Version: 1', number: 2, complete: true },
      { text: '', number: 3, complete: true },
      { text: 'row,1', number: 4, complete: false },
    ])
  })

  test('decodes a UTF-8 character split between chunks', async () => {
    const encoded = bytes('name: café\n')
    const cut = encoded.indexOf(0xc3) + 1
    const lines = await collect(new LineSplitter(), [encoded.subarray(0, cut), encoded.subarray(cut)])
    expect(lines.map((line) => line.text)).toEqual(['name: café'])
  })

  test('cuts an overlong line, drops its rest and keeps counting lines', async () => {
    const splitter = new LineSplitter(10)
    const lines = await collect(splitter, [bytes('short\n'), bytes('x'.repeat(25)), bytes('y'.repeat(25)), bytes('\nnext\n')])
    expect(lines).toEqual([
      { text: 'short', number: 1, complete: true },
      { text: 'x'.repeat(10), number: 2, complete: false },
      { text: 'next', number: 3, complete: true },
    ])
    expect(splitter.peakBufferedChars).toBeLessThanOrEqual(10)
  })
})

describe('fileChunks', () => {
  test('reads a file in chunks of the given size through the injected fs, reusing one buffer', () => {
    const volume = Volume.fromJSON({ '/logs/a.log': 'abcdefghij' })
    const fs = volume as unknown as FileSystem
    const chunks: string[] = []
    const buffers = new Set<ArrayBufferLike>()
    for (const chunk of fileChunks(fs, '/logs/a.log', 4)) {
      chunks.push(new TextDecoder().decode(chunk))
      buffers.add(chunk.buffer)
    }
    expect(chunks).toEqual(['abcd', 'efgh', 'ij'])
    expect(buffers.size).toBe(1)
  })
})
