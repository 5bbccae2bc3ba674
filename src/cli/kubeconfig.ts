// The kubeconfig `podflow serve` writes to `<data-dir>/kubeconfig`, so that
// `KUBECONFIG=.podflow/kubeconfig kubectl get pods` talks to it: one cluster (the local gateway's URL), one user (the
// bearer token when `--token` is set) and a context `podflow` that is current, namespace `default`.
import { writeFileSync, renameSync, chmodSync } from 'node:fs';
import { stringify } from 'yaml';

export const KUBECONFIG_FILE = 'kubeconfig';
export const KUBECONFIG_CONTEXT = 'podflow';

export interface KubeconfigOptions {
  server: string;
  token?: string;
  namespace?: string;
}

export function renderKubeconfig(o: KubeconfigOptions): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: KUBECONFIG_CONTEXT,
        // The server is plain HTTP on 127.0.0.1: there is no TLS to verify. kubectl ignores the flag for http://;
        // @kubernetes/client-node refuses http:// unless it is set ("HTTP protocol is not allowed when
        // skipTLSVerify is not set").
        cluster: { server: o.server, 'insecure-skip-tls-verify': true },
      },
    ],
    users: [{ name: KUBECONFIG_CONTEXT, user: o.token ? { token: o.token } : {} }],
    contexts: [
      {
        name: KUBECONFIG_CONTEXT,
        context: {
          cluster: KUBECONFIG_CONTEXT,
          user: KUBECONFIG_CONTEXT,
          namespace: o.namespace ?? 'default',
        },
      },
    ],
    'current-context': KUBECONFIG_CONTEXT,
    preferences: {},
  };
  return stringify(config);
}

/** Writes the file atomically, readable only by its owner (it may hold the token). */
export function writeKubeconfig(path: string, o: KubeconfigOptions): void {
  const tmp = `${path}.tmp.${process.pid}`;
  writeFileSync(tmp, renderKubeconfig(o), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
