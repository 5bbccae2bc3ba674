// Sandboxes across engine restarts (docs/architecture.md §6, §9): an engine with 20 sandboxed pods is killed with
// SIGKILL; the next engine on the same data directory re-adopts every pause process with its address — no pod
// changes address, a new pod gets one nobody has — and an engine that finds sandboxes of pods its store does not
// have (here: a store kept in memory, so every pod is gone) removes them at start: pause processes, namespaces,
// veths and addresses. The network namespaces and veths this test's pods hold are counted while they run (one
// each per pod, none there before) and after (none left): nothing leaks, whatever other tests run on the bridge.
// Needs root and namespaces; skipped with the reason printed otherwise.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pauseDir } from '../../src/adapters/process/instance-layout.ts';
import { IpAllocator } from '../../src/adapters/process/ip-allocator.ts';
import { vethName } from '../../src/adapters/process/pod-network.ts';
import { readShimState } from '../../src/adapters/process/shim-state.ts';
import {
  eventually,
  namespaceSkipReason,
  netNamespaces,
  nsOf,
  pausesUnder,
  testBridge,
  vethsOnBridge,
} from '../support/pod-network.ts';
import { E2eEngine, engineScratch, keyOf, podManifest, sh } from './support.ts';

const skip = await namespaceSkipReason('test/e2e/sandbox-restart.test.ts');
const CHILD = fileURLToPath(new URL('./fixtures/sandbox-engine-child.ts', import.meta.url));
const PODS = 20;

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts the child engine; resolves with the pods' addresses once all are Running. */
async function runChild(dataDir: string): Promise<{ child: ChildProcess; ips: Record<string, string> }> {
  const child = spawn(process.execPath, [CHILD, dataDir, String(PODS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ips = await new Promise<Record<string, string>>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`child engine not ready in 60 s; stderr: ${stderr}`)),
      60_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve((JSON.parse(out.slice(0, nl)) as { ready: Record<string, string> }).ready);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child engine exited (${code ?? signal}) before ready: ${stderr}`));
    });
  });
  return { child, ips };
}

describe.skipIf(skip)('sandboxes across a kill -9 of the engine', () => {
  it(`${PODS} pods keep their addresses; sandboxes of pods that are gone are removed at start; nothing leaks`, async () => {
    // Other test files run pods on the same bridge meanwhile: what is counted is what this test's pods hold.
    const namespacesBefore = netNamespaces();
    const { dataDir, cleanup } = await engineScratch('podflow-e2e-sandbox-restart-');
    cleanups.push(cleanup);

    const { child, ips } = await runChild(dataDir);
    const addresses = Object.values(ips);
    expect(addresses).toHaveLength(PODS);
    expect(new Set(addresses).size).toBe(PODS);
    const pauses = pausesUnder(dataDir).sort();
    expect(pauses).toHaveLength(PODS);
    const ours = new Set(pauses.map((pid) => nsOf(pid)!));
    expect(ours.size).toBe(PODS); // a network namespace per pod, none of them there before
    // None of them is one that was there before: no process that was in it then is in it now. (Its inode alone
    // cannot say: another file's pod may have left a namespace whose number one of ours now has.)
    const heldBefore = (ns: string): boolean =>
      [...(namespacesBefore.get(ns) ?? [])].some((pid) => nsOf(pid) === ns);
    expect([...ours].filter(heldBefore)).toEqual([]);
    const veths = addresses.map(vethName);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    // The next engine re-adopts every sandbox: the same pause processes, the same addresses.
    const e = await E2eEngine.start({ dataDir, inMemory: false });
    cleanups.push(() => rm(e.scratch, { recursive: true, force: true })); // abandon() keeps it
    expect(e.local.resumed).toBe(PODS);
    for (const [name, ip] of Object.entries(ips)) {
      // Resumed pods that were Running stay so without a commit: read them from the store.
      const s = (await e.local.store.get(keyOf(name)))!.state;
      expect(s.pod.status?.phase, name).toBe('Running');
      expect(s.pod.status?.podIP, name).toBe(ip);
      expect((await readShimState(pauseDir(dataDir, s.pod.metadata.uid)))?.phase).toBe('running');
    }
    expect(pausesUnder(dataDir).sort()).toEqual(pauses);
    expect(vethsOnBridge()).toEqual(expect.arrayContaining(addresses.map(vethName)));
    // No address is handed out twice: a new pod gets one of its own.
    await e.create(podManifest('newcomer', { containers: [sh('app', 'exec sleep 600')] }));
    const newcomer = (await e.waitForPhase('newcomer', 'Running')).pod.status!.podIP!;
    expect(addresses).not.toContain(newcomer);
    veths.push(vethName(newcomer));
    for (const pid of pausesUnder(dataDir)) ours.add(nsOf(pid)!);
    expect(ours.size).toBe(PODS + 1);
    // The processes in these namespaces now (live namespaces: no other has one of these numbers meanwhile).
    const ourProcesses = [...netNamespaces()].filter(([ns]) => ours.has(ns)).flatMap(([, pids]) => [...pids]);
    expect(vethsOnBridge()).toEqual(expect.arrayContaining(veths));
    await e.abandon();

    // An engine whose store does not have these pods (kept in memory) removes their sandboxes at start.
    const fresh = await E2eEngine.start({ dataDir, inMemory: true });
    cleanups.push(() => fresh.close());
    expect(pausesUnder(dataDir)).toEqual([]);
    expect(await fresh.local.runtime.listSandboxes()).toEqual([]);
    expect([...new IpAllocator(join(dataDir, 'network', testBridge())).allocations()]).toEqual([]);
    // The kernel tears network namespaces (and the veths in them) down asynchronously.
    const leftVeths = (): string[] => vethsOnBridge().filter((v) => veths.includes(v));
    // A namespace is left while one of those processes is still in it.
    const leftNamespaces = (): string[] =>
      ourProcesses.map((pid) => nsOf(pid)).filter((ns): ns is string => ns !== undefined && ours.has(ns));
    await eventually(() => leftVeths().length === 0 && leftNamespaces().length === 0, 10_000);
    expect(leftVeths()).toEqual([]);
    expect(leftNamespaces()).toEqual([]);
  }, 120_000);
});
