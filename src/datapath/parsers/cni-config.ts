import type { CniConfigFile } from '../../core/datapath-types.ts';
import { isObject } from './json-input.ts';

/**
 * Parses one file of /etc/cni/net.d: a `.conflist` (`plugins: [...]`) or a single-plugin
 * `.conf` (`type`). Never throws: a broken file is exactly what `cni.config-missing` reports,
 * so it comes back with `error` set and whatever could be read.
 */
export function parseCniConfig(file: string, text: string): CniConfigFile {
  const out: CniConfigFile = { file, plugins: [], raw: text };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    out.error = `not valid JSON: ${(err as Error).message}`;
    return out;
  }
  if (!isObject(data)) {
    out.error = 'not a JSON object';
    return out;
  }
  if (typeof data['name'] === 'string') out.name = data['name'];
  if (typeof data['cniVersion'] === 'string') out.cniVersion = data['cniVersion'];
  const plugins = data['plugins'];
  if (Array.isArray(plugins)) {
    for (const [i, p] of plugins.entries()) {
      if (isObject(p) && typeof p['type'] === 'string') out.plugins.push(p['type']);
      else out.error ??= `plugin ${i} has no "type"`;
    }
    if (plugins.length === 0) out.error ??= 'conflist has an empty "plugins" list';
  } else if (typeof data['type'] === 'string') {
    out.plugins.push(data['type']);
  } else {
    out.error = 'neither a conflist ("plugins") nor a plugin config ("type")';
  }
  if (out.name === undefined) out.error ??= 'no "name"';
  return out;
}
