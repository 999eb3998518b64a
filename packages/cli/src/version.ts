import manifest from '../package.json' with { type: 'json' }

/** radvisor's version, from the cli package's manifest. */
export const version: string = manifest.version
