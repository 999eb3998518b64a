import type * as nodeFs from 'node:fs'

/**
 * The part of node's `fs` API radvisor uses. `node:fs` in production (Bun implements it
 * natively), memfs in tests: inject it, never import `node:fs` where a test needs a fake.
 */
export type FileSystem = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'readSync'
  | 'writeSync'
  | 'closeSync'
  | 'ftruncateSync'
  | 'fsyncSync'
  | 'readdirSync'
  | 'statSync'
  | 'lstatSync'
  | 'readFileSync'
  | 'writeFileSync'
  | 'existsSync'
  | 'mkdirSync'
  | 'rmdirSync'
  | 'accessSync'
  | 'realpathSync'
  | 'readlinkSync'
  | 'unlinkSync'
>
