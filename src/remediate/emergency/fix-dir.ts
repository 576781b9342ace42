/**
 * The emergency bypass's fix directory: the executor's layout (fix-<timestamp>/ with backups/
 * and audit.jsonl), plus a record naming the namespaces and the policies backed up, which
 * `fix --revert` reads back. The backups are the policies exactly as the API returned them,
 * one JSON file each, so a revert restores from nothing but this directory.
 */
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NetdoctorError } from '../../core/errors.ts';
import { BYPASS_NAME } from './bypass-policy.ts';
import { asWirePolicy, type WirePolicy } from './policy-canon.ts';

/** The action's id in the audit log and the record. Not a StepId: no rule may name it. */
export const EMERGENCY_ACTION = 'emergency-allow-all';

/** The record file of an emergency bypass; a fix directory without it holds none. */
export const RECORD_FILE = 'emergency-allow-all.json';
/** The executor's audit log and backup directory names, shared so a fix directory reads the same. */
export const AUDIT_FILE = 'audit.jsonl';
export const BACKUP_DIR = 'backups';

/** What `fix --emergency-allow-all` wrote and `fix --revert` reads. */
export interface EmergencyRecord {
  action: typeof EMERGENCY_ACTION;
  version: 1;
  createdAt: string;
  /** The API server the bypass was applied on: a revert against another cluster is refused. */
  server: string;
  /** Per namespace, the names of the policies it held (backed up), sorted. */
  namespaces: { namespace: string; policies: string[] }[];
}

/** A namespace's backups as read back from a fix directory. */
export interface NamespaceBackup {
  namespace: string;
  policies: WirePolicy[];
}

/** The fix directory's name for a run started at `now` (the executor's format). */
export function fixDirName(now: Date): string {
  return `fix-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/** A DNS-1123 label: every namespace name is one. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain: every NetworkPolicy name is one (no `/`, so safe in a file name). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Whether a string can name a namespace (also keeps it safe in a file name). */
export function isNamespaceName(s: string): boolean {
  return DNS_LABEL.test(s);
}

/** The backup file of one policy, relative to the fix directory. */
export function backupFile(namespace: string, name: string): string {
  return join(BACKUP_DIR, `${EMERGENCY_ACTION}--NetworkPolicy--${namespace}--${name}.json`);
}

/** The record parsed from JSON, or what is wrong with it. */
export function parseEmergencyRecord(x: unknown): EmergencyRecord | { error: string } {
  if (typeof x !== 'object' || x === null) return { error: 'not a JSON object' };
  const r = x as Record<string, unknown>;
  if (r['action'] !== EMERGENCY_ACTION) return { error: `action is not ${EMERGENCY_ACTION}` };
  if (r['version'] !== 1) return { error: `unknown version ${JSON.stringify(r['version'])}` };
  if (typeof r['createdAt'] !== 'string' || typeof r['server'] !== 'string')
    return { error: 'no createdAt or server' };
  const nss = r['namespaces'];
  if (!Array.isArray(nss) || nss.length === 0) return { error: 'no namespaces' };
  const namespaces: EmergencyRecord['namespaces'] = [];
  for (const n of nss as unknown[]) {
    const e = n as { namespace?: unknown; policies?: unknown };
    if (typeof e?.namespace !== 'string' || !isNamespaceName(e.namespace))
      return { error: `not a namespace name: ${JSON.stringify(e?.namespace)}` };
    if (
      !Array.isArray(e.policies) ||
      !e.policies.every((p) => typeof p === 'string' && DNS_SUBDOMAIN.test(p))
    )
      return { error: `namespace ${e.namespace}: policies is not a list of policy names` };
    if (e.policies.includes(BYPASS_NAME))
      return { error: `namespace ${e.namespace}: the bypass itself is listed as a backup` };
    namespaces.push({ namespace: e.namespace, policies: e.policies as string[] });
  }
  return {
    action: EMERGENCY_ACTION,
    version: 1,
    createdAt: r['createdAt'],
    server: r['server'],
    namespaces,
  };
}

/** Appends one line to the fix directory's audit log. */
export function auditTo(fixDir: string, now: () => Date): (entry: Record<string, unknown>) => Promise<void> {
  return (entry) =>
    appendFile(
      join(fixDir, AUDIT_FILE),
      `${JSON.stringify({ time: now().toISOString(), step: EMERGENCY_ACTION, ...entry })}\n`,
    );
}

/**
 * Creates the fix directory and writes the record and every backup, before anything changes.
 * Each backup is the object exactly as listed (JSON, pretty-printed), nothing removed.
 */
export async function writeEmergencyFixDir(
  fixDir: string,
  record: EmergencyRecord,
  backups: NamespaceBackup[],
  audit: (entry: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  await mkdir(join(fixDir, BACKUP_DIR), { recursive: true });
  for (const b of backups) {
    for (const p of b.policies) {
      const file = backupFile(b.namespace, p.metadata.name);
      await writeFile(join(fixDir, file), `${JSON.stringify(p, null, 2)}\n`);
      await audit({ event: 'backup', object: `NetworkPolicy ${b.namespace}/${p.metadata.name}`, file });
    }
  }
  await writeFile(join(fixDir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

function refuse(dir: string, message: string, suggestions: string[] = []): NetdoctorError {
  return new NetdoctorError('usage', message, {
    path: dir,
    suggestions: [
      ...suggestions,
      'pass the fix-<timestamp>/ directory that `fix --emergency-allow-all` printed',
    ],
  });
}

async function isDir(path: string): Promise<boolean | undefined> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return undefined;
  }
}

/**
 * Reads a fix directory back for `fix --revert`, refusing (exit 2) anything that is not a fix
 * directory, holds no emergency bypass, or whose record or backups do not read as written.
 */
export async function readEmergencyFixDir(
  dir: string,
): Promise<{ record: EmergencyRecord; backups: NamespaceBackup[] }> {
  const kind = await isDir(dir);
  if (kind === undefined) throw refuse(dir, `--revert: ${dir} does not exist`);
  if (!kind) throw refuse(dir, `--revert: ${dir} is not a directory`);
  const [hasAudit, hasBackups] = await Promise.all([
    stat(join(dir, AUDIT_FILE)).then(
      (s) => s.isFile(),
      () => false,
    ),
    isDir(join(dir, BACKUP_DIR)),
  ]);
  if (!hasAudit || hasBackups !== true)
    throw refuse(
      dir,
      `--revert: ${dir} is not a netdoctor fix directory (no ${AUDIT_FILE} and ${BACKUP_DIR}/)`,
    );
  let text: string;
  try {
    text = await readFile(join(dir, RECORD_FILE), 'utf8');
  } catch {
    throw refuse(
      dir,
      `--revert: ${dir} holds no emergency bypass (no ${RECORD_FILE}); it is the record of an ordinary repair, which rolls itself back`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw refuse(dir, `--revert: ${RECORD_FILE} is not JSON: ${err instanceof Error ? err.message : err}`);
  }
  const record = parseEmergencyRecord(parsed);
  if ('error' in record) throw refuse(dir, `--revert: ${RECORD_FILE} is malformed: ${record.error}`);
  const backups: NamespaceBackup[] = [];
  for (const n of record.namespaces) {
    const policies: WirePolicy[] = [];
    for (const name of n.policies) {
      const file = backupFile(n.namespace, name);
      let p: ReturnType<typeof asWirePolicy>;
      try {
        p = asWirePolicy(JSON.parse(await readFile(join(dir, file), 'utf8')));
      } catch (err) {
        throw refuse(
          dir,
          `--revert: cannot read the backup ${file}: ${err instanceof Error ? err.message : err}`,
        );
      }
      if ('error' in p) throw refuse(dir, `--revert: the backup ${file} is not a NetworkPolicy: ${p.error}`);
      if (p.metadata.name !== name || (p.metadata.namespace ?? n.namespace) !== n.namespace)
        throw refuse(dir, `--revert: the backup ${file} holds ${p.metadata.namespace}/${p.metadata.name}`);
      policies.push(p);
    }
    backups.push({ namespace: n.namespace, policies });
  }
  return { record, backups };
}
