/**
 * `bun bench/u64.ts`: the cost of exact u64 sums over devices, the way `packages/cgroup` does
 * it (decimal digits added in place, `U64Sums`) against the alternative of two 32-bit halves
 * (parse into hi/lo, add with carry, divide back into digits), with the old double sum (exact
 * only to 2^53) as the reference. Each sums one `blkio.time`-like file of 8 devices
 * (values of 1 to 20 digits) into a Row, as a tick does.
 */
import { Row } from '@radvisor/core'
import { U64Sums } from '../packages/cgroup/src/_u64.ts'

const ROUNDS = 2_000_000
const values = ['4096', '9007199254740993', '123456789012', '18446744073709551', '7', '5000000000', '8192', '3000000000000000000']
const text = values.map((value, device) => `8:${device * 16} ${value}\n`).join('')
const buf = new TextEncoder().encode(text)
/** Where each value is in `buf`. */
const spans: [number, number][] = []
for (let at = 0; at < buf.length; ) {
  const space = buf.indexOf(0x20, at)
  const end = buf.indexOf(0x0a, space)
  spans.push([space + 1, end])
  at = end + 1
}
const row = new Row({ provider: 'bench', id: 'x', name: 'x', metadata: {}, polledAt: 0n, cgroup: { kind: 'path', path: '' } }, ['sum'])

const sums = new U64Sums(1)
function decimal(): void {
  sums.clear()
  for (const [start, end] of spans) sums.add(0, buf, start, end)
  row.reset()
  sums.put(row, 0)
}

// Two 32-bit halves: value = hi * 2^32 + lo, each half below 2^32 (exact in a double).
const halves = new Float64Array(2)
const digits = new Uint8Array(20)
function halvesSum(): void {
  let hi = 0
  let lo = 0
  for (const [start, end] of spans) {
    let vh = 0
    let vl = 0
    for (let i = start; i < end; i++) {
      // (vh, vl) * 10 + digit, carrying the low half's overflow into the high half.
      const low = vl * 10 + (buf[i]! - 0x30)
      vl = low % 4294967296
      vh = vh * 10 + Math.floor(low / 4294967296)
    }
    lo += vl
    hi += vh + Math.floor(lo / 4294967296)
    lo %= 4294967296
  }
  halves[0] = hi
  halves[1] = lo
  // Back to decimal: divide (hi, lo) by 10 until zero.
  let at = 20
  do {
    const remainder = hi % 10
    hi = Math.floor(hi / 10)
    const low = remainder * 4294967296 + lo
    lo = Math.floor(low / 10)
    digits[--at] = 0x30 + (low % 10)
  } while (hi > 0 || lo > 0)
  row.reset()
  row.putBytes(digits, at, 20)
}

function doubles(): void {
  let sum = 0
  for (const [start, end] of spans) {
    let value = 0
    for (let i = start; i < end; i++) value = value * 10 + (buf[i]! - 0x30)
    sum += value
  }
  row.reset()
  row.putUint(sum)
}

function measure(name: string, run: () => void): void {
  for (let i = 0; i < ROUNDS / 10; i++) run()
  const started = process.cpuUsage()
  for (let i = 0; i < ROUNDS; i++) run()
  const used = process.cpuUsage(started)
  run()
  console.log(`${name.padEnd(16)} ${(((used.user + used.system) * 1000) / ROUNDS).toFixed(1).padStart(6)} ns per file  -> ${row.toString() || '(empty)'}`)
}

console.log(`${values.length} devices, sum ${values.reduce((sum, value) => sum + BigInt(value), 0n)}`)
for (let round = 0; round < 3; round++) {
  measure('decimal digits', decimal)
  measure('32-bit halves', halvesSum)
  measure('doubles (old)', doubles)
}
