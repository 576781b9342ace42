/**
 * Parses `sysctl` output: `key = value` lines (also `key=value`, as /etc/sysctl.conf writes
 * them). Values keep their inner whitespace (`net.ipv4.tcp_rmem = 4096	131072	6291456`).
 */
export function parseSysctl(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`sysctl: line ${i + 1} is not "key = value": "${line.slice(0, 80)}"`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}
