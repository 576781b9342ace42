/**
 * Kubernetes rewrites a container's `command` and `args` before running them: `$(VAR)` becomes
 * the value of an environment variable and `$$` becomes `$`. Scripts netdoctor hands to its pods
 * are shell, where `$$` is the shell's PID and `$(...)` a command substitution, so every `$` is
 * doubled here and the container runs exactly the text that was written.
 */
export function literalCommand(argv: readonly string[]): string[] {
  // A replacer function: a replacement *string* of '$$' would itself mean one '$'.
  return argv.map((a) => a.replaceAll('$', () => '$$'));
}
