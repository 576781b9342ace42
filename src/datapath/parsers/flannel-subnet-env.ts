import type { FlannelSubnetEnv } from '../../core/datapath-types.ts';

/**
 * Parses /run/flannel/subnet.env, which flanneld writes as `KEY=value` lines
 * (FLANNEL_NETWORK, FLANNEL_SUBNET, FLANNEL_MTU, FLANNEL_IPMASQ; IPv6 keys are ignored).
 */
export function parseFlannelSubnetEnv(text: string): FlannelSubnetEnv {
  const out: FlannelSubnetEnv = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`subnet.env: line ${i + 1} is not KEY=value: "${line.slice(0, 80)}"`);
    const key = line.slice(0, eq).trim();
    const value = line
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    switch (key) {
      case 'FLANNEL_NETWORK':
        out.network = value;
        break;
      case 'FLANNEL_SUBNET':
        out.subnet = value;
        break;
      case 'FLANNEL_MTU': {
        const mtu = Number(value);
        if (!Number.isInteger(mtu) || mtu <= 0)
          throw new Error(`subnet.env: FLANNEL_MTU is not a number: "${value}"`);
        out.mtu = mtu;
        break;
      }
      case 'FLANNEL_IPMASQ':
        out.ipmasq = value === 'true';
        break;
    }
  }
  return out;
}
