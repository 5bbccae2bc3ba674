// The hook Lambda entry (lambdas/hook.ts): a request the engine sent runs to its end; anything else is refused.
import { describe, expect, it } from 'vitest';
import { createHookHandler, decodeHookRequest, InvalidHookRequestError } from '../../lambdas/hook.ts';
import type { HookRequest } from '../../src/ports/hook-runner.ts';

const request: HookRequest = {
  ref: { key: { namespace: 'default', name: 'web' }, podUid: 'u-1', container: 'app', instance: 0 },
  hook: 'preStop',
  handler: { sleep: { seconds: 1 } },
  container: { name: 'app', image: 'busybox' },
  timeoutSeconds: 30,
  podDescription: 'Container "app" in Pod "web_default(u-1)"',
  podIP: '10.0.1.7',
};

describe('decodeHookRequest', () => {
  it('takes the request as the engine sent it (through JSON)', () => {
    expect(decodeHookRequest(JSON.parse(JSON.stringify(request)))).toEqual(request);
  });

  it.each([
    ['another hook', { ...request, hook: 'postStop' }],
    ['no instance', { ...request, ref: { ...request.ref, instance: 'x' } }],
    ['no handler', { ...request, handler: null }],
    ['no pod', { ...request, ref: { ...request.ref, key: {} } }],
    ['nothing', undefined],
  ])('%s is refused with InvalidHookRequestError', (_name, event) => {
    expect(() => decodeHookRequest(event)).toThrow(InvalidHookRequestError);
  });
});

describe('the handler', () => {
  it('runs the hook to its end before the invocation returns', async () => {
    const done: string[] = [];
    const handler = createHookHandler(async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      done.push(`${r.hook} ${r.ref.container}#${r.ref.instance}`);
    });
    await handler(request);
    expect(done).toEqual(['preStop app#0']);
  });

  it('a delivery that fails fails the invocation (Lambda retries it)', async () => {
    const handler = createHookHandler(async () => {
      throw new Error('table unavailable');
    });
    await expect(handler(request)).rejects.toThrow('table unavailable');
  });
});
