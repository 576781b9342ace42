import type { ResolvConf } from '../../core/datapath-types.ts';

/**
 * Parses resolv.conf the way the glibc resolver reads it: `nameserver` lines accumulate,
 * the last `search` or `domain` line wins, `options` accumulate; unknown keywords are ignored.
 */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const [keyword, ...args] = line.split(/\s+/);
    switch (keyword) {
      case 'nameserver':
        if (args[0] !== undefined) out.nameservers.push(args[0]);
        break;
      case 'search':
      case 'domain':
        out.search = args;
        break;
      case 'options':
        out.options.push(...args);
        break;
    }
  }
  return out;
}
