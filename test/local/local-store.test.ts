// Which store the local engine runs on (src/local/local-store.ts), end to end: a pod reaches Running on each — the
// default SQLite file, dynalite on LevelDB, a DynamoDB endpoint, SQLite in memory — and its data lands where the
// option says. A data directory written by the other store is refused before anything is written to it.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoDbPodStore } from '../../src/adapters/dynamodb/dynamodb-pod-store.ts';
import { startDynalite } from '../../src/local/dynalite.ts';
import { startLocalEngine } from '../../src/local/local-engine.ts';
import {
  checkDataDirStore,
  DataDirStoreError,
  DYNALITE_DIR,
  LOCAL_TABLE_NAME,
  SQLITE_FILE,
} from '../../src/local/local-store.ts';
import { systemClock } from '../../src/ports/clock.ts';
import { E2eEngine, podManifest, sh, type E2eOptions } from '../e2e/support.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function freshDataDir(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'podflow-local-store-'));
  roots.push(root);
  return join(root, 'data');
}

/** Starts an engine with `options`, brings one pod to Running, and hands the engine to `check` before closing. */
async function runOnePod(options: E2eOptions, check?: (e: E2eEngine) => Promise<void>): Promise<void> {
  const e = await E2eEngine.start(options);
  try {
    await e.create(podManifest('web', { containers: [sh('app', 'exec sleep 30')] }));
    await e.waitForPhase('web', 'Running');
    await check?.(e);
  } finally {
    await e.close();
  }
}

describe('the local engine on each store', () => {
  it('by default: SQLite in <dataDir>/podflow.db, and the pod is there for the next engine', async () => {
    const dataDir = await freshDataDir();
    const first = await E2eEngine.start({ dataDir, inMemory: false });
    try {
      await first.create(podManifest('web', { containers: [sh('app', 'exec sleep 30')] }));
      await first.waitForPhase('web', 'Running');
      expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(true);
      expect(existsSync(join(dataDir, DYNALITE_DIR))).toBe(false);
    } finally {
      await first.abandon(); // stops the engine, leaves the pod and its container
    }
    const next = await E2eEngine.start({ dataDir, inMemory: false });
    try {
      expect(next.local.resumed).toBe(1);
      const web = await next.local.store.get({ namespace: 'default', name: 'web' });
      expect(web?.state.pod.status?.phase).toBe('Running');
    } finally {
      await next.close(); // deletes the pod
    }
  });

  it('store dynamodb: dynalite on LevelDB in <dataDir>/db', async () => {
    const dataDir = await freshDataDir();
    await runOnePod({ dataDir, inMemory: false, store: 'dynamodb' }, async () => {
      expect(existsSync(join(dataDir, DYNALITE_DIR, 'CURRENT'))).toBe(true);
      expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(false);
    });
  });

  it('store dynamodb with an endpoint: the pods live at the endpoint, nothing in the data directory', async () => {
    const dataDir = await freshDataDir();
    const endpoint = await startDynalite();
    try {
      await runOnePod(
        { dataDir, inMemory: false, store: 'dynamodb', dynamodbEndpoint: endpoint.endpoint },
        async () => {
          const atEndpoint = new DynamoDbPodStore({
            client: endpoint.client,
            tableName: LOCAL_TABLE_NAME,
            clock: systemClock,
          });
          const web = await atEndpoint.get({ namespace: 'default', name: 'web' });
          expect(web?.state.pod.status?.phase).toBe('Running');
          expect(existsSync(join(dataDir, DYNALITE_DIR))).toBe(false);
          expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(false);
        },
      );
    } finally {
      await endpoint.close();
    }
  });

  it('in memory: SQLite :memory:, no database file', async () => {
    const dataDir = await freshDataDir();
    await runOnePod({ dataDir, inMemory: true }, async () => {
      expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(false);
      expect(existsSync(join(dataDir, DYNALITE_DIR))).toBe(false);
    });
  });
});

describe('a data directory written by the other store', () => {
  it('SQLite (the default) on a dynalite/LevelDB directory: refused, naming the directory and both ways out', async () => {
    const dataDir = await freshDataDir();
    // What dynalite leaves: a LevelDB directory under <dataDir>/db.
    const dynalite = await startDynalite({ path: join(dataDir, DYNALITE_DIR) });
    await dynalite.close();

    const err = await startLocalEngine({ dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirStoreError);
    expect((err as Error).message).toBe(
      `the data directory ${dataDir} holds the pods of the DynamoDB store (dynalite/LevelDB in ${join(dataDir, DYNALITE_DIR)}): ` +
        `use --store dynamodb to keep using it, or move or remove ${dataDir} to start afresh with the SQLite store`,
    );
    expect(existsSync(join(dataDir, SQLITE_FILE))).toBe(false);

    // The way out it names works: the DynamoDB store opens the directory as it is.
    await runOnePod({ dataDir, inMemory: false, store: 'dynamodb' });
  });

  it.each([
    {
      name: 'dynamodb on a directory with podflow.db: refused',
      kind: 'dynamodb' as const,
      files: [SQLITE_FILE],
      refused: /holds the pods of the SQLite store \(.*podflow\.db\): use --store sqlite/,
    },
    {
      name: 'sqlite on a directory with its own podflow.db: fine',
      kind: 'sqlite' as const,
      files: [SQLITE_FILE],
    },
    {
      name: 'dynamodb on a directory with db/: fine',
      kind: 'dynamodb' as const,
      files: [`${DYNALITE_DIR}/CURRENT`],
    },
    { name: 'either on an empty directory: fine', kind: 'sqlite' as const, files: [] },
  ])('$name', async ({ kind, files, refused }) => {
    const dataDir = await freshDataDir();
    for (const file of files) {
      mkdirSync(join(dataDir, file, '..'), { recursive: true });
      writeFileSync(join(dataDir, file), '');
    }
    if (refused) expect(() => checkDataDirStore(dataDir, kind)).toThrow(refused);
    else expect(() => checkDataDirStore(dataDir, kind)).not.toThrow();
  });

  it('in memory, the files on disk do not matter: nothing is read from them', async () => {
    const dataDir = await freshDataDir();
    mkdirSync(join(dataDir, DYNALITE_DIR), { recursive: true });
    await runOnePod({ dataDir, inMemory: true });
  });
});
