import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two files at a time, whatever the core count (vitest's default is cores − 1, one file on the 2-core CI machine).
    // The suite mostly waits — on processes, probes, scaled clocks, emulated AWS — rather than computes: run one file
    // at a time it took 891 s of which its CPU time was 11.5 min; two at a time, 480 s.
    maxWorkers: 2,
    // As root, pods get network namespaces on a bridge: each run gets a bridge and pod CIDR of its own, removed at
    // the end (test/support/pod-network-global-setup.ts).
    globalSetup: ['test/support/pod-network-global-setup.ts'],
    testTimeout: 20_000,
  },
});
