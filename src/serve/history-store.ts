/**
 * The incident history on disk, in node:sqlite (built into Node 24, so the controller needs no
 * database server and no native module). A controller restart keeps it; it stays bounded: past
 * `maxRows`, the incidents resolved longest ago are deleted. Open incidents are never pruned,
 * whatever their number: they are the current state, not history.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { NetdoctorError } from '../core/errors.ts';
import type { RootCause, RootCauseCategory, Subject } from '../core/model.ts';
import { diffIncidents, type Incident, type IncidentChange, type IncidentKey } from './incidents.ts';

/** Where the history lives: a file, or `:memory:` for none that outlives the process. */
export interface HistoryStoreOptions {
  path: string;
  /** Rows kept at most (open incidents beyond it are kept too). */
  maxRows: number;
}

/** Bumped with every change to the tables below; an older file is migrated, a newer one refused. */
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  category TEXT NOT NULL,
  subject TEXT NOT NULL,
  summary TEXT NOT NULL,
  appeared_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  resolved_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_one_open ON incidents(key) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS incidents_resolved ON incidents(resolved_at);
`;

interface Row {
  key: string;
  category: string;
  subject: string;
  summary: string;
  appeared_at: string;
  last_seen_at: string;
  resolved_at: string | null;
}

export class HistoryStore {
  readonly #db: DatabaseSync;
  readonly #maxRows: number;

  private constructor(db: DatabaseSync, maxRows: number) {
    this.#db = db;
    this.#maxRows = maxRows;
  }

  /** Opens (creating if need be) the history at `opts.path`. A file that cannot be used is a usage error. */
  static open(opts: HistoryStoreOptions): HistoryStore {
    let db: DatabaseSync;
    try {
      if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
      db = new DatabaseSync(opts.path);
      const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
      if (version > SCHEMA_VERSION)
        throw new Error(
          `it was written by a newer netdoctor (history schema ${version}, this one knows ${SCHEMA_VERSION})`,
        );
      // WAL: the server reads while the analysis loop writes, and a crash mid-write loses nothing committed.
      if (opts.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
      db.exec(SCHEMA);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    } catch (err) {
      throw new NetdoctorError('usage', 'the incident history cannot be opened', {
        path: opts.path,
        cause: err,
        suggestions: ['pass --history-db PATH to a writable file, or --history-db :memory: to keep none'],
      });
    }
    return new HistoryStore(db, opts.maxRows);
  }

  /** Incidents not resolved yet. */
  openIncidents(): Incident[] {
    return (
      this.#db
        .prepare('SELECT * FROM incidents WHERE resolved_at IS NULL ORDER BY id')
        .all() as unknown as Row[]
    ).map(incidentOf);
  }

  /**
   * Applies one report's root causes at `at` in one transaction, then prunes. Returns what
   * changed, so the caller can tell listeners.
   */
  record(rootCauses: readonly RootCause[], at: string): IncidentChange {
    const change = diffIncidents(this.openIncidents(), rootCauses, at);
    const insert = this.#db.prepare(
      'INSERT INTO incidents (key, category, subject, summary, appeared_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const touch = this.#db.prepare(
      'UPDATE incidents SET summary = ?, last_seen_at = ? WHERE key = ? AND resolved_at IS NULL',
    );
    const resolve = this.#db.prepare(
      'UPDATE incidents SET resolved_at = ? WHERE key = ? AND resolved_at IS NULL',
    );
    this.#db.exec('BEGIN');
    try {
      for (const i of change.opened)
        insert.run(i.key, i.category, JSON.stringify(i.subject), i.summary, i.appearedAt, i.lastSeenAt);
      for (const i of change.continued) touch.run(i.summary, i.lastSeenAt, i.key);
      for (const i of change.resolved) resolve.run(i.resolvedAt ?? at, i.key);
      this.#prune();
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
    return change;
  }

  /** Open incidents first, then the most recently resolved; at most `limit`. */
  list(limit: number): Incident[] {
    return (
      this.#db
        .prepare(
          'SELECT * FROM incidents ORDER BY resolved_at IS NOT NULL, COALESCE(resolved_at, appeared_at) DESC, id DESC LIMIT ?',
        )
        .all(limit) as unknown as Row[]
    ).map(incidentOf);
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM incidents').get() as { n: number }).n;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #prune(): void {
    this.#db
      .prepare(
        `DELETE FROM incidents WHERE id IN (
           SELECT id FROM incidents WHERE resolved_at IS NOT NULL ORDER BY resolved_at, id
           LIMIT max(0, (SELECT count(*) FROM incidents) - ?))`,
      )
      .run(this.#maxRows);
  }
}

function incidentOf(r: Row): Incident {
  return {
    key: r.key as IncidentKey,
    category: r.category as RootCauseCategory,
    subject: JSON.parse(r.subject) as Subject,
    summary: r.summary,
    appearedAt: r.appeared_at,
    lastSeenAt: r.last_seen_at,
    ...(r.resolved_at === null ? {} : { resolvedAt: r.resolved_at }),
  };
}
