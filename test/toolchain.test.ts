import { describe, expect, it } from 'vitest';

describe('toolchain', () => {
  it('runs on the pinned Node.js 22, not the machine default', () => {
    const [major, minor] = process.versions.node.split('.').map(Number);
    expect(major! > 22 || (major === 22 && minor! >= 12)).toBe(true);
  });
});
