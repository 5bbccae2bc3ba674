import { describe, expect, it } from 'vitest';
import { imageRepository, processArgv } from '../../src/core/image-entrypoint.ts';

describe('imageRepository', () => {
  it.each([
    ['busybox', 'busybox'],
    ['busybox:1.36', 'busybox'],
    ['docker.io/library/busybox:1.36', 'busybox'],
    ['library/alpine', 'alpine'],
    ['busybox@sha256:' + 'a'.repeat(64), 'busybox'],
    ['localhost:5000/busybox:latest', 'busybox'],
    ['registry.example.com/team/busybox:1', 'team/busybox'],
    ['ghcr.io/org/tool', 'org/tool'],
    ['someone/busybox', 'someone/busybox'],
  ])('%s → %s', (image, repository) => {
    expect(imageRepository(image)).toBe(repository);
  });
});

describe('processArgv', () => {
  it('command then args, whatever the image', () => {
    expect(processArgv('nginx', ['sh', '-c'], ['echo hi'])).toEqual(['sh', '-c', 'echo hi']);
    expect(processArgv('busybox', ['sleep'], ['1'])).toEqual(['sleep', '1']);
  });

  it('args alone for an image without ENTRYPOINT (kubectl run IMAGE -- ARGS)', () => {
    expect(processArgv('busybox', undefined, ['sleep', '30'])).toEqual(['sleep', '30']);
    expect(processArgv('docker.io/library/alpine:3.20', undefined, ['sh', '-c', 'true'])).toEqual([
      'sh',
      '-c',
      'true',
    ]);
  });

  it('nothing for an image whose entry point is not known, or without args', () => {
    expect(processArgv('nginx', undefined, ['-g', 'daemon off;'])).toEqual([]);
    expect(processArgv('someone/busybox', undefined, ['sleep', '1'])).toEqual([]);
    expect(processArgv('busybox', undefined, [])).toEqual([]);
    expect(processArgv(undefined, undefined, ['sleep', '1'])).toEqual([]);
  });
});
