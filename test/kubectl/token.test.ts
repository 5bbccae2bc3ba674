// kubectl against `podflow serve --token`: kubectl sends a kubeconfig's credentials only over TLS (client-go
// tools/clientcmd/client_config.go), so serve answers https:// on the same port with a certificate of its data
// directory, which the kubeconfig trusts (src/local/serving-certificate.ts); plain http:// stays for the web UI.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KUBECTL, eventually, startServe, type Served } from './harness.ts';

const TOKEN = 'kubectl-token-suite';
let served: Served;
let server: string;

beforeAll(async () => {
  if (!KUBECTL) return;
  served = await startServe('token', ['--token', TOKEN]);
  const config = parse(readFileSync(served.env.KUBECONFIG!, 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data'?: string } }>;
  };
  server = config.clusters[0]!.cluster.server;
}, 30_000);

afterAll(async () => {
  await served?.stop();
}, 60_000);

describe.skipIf(!KUBECTL)('kubectl and podflow serve --token', () => {
  it('the kubeconfig names https:// and a CA whose certificate is the one served for 127.0.0.1', () => {
    expect(server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(served.output()).toContain(`Kubernetes API on ${server}`);
    const config = parse(readFileSync(served.env.KUBECONFIG!, 'utf8')) as {
      clusters: Array<{ cluster: { 'certificate-authority-data': string } }>;
    };
    const ca = new X509Certificate(
      Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64'),
    );
    expect(ca.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(ca.verify(ca.publicKey)).toBe(true);
  });

  it('kubectl with only the kubeconfig is let in: get, run, logs and exec', async () => {
    const ns = await served.kubectl(['get', 'namespaces', '-o', 'name']);
    expect(ns.stderr).toBe('');
    expect(ns.stdout).toContain('namespace/default');

    // busybox has no ENTRYPOINT: `kubectl run … -- ARGS` runs ARGS (core/image-entrypoint.ts).
    const run = await served.kubectl([
      'run',
      'greeter',
      '--image=busybox',
      '--',
      'sh',
      '-c',
      'echo hello; sleep 30',
    ]);
    expect(run.stdout).toContain('pod/greeter created');
    await eventually(
      async () => (await served.kubectl(['logs', 'greeter'])).stdout === 'hello\n',
      20_000,
      'the logs of greeter',
    );
    const exec = await served.kubectl(['exec', 'greeter', '--', 'echo', 'over-tls']);
    expect(exec).toMatchObject({ code: 0, stdout: 'over-tls\n' });
  });

  it('a wrong token gets 401: kubectl says to log in', async () => {
    const r = await served.kubectl(['get', 'pods', '--token', 'wrong']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('You must be logged in to the server');
  });

  it('the same port still answers plain HTTP: the web UI, and the API with the token', async () => {
    const http = server.replace('https://', 'http://');
    const ui = await fetch(`${http}/ui/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<!doctype html>');
    const pods = await fetch(`${http}/api/v1/namespaces/default/pods`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(pods.status).toBe(200);
    expect((await fetch(`${http}/api/v1/namespaces/default/pods`)).status).toBe(401);
  });
});
