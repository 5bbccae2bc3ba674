// The observer Lambda entry (lambdas/observer.ts): which event runs which use case of the Fargate runtime.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createObserverHandler,
  decodeObserverEvent,
  InvalidObserverEventError,
} from '../../lambdas/observer.ts';

const documented = JSON.parse(
  readFileSync(join(import.meta.dirname, '../adapters/fargate/fixtures/running-documented.json'), 'utf8'),
) as unknown;

function fakeRuntime() {
  const calls: string[] = [];
  return {
    calls,
    runtime: {
      onTaskStateChange: async (event: unknown) => {
        calls.push(`event ${(event as { id: string }).id}`);
      },
      reconcile: async () => {
        calls.push('reconcile');
        return { tasks: 3 };
      },
    },
  };
}

describe('observer Lambda', () => {
  it('a task state change event goes to onTaskStateChange', async () => {
    const { calls, runtime } = fakeRuntime();
    expect(await createObserverHandler(() => runtime)(documented)).toEqual({});
    expect(calls).toEqual(['event 3317b2af-7005-947d-b652-f55e762e571a']);
  });

  it('the scheduled { reconcile: true } runs reconcile', async () => {
    const { calls, runtime } = fakeRuntime();
    expect(await createObserverHandler(() => runtime)({ reconcile: true })).toEqual({ tasks: 3 });
    expect(calls).toEqual(['reconcile']);
  });

  it('anything else is refused (EventBridge retries, then drops it)', () => {
    expect(() => decodeObserverEvent({ 'detail-type': 'ECS Service Action' })).toThrow(
      InvalidObserverEventError,
    );
    expect(() => decodeObserverEvent(undefined)).toThrow(/ECS Task State Change or \{ "reconcile": true \}/);
  });
});
