import { describe, expect, test } from 'bun:test'
import { RadvisorError } from '@radvisor/core'
import { parsePatterns, ROOT_PATTERN } from '../src/patterns.ts'

describe('parsePatterns', () => {
  test('splits on commas, trims and drops empty entries and duplicates', () => {
    expect(parsePatterns(' system.slice/*.service , docker/*,,docker/* ')).toEqual(['system.slice/*.service', 'docker/*'])
  })

  test('keeps commas inside braces in their pattern', () => {
    expect(parsePatterns('system.slice/{ssh,cron}.service,docker/*')).toEqual(['system.slice/{ssh,cron}.service', 'docker/*'])
  })

  test('strips leading, trailing and doubled slashes', () => {
    expect(parsePatterns('/system.slice//*.service/')).toEqual(['system.slice/*.service'])
  })

  test('a lone slash names the root cgroup', () => {
    expect(parsePatterns('/,docker/*')).toEqual([ROOT_PATTERN, 'docker/*'])
  })

  test('rejects . and .. segments, naming the pattern', () => {
    expect(() => parsePatterns('docker/../etc')).toThrow("invalid pattern 'docker/../etc' for --match")
    expect(() => parsePatterns('./docker')).toThrow(RadvisorError)
  })

  test('rejects a list without any pattern', () => {
    expect(() => parsePatterns(' , ')).toThrow("invalid value ' , ' for --match")
  })
})
