// The identity a Fargate task carries and the next task's (docs/decisions/0006-fargate-runtime.md §1, §2).
import { describe, expect, it } from 'vitest';
import {
  clientTokenFor,
  decodeSandboxIdentity,
  encodeSandboxIdentity,
  nextSandbox,
  startedByFor,
  type SandboxIdentity,
} from '../../../src/adapters/fargate/sandbox-identity.ts';

const UID = '6f1c2b9a-0d3e-4c5f-8a7b-9e8d7c6b5a41';
const pod = { key: { namespace: 'default', name: 'p' }, uid: UID, containers: ['init', 'app', 'side'] };
const idle = (instance: number) => ({ instance, starting: false });
const waiting = (instance: number) => ({ instance, starting: true });

describe('sandbox identity', () => {
  it('round-trips through the pause container override; anything else decodes to nothing', () => {
    const id: SandboxIdentity = { key: pod.key, uid: UID, generation: 3, instances: { app: 4, init: 3 } };
    expect(decodeSandboxIdentity(encodeSandboxIdentity(id))).toEqual(id);
    expect(decodeSandboxIdentity('{"v":2}')).toBeUndefined();
    expect(decodeSandboxIdentity('not json')).toBeUndefined();
    expect(decodeSandboxIdentity(undefined)).toBeUndefined();
  });

  it('client tokens: one per generation, within RunTask limits (64 characters, 33–126)', () => {
    expect(clientTokenFor(UID, 0)).toBe(`${UID}/0`);
    expect(clientTokenFor(UID, 12)).toBe(`${UID}/12`);
    const odd = clientTokenFor('ü'.repeat(70), 1);
    expect(odd).toMatch(/^[0-9a-f]{48}\/1$/);
    expect(clientTokenFor('ü'.repeat(70), 1)).toBe(odd);
  });

  it('startedBy is the uid when RunTask allows it, a hash otherwise', () => {
    expect(startedByFor(UID)).toBe(UID);
    expect(startedByFor('a.b')).toMatch(/^podflow-[0-9a-f]{40}$/);
  });
});

describe('the next task', () => {
  it('the first sandbox: generation 0, every container at instance 0', () => {
    expect(nextSandbox(pod, undefined, { init: idle(-1), app: idle(-1), side: idle(-1) })).toEqual({
      key: pod.key,
      uid: UID,
      generation: 0,
      instances: { init: 0, app: 0, side: 0 },
    });
  });

  it('a restart: the container the core waits for at its instance, the others one past the current task', () => {
    const current = { key: pod.key, uid: UID, generation: 2, instances: { init: 2, app: 5, side: 3 } };
    expect(nextSandbox(pod, current, { init: idle(2), app: waiting(6), side: idle(3) })).toMatchObject({
      generation: 3,
      instances: { init: 3, app: 6, side: 4 },
    });
  });

  it('the same inputs give the same task (a retried start), so the same client token', () => {
    const current = { key: pod.key, uid: UID, generation: 2, instances: { init: 2, app: 5, side: 3 } };
    const engine = { init: idle(2), app: waiting(6), side: idle(3) };
    expect(nextSandbox(pod, current, engine)).toEqual(nextSandbox(pod, current, engine));
  });

  it('without a current task (ECS forgot it): past every instance the engine started, in a new generation', () => {
    expect(nextSandbox(pod, undefined, { init: idle(4), app: waiting(9), side: idle(7) })).toMatchObject({
      generation: 8,
      instances: { init: 5, app: 9, side: 8 },
    });
  });
});
