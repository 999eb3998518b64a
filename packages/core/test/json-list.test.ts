import { describe, expect, test } from 'bun:test'
import { ManualClock, readJsonList, systemClock, systemTimer } from '../src/index.ts'

/** `text` as a stream cut into chunks of `size` bytes. */
function stream(text: string, size = 7): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text)
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

const read = (text: string, itemsKey?: string, size?: number) =>
  readJsonList(stream(text, size), { itemsKey, clock: systemClock, timer: systemTimer })

/** A random JSON value with strings that hold brackets, quotes, escapes and UTF-8. */
function randomValue(random: () => number, depth = 0): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 4 : 6))
  const text = () => ['', 'a,b', '}]{[', 'q"uote', 'back\\slash', 'é€😀', '\n\t', ':'][Math.floor(random() * 8)]!
  switch (pick) {
    case 0:
      return Math.floor(random() * 1e6) - 5e5
    case 1:
      return text()
    case 2:
      return random() < 0.5 ? null : random() < 0.5
    case 3:
      return random() * 1e-3
    case 4:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1))
    default:
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`${text()}${i}`, randomValue(random, depth + 1)]))
  }
}

function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
}

describe('readJsonList', () => {
  test('a top-level array, element by element, whatever the chunking and the strings inside', async () => {
    const random = seeded(7)
    for (let run = 0; run < 300; run++) {
      const list = Array.from({ length: Math.floor(random() * 6) }, () => randomValue(random))
      const text = JSON.stringify(list, null, run % 3 === 0 ? 2 : undefined)
      expect(await read(text, undefined, 1 + (run % 13))).toEqual({ items: list, rest: null })
    }
  })

  test("a Kubernetes-style object: the items list element by element, the rest parsed with an empty list in its place", async () => {
    const list = { kind: 'PodList', metadata: { resourceVersion: '42', note: '"items":[' }, items: [{ a: [1, 2] }, { b: '}' }], apiVersion: 'v1' }
    const result = await read(JSON.stringify(list, null, 1), 'items', 5)
    expect(result.items).toEqual(list.items)
    expect(result.rest).toEqual({ ...list, items: [] })
    expect((await read('{"items":[]}', 'items')).items).toEqual([])
  })

  test('anything that is not valid JSON of the expected shape throws', async () => {
    const bad: [string, string?][] = [
      ['{"a":1}'],
      ['[1 2]'],
      ['[1,]'],
      ['[,1]'],
      ['[1]]'],
      ['[1] x'],
      ['[1][2]'],
      ['[{"a":1}'],
      ['[{"a":1]'],
      ['["unterminated]'],
      ['<html>502</html>'],
      [''],
      ['[nul]'],
      ['{"items":[1]', 'items'],
      ['{"items":{}}', 'items'],
      ['{"other":[1]}', 'items'],
      ['[1]', 'items'],
      ['{"items":[1],}', 'items'],
    ]
    for (const [text, key] of bad) {
      const error = await read(text, key).then(
        () => null,
        (thrown: unknown) => thrown,
      )
      expect({ text, threw: error instanceof Error }).toEqual({ text, threw: true })
    }
  })

  test('a long list yields to the event loop between slices', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ Id: i.toString(16).padStart(64, 'e'), Names: [`/c${i}`], Labels: { a: 'b' } }))
    let turns = 0
    const counter = setInterval(() => turns++, 0)
    const result = await readJsonList(stream(JSON.stringify(items), 64 * 1024), { clock: systemClock, timer: systemTimer, sliceMs: 1 })
    clearInterval(counter)
    expect(result.items).toEqual(items)
    expect(turns).toBeGreaterThan(2)
  })

  test('with a clock that does not move, it never yields', async () => {
    const clock = new ManualClock()
    const result = await readJsonList(stream('[1,2,3]'), { clock, timer: clock })
    expect(result.items).toEqual([1, 2, 3])
    expect(clock.pending).toBe(0)
  })
})
