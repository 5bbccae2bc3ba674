// Durability across kill -9: a process writing through SqlitePodStore is killed with SIGKILL in the middle of its
// writes; the file, opened again, holds every write the dead process had seen resolve, is intact, and goes on
// numbering resourceVersions above everything it handed out. (The contract suite's durability case reopens after a
// clean close; this one has no close at all: the WAL left behind is replayed by the next open.)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../../src/adapters/sqlite/sqlite-database.ts';
import { SqlitePodStore } from '../../../src/adapters/sqlite/sqlite-pod-store.ts';
import { podState } from '../../contract/pod-store.contract.ts';
import { ManualClock } from '../../support/manual-clock.ts';

const CHILD = fileURLToPath(new URL('./fixtures/write-until-killed.ts', import.meta.url));
/** Acknowledged writes to wait for before the kill: enough rounds that the kill lands mid-stream. */
const ACKS_BEFORE_KILL = 400;

type Ack = { op: 'create' | 'update'; name: string; rv: string } | { op: 'deliver' | 'event'; name: string };

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Runs the writer until it acknowledged `count` writes, kills it with SIGKILL, returns every acknowledgement. */
async function writeAndKill(file: string, count: number): Promise<Ack[]> {
  const child = spawn(process.execPath, [CHILD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.split('\n').length > count && child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
  });
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('close', (_code, sig) => resolve(sig)),
  );
  expect(signal, `the writer ended by itself: ${stderr}`).toBe('SIGKILL');
  // A line cut by the kill was never acknowledged.
  return out
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Ack);
}

it('every write acknowledged before kill -9 is there after reopening, and resourceVersions go on growing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'podflow-sqlite-kill-'));
  dirs.push(dir);
  const file = join(dir, 'podflow.db');
  const acks = await writeAndKill(file, ACKS_BEFORE_KILL);
  expect(acks.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
  // No clean close: the WAL is still there for the next open to replay.
  expect(existsSync(`${file}-wal`)).toBe(true);

  const db = openSqliteDatabase(file);
  try {
    expect(db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
    const store = new SqlitePodStore({ db, clock: new ManualClock() });
    const { items } = await store.list('default');
    const pods = new Map(items.map((p) => [p.key.name, p]));
    const byName = new Map<string, Ack[]>();
    for (const a of acks) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);

    for (const [name, done] of byName) {
      const pod = pods.get(name);
      expect(pod, `${name} was acknowledged`).toBeDefined();
      const created = done.find((a) => a.op === 'create') as { rv: string };
      const updated = done.find((a) => a.op === 'update') as { rv: string } | undefined;
      if (updated) {
        // The update resolved: its state, its version, and e<i> consumed.
        expect(pod!.resourceVersion).toBe(updated.rv);
        expect(pod!.state.engine.recentEventIds).toEqual([`e${name.slice(1)}`]);
        expect(pod!.inbox).toEqual([]);
      } else if (done.some((a) => a.op === 'deliver')) {
        // Delivered; the update may have committed without its acknowledgement reaching the pipe.
        if (pod!.resourceVersion === created.rv)
          expect(pod!.inbox.map((e) => e.id)).toEqual([`e${name.slice(1)}`]);
        else expect(pod!.inbox).toEqual([]);
      } else {
        expect(BigInt(pod!.resourceVersion)).toBeGreaterThanOrEqual(BigInt(created.rv));
      }
      if (done.some((a) => a.op === 'event'))
        expect((await store.listEvents('default', name)).map((e) => e.message)).toEqual([
          `round ${name.slice(1)}`,
        ]);
    }
    // At most the one round the kill interrupted left a pod nobody was told about.
    expect(pods.size - byName.size).toBeLessThanOrEqual(1);

    const newest = Math.max(...acks.flatMap((a) => ('rv' in a ? [Number(a.rv)] : [])));
    const after = await store.create(podState('after-kill'));
    expect(Number(after.resourceVersion)).toBeGreaterThan(newest);
  } finally {
    db.close();
  }
});
