// The configuration the cloud tests give a real AWS SDK v3 client to reach an emulator: its endpoint, the harness's
// region and fixed test credentials (the emulators check no signatures; the API front does, test/cloud/emulators/
// api-gateway.ts).
import { DEFAULT_SCOPE } from '../emulators/aws-wire.ts';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDPODFLOWTEST', secretAccessKey: 'podflow-test-secret' };

export const sdkConfig = (endpoint: string) => ({
  endpoint,
  region: DEFAULT_SCOPE.region,
  credentials: TEST_CREDENTIALS,
  maxAttempts: 1,
});

/** Resolves once `check` returns a value other than undefined/false; polls every `everyMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
