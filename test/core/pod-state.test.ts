// The stored pod state's boundaries: only a defaulted, validated pod becomes an AdmittedPod, and a store reads back
// only states of the schema version this podflow writes.
import type { Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { admittedPod, POD_STATE_SCHEMA_VERSION, readPodState } from '../../src/core/pod-state.ts';
import { newPodState } from '../../src/core/reconcile.ts';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
  spec: { containers: [{ name: 'app', image: 'busybox' }] },
};

describe('admittedPod', () => {
  it.each([
    { name: 'no spec', pod: { ...pod, spec: undefined } },
    { name: 'no uid', pod: { ...pod, metadata: { name: 'web', namespace: 'default' } } },
    { name: 'no namespace', pod: { ...pod, metadata: { name: 'web', uid: 'u-1' } } },
    { name: 'no name', pod: { ...pod, metadata: { namespace: 'default', uid: 'u-1' } } },
  ])('refuses a pod with $name', ({ pod: p }) => {
    expect(() => admittedPod(p)).toThrow(/was not defaulted and validated/);
  });

  it('passes a complete pod through unchanged', () => {
    expect(admittedPod(pod)).toBe(pod);
  });
});

describe('readPodState', () => {
  const state = newPodState(pod);

  it('round-trips a state written by this version', () => {
    expect(state.schemaVersion).toBe(POD_STATE_SCHEMA_VERSION);
    expect(readPodState(JSON.stringify(state))).toEqual(state);
  });

  it('reads a state stored without a version as version 1', () => {
    const { schemaVersion: _omitted, ...old } = state;
    expect(readPodState(JSON.stringify(old))).toEqual(state);
  });

  it('refuses a state from a newer schema, naming the pod', () => {
    const newer = JSON.stringify({ ...state, schemaVersion: POD_STATE_SCHEMA_VERSION + 1 });
    expect(() => readPodState(newer)).toThrow(/stored pod default\/web has state schema version 2/);
  });
});
