/**
 * Parses /proc/modules (`name size refcount deps state address` per line) into the module
 * names. A line with fewer fields or a non-numeric size is not /proc/modules content.
 */
export function parseProcModules(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || !/^\d+$/.test(f[1]!)) {
      throw new Error(`/proc/modules: line ${i + 1} is not "name size refcount ...": "${line.slice(0, 80)}"`);
    }
    out.push(f[0]!);
  }
  return out;
}
