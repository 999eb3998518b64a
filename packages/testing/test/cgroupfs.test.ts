import { describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFakeCgroupFs, cgroupFixturesDir } from '../src/index.ts'

const read = (fs: ReturnType<typeof createFakeCgroupFs>['fs'], fd: number): string => {
  const buffer = new Uint8Array(256)
  return new TextDecoder().decode(buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)))
}

describe('createFakeCgroupFs', () => {
  test('loads a fixture case by name, with the symlinks its symlinks.json lists', () => {
    expect(existsSync(join(cgroupFixturesDir, 'v1-systemd-kubernetes', 'root'))).toBe(true)
    const { fs, root } = createFakeCgroupFs('v1-systemd-kubernetes')
    expect(root).toBe('/sys/fs/cgroup')
    expect(fs.lstatSync(`${root}/cpuacct`).isSymbolicLink()).toBe(true)
    expect(fs.readdirSync(`${root}/cpuacct/kubepods.slice`)).toContain('kubepods-burstable.slice')
  })

  test('loads a fixture folder by path, under another root', () => {
    const { fs } = createFakeCgroupFs(join(cgroupFixturesDir, 'v2-cgroupfs'), { root: '/host/cgroup' })
    expect(fs.readFileSync('/host/cgroup/cgroup.controllers', 'utf8')).toBe('cpuset cpu io memory pids\n')
  })

  test('keeps the real symlinks of a folder on disk', () => {
    const folder = mkdtempSync(join(tmpdir(), 'radvisor-cgroupfs-'))
    try {
      mkdirSync(join(folder, 'cpu,cpuacct/docker'), { recursive: true })
      writeFileSync(join(folder, 'cpu,cpuacct/docker/cpuacct.usage'), '7\n')
      symlinkSync('cpu,cpuacct', join(folder, 'cpu'))
      const { fs, root } = createFakeCgroupFs(folder)
      expect(fs.lstatSync(`${root}/cpu`).isSymbolicLink()).toBe(true)
      expect(fs.readFileSync(`${root}/cpu/docker/cpuacct.usage`, 'utf8')).toBe('7\n')
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  })

  test('builds inline trees; open descriptors see written content; positional reads repeat', () => {
    const fake = createFakeCgroupFs({ 'cpu,cpuacct/docker/a/cpuacct.usage': '1\n', 'pids/docker/a/': '' })
    expect(fake.fs.readdirSync(`${fake.root}/pids/docker/a`)).toEqual([])
    const fd = fake.fs.openSync(`${fake.root}/cpu,cpuacct/docker/a/cpuacct.usage`, 'r')
    expect(read(fake.fs, fd)).toBe('1\n')
    expect(read(fake.fs, fd)).toBe('1\n')
    fake.write('cpu,cpuacct/docker/a/cpuacct.usage', '22\n')
    expect(read(fake.fs, fd)).toBe('22\n')
  })

  test('remove() deletes a cgroup from every controller and open descriptors fail with ENODEV', () => {
    const fake = createFakeCgroupFs({
      'cpu,cpuacct/docker/a/cpuacct.usage': '1\n',
      'memory/docker/a/memory.stat': 'total_rss 1\n',
      'memory/docker/b/memory.stat': 'total_rss 2\n',
    })
    const gone = fake.fs.openSync(`${fake.root}/memory/docker/a/memory.stat`, 'r')
    const kept = fake.fs.openSync(`${fake.root}/memory/docker/b/memory.stat`, 'r')
    fake.remove('docker/a')
    expect(fake.fs.existsSync(`${fake.root}/memory/docker/a`)).toBe(false)
    expect(fake.fs.existsSync(`${fake.root}/cpu,cpuacct/docker/a`)).toBe(false)
    expect(() => read(fake.fs, gone)).toThrow(expect.objectContaining({ code: 'ENODEV' }))
    expect(read(fake.fs, kept)).toBe('total_rss 2\n')
    fake.fs.closeSync(gone)
  })

  test('serves mountinfo when given', () => {
    const { fs } = createFakeCgroupFs({}, { mountinfo: 'x\n' })
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe('x\n')
  })

  test('an unknown fixture case is a clear error', () => {
    expect(() => createFakeCgroupFs('no-such-case')).toThrow(/no cgroup fixture/)
  })
})
