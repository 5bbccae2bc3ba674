import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // As root, pods get network namespaces on a bridge: each run gets a bridge and pod CIDR of its own, removed at
    // the end (test/support/pod-network-global-setup.ts).
    globalSetup: ['test/support/pod-network-global-setup.ts'],
    testTimeout: 20_000,
  },
});
