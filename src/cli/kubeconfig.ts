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
  /**
   * A credential plugin instead of a token: kubectl runs `command args…` for an ExecCredential before its requests
   * and again when the credential expires (client-go plugin/pkg/client/auth/exec). The cloud's `podflow token`.
   */
  exec?: { command: string; args: string[]; env?: { name: string; value: string }[] };
  namespace?: string;
  /** PEM of the CA that signed an https:// server's certificate, when the system's trust store does not know it. */
  certificateAuthority?: string;
  /** The cluster, user and context name. Default `podflow`. */
  name?: string;
}

/** The ExecCredential API version podflow's plugin speaks (client-go accepts v1beta1 and v1). */
export const EXEC_CREDENTIAL_API_VERSION = 'client.authentication.k8s.io/v1beta1';

export function renderKubeconfig(o: KubeconfigOptions): string {
  const name = o.name ?? KUBECONFIG_CONTEXT;
  const user = o.exec
    ? {
        exec: {
          apiVersion: EXEC_CREDENTIAL_API_VERSION,
          command: o.exec.command,
          args: o.exec.args,
          ...(o.exec.env ? { env: o.exec.env } : {}),
          // The plugin reads AWS credentials from the environment and prints to stdout; it never prompts.
          interactiveMode: 'Never',
          provideClusterInfo: false,
        },
      }
    : o.token
      ? { token: o.token }
      : {};
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        // A local server is plain HTTP on 127.0.0.1: there is no TLS to verify. kubectl ignores the flag for
        // http://; @kubernetes/client-node refuses http:// unless it is set ("HTTP protocol is not allowed when
        // skipTLSVerify is not set"). An https:// server (the cloud's API Gateway) is verified.
        cluster: o.server.startsWith('http://')
          ? { server: o.server, 'insecure-skip-tls-verify': true }
          : {
              server: o.server,
              ...(o.certificateAuthority
                ? { 'certificate-authority-data': Buffer.from(o.certificateAuthority).toString('base64') }
                : {}),
            },
      },
    ],
    users: [{ name, user }],
    contexts: [
      {
        name,
        context: {
          cluster: name,
          user: name,
          namespace: o.namespace ?? 'default',
        },
      },
    ],
    'current-context': name,
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
