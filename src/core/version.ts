import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** netdoctor's own version, from package.json (one source of truth). */
export const NETDOCTOR_VERSION: string = (require('../../package.json') as { version: string }).version;
