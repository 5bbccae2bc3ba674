// SqliteTimerTable: LocalWakeupScheduler's timers in the `timers` table of the local SQLite database
// (sqlite-database.ts), next to the pods they wake. Every call is one statement, atomic by itself; node:sqlite runs
// it before returning, so once a call has resolved the row is in the WAL (durable across kill -9, see
// sqlite-database.ts).
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { PodKey } from '../../ports/pod-key.ts';
import type { StoredTimer, TimerTable } from '../local-timers/timer-table.ts';

export interface SqliteTimerTableOptions {
  /** A connection from openSqliteDatabase (schema in place). The table never closes it. */
  db: DatabaseSync;
}

interface TimerRow {
  namespace: string;
  name: string;
  timer_id: string;
  at: number;
}

export class SqliteTimerTable implements TimerTable {
  readonly #put: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteIfAt: StatementSync;
  readonly #list: StatementSync;

  constructor(options: SqliteTimerTableOptions) {
    const { db } = options;
    this.#put = db.prepare(
      'INSERT INTO timers (namespace, name, timer_id, at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (namespace, name, timer_id) DO UPDATE SET at = excluded.at',
    );
    this.#delete = db.prepare('DELETE FROM timers WHERE namespace = ? AND name = ? AND timer_id = ?');
    this.#deleteIfAt = db.prepare(
      'DELETE FROM timers WHERE namespace = ? AND name = ? AND timer_id = ? AND at = ?',
    );
    this.#list = db.prepare('SELECT namespace, name, timer_id, at FROM timers');
  }

  async put({ key, timerId, at }: StoredTimer): Promise<void> {
    this.#put.run(key.namespace, key.name, timerId, at);
  }

  async delete(key: PodKey, timerId: string): Promise<void> {
    this.#delete.run(key.namespace, key.name, timerId);
  }

  async deleteIfAt(key: PodKey, timerId: string, at: number): Promise<void> {
    this.#deleteIfAt.run(key.namespace, key.name, timerId, at);
  }

  async list(): Promise<StoredTimer[]> {
    return (this.#list.all() as unknown as TimerRow[]).map((row) => ({
      key: { namespace: row.namespace, name: row.name },
      timerId: row.timer_id,
      at: row.at,
    }));
  }
}
