import { describe, expect, test } from 'bun:test'
import { splitCsv } from '../src/_csv.ts'

describe('splitCsv', () => {
  test('splits plain cells, keeping empty ones', () => {
    expect(splitCsv('1,,3,')).toEqual(['1', '', '3', ''])
    expect(splitCsv('')).toEqual([''])
  })

  test('keeps commas inside quotes (radvisor 1.1.7 blkio cells) and unescapes doubled quotes', () => {
    expect(splitCsv('1,"8:0 Read 4,8:0 Write 5,Total 9",2')).toEqual(['1', '8:0 Read 4,8:0 Write 5,Total 9', '2'])
    expect(splitCsv('"say ""hi""",x')).toEqual(['say "hi"', 'x'])
    expect(splitCsv('a,""')).toEqual(['a', ''])
  })

  test('returns null for an unclosed quote or text after a closing quote', () => {
    expect(splitCsv('1,"8:0 Read 4,8:0')).toBeNull()
    expect(splitCsv('"a"b,c')).toBeNull()
  })
})
