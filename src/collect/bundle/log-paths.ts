/**
 * Container logs live in ClusterState.logs under `<ns>/<pod>/<container>` (and
 * `<ns>/<pod>/<container>/previous` for the last crashed run) and in the bundle under layout.ts's
 * logFile(). These two functions translate between the two, so writer and reader agree.
 */
import { logFile } from './layout.ts';

/** Bundle path for a ClusterState.logs key, or undefined when the key is not of that shape. */
export function logPathForKey(key: string): string | undefined {
  const parts = key.split('/');
  const previous = parts.length === 4 && parts[3] === 'previous';
  if (parts.length !== 3 && !previous) return undefined;
  const [ns, pod, container] = parts as [string, string, string];
  if (![ns, pod, container].every(isPathSegment)) return undefined;
  return logFile(ns, pod, container, previous);
}

/** ClusterState.logs key for a bundle path under logs/, or undefined for any other path. */
export function logKeyForPath(path: string): string | undefined {
  const m = /^logs\/([^/]+)\/([^/]+)\/([^/]+?)(\.previous)?\.log$/.exec(path);
  if (!m) return undefined;
  return `${m[1]}/${m[2]}/${m[3]}${m[4] ? '/previous' : ''}`;
}

/** A name usable as one directory or file name: Kubernetes names always are. */
export function isPathSegment(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

/** A bundle-relative path that cannot escape the bundle directory. */
export function isSafeRelativePath(path: string): boolean {
  return !path.startsWith('/') && path.split('/').every(isPathSegment);
}
