import { afterAll, describe, expect, test } from 'bun:test'
import * as fs from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Child } from '../_children.ts'
import { buildFloor, floorBackToBack } from '../_runs.ts'

const scratch = fs.mkdtempSync(join(tmpdir(), 'bench-runs-'))
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))
const gcc = Bun.which('gcc')
if (!gcc) console.warn('floor test skipped: gcc is not installed')

describe.skipIf(!gcc)('the floor program', () => {
  test('preads each listed file once per tick and reports the CPU of its loop', async () => {
    const floor = await buildFloor(scratch)
    if (!('binary' in floor)) throw new Error(floor.missing)
    const files = ['a', 'b'].map((name) => join(scratch, name))
    for (const file of files) fs.writeFileSync(file, '12345\n')
    const list = join(scratch, 'list.txt')
    fs.writeFileSync(list, `${files.join('\n')}\n`)
    const child = new Child([floor.binary, list, '10', '0'])
    const { stdout } = await child.finish('floor')
    expect(stdout.split('\n')[0]).toBe('ready')
    expect(JSON.parse(stdout.split('\n')[1]!)).toMatchObject({ files: 2, ticks: 10, bytes: 2 * 10 * 6 })
    const run = await floorBackToBack(floor.binary, list, 1000)
    expect(run.ticks).toBe(1000)
    expect(run.cpuUs).toBeGreaterThanOrEqual(0)
  })

  test('fails naming a file it cannot open', async () => {
    const floor = await buildFloor(scratch)
    if (!('binary' in floor)) throw new Error(floor.missing)
    const list = join(scratch, 'missing.txt')
    fs.writeFileSync(list, `${join(scratch, 'nope')}\n`)
    await expect(new Child([floor.binary, list, '1', '0']).finish('floor')).rejects.toThrow(/cannot open .*nope/)
  })
})

describe('Child', () => {
  test('waitFor resolves on a matching line and rejects when the output ends without one', async () => {
    const child = new Child(['sh', '-c', 'echo one; echo two >&2'])
    await child.waitFor('stdout', /^one$/m)
    await expect(child.waitFor('stderr', /three/)).rejects.toThrow(/stderr ended without/)
    expect((await child.finish('sh')).stderr).toBe('two\n')
  })

  test('a failing child throws with its output; kill ends a running one', async () => {
    await expect(new Child(['sh', '-c', 'echo bad >&2; exit 3']).finish('sh')).rejects.toThrow(/sh exited with 3:\nbad/)
    const sleeper = new Child(['sleep', '30'])
    await sleeper.kill()
    expect(sleeper.process.signalCode).toBe('SIGKILL')
  })
})
