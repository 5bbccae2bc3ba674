// kubectl credentials for a deployed podflow (docs/decisions/0012-kubectl-credentials.md):
//
// - `podflow token --cluster-id ID [--region R]` prints an ExecCredential whose token is a presigned STS
//   GetCallerIdentity (adapters/sts/presign-token.ts), signed with the credentials of the environment (the AWS SDK's
//   default chain: AWS_ACCESS_KEY_ID…, AWS_PROFILE, SSO, instance roles). kubectl runs it as a credential plugin.
// - `podflow kubeconfig --aws` writes a kubeconfig whose user runs that plugin, for the API of a deployed stack: its
//   URL and cluster id from the deploy's outputs file (`npm run cloud:deploy` writes cdk.out/podflow-outputs.json) or
//   from --server and --cluster-id.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { presignToken } from '../../adapters/sts/presign-token.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT_OK, UsageError } from '../cli-io.ts';
import { EXEC_CREDENTIAL_API_VERSION, renderKubeconfig, writeKubeconfig } from '../kubeconfig.ts';

/** Where `npm run cloud:deploy` writes the stack's outputs. */
export const DEFAULT_OUTPUTS_FILE = 'cdk.out/podflow-outputs.json';

const regionOf = (flag: string | undefined): string => {
  const region = flag ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('no region: pass --region or set AWS_REGION');
  return region;
};

/** metav1.Time's JSON form: RFC 3339 in whole seconds, UTC. */
const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function registerTokenCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('token')
    .description(
      'print a kubectl ExecCredential for a deployed podflow API (a presigned STS GetCallerIdentity)',
    )
    .requiredOption('--cluster-id <id>', 'the API’s cluster id (the stack output ClusterId)')
    .option('--region <region>', 'the STS region to sign for (default: $AWS_REGION)')
    .action(async (o: { clusterId: string; region?: string }) => {
      const region = regionOf(o.region);
      const { token, expiresAt } = await presignToken({
        clusterId: o.clusterId,
        region,
        credentials: defaultProvider(),
        now: io.now(),
      });
      // kubectl says which version it wants in KUBERNETES_EXEC_INFO; the answer must be in the same one.
      const info = process.env.KUBERNETES_EXEC_INFO;
      const apiVersion = info
        ? ((JSON.parse(info) as { apiVersion?: string }).apiVersion ?? EXEC_CREDENTIAL_API_VERSION)
        : EXEC_CREDENTIAL_API_VERSION;
      io.stdout(
        `${JSON.stringify({
          kind: 'ExecCredential',
          apiVersion,
          spec: {},
          status: { expirationTimestamp: rfc3339(expiresAt), token },
        })}\n`,
      );
      setExitCode(EXIT_OK);
    });
}

interface StackOutputs {
  ApiUrl?: string;
  ClusterId?: string;
  Region?: string;
}

function readOutputs(file: string, stack: string | undefined): StackOutputs & { stack: string } {
  let all: Record<string, StackOutputs>;
  try {
    all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StackOutputs>;
  } catch (err) {
    throw new UsageError(`cannot read the stack outputs in ${file}: ${(err as Error).message}`);
  }
  const names = Object.keys(all).filter((n) => all[n]?.ApiUrl);
  const name = stack ?? (names.length === 1 ? names[0] : undefined);
  if (!name || !all[name])
    throw new UsageError(
      `${file} holds ${names.length === 0 ? 'no podflow stack' : `stacks ${names.join(', ')}`}: pass --stack NAME`,
    );
  return { ...all[name], stack: name };
}

export interface AwsKubeconfigOptions {
  server: string;
  clusterId: string;
  region: string;
  namespace?: string;
  /** The command kubectl runs: this podflow. */
  podflow: { command: string; args: string[] };
}

/** The kubeconfig of a deployed API: its URL, and `podflow token` as the user's credential plugin. */
export function awsKubeconfig(o: AwsKubeconfigOptions): Parameters<typeof renderKubeconfig>[0] {
  return {
    server: o.server,
    name: `podflow-${o.clusterId}`,
    exec: {
      command: o.podflow.command,
      args: [...o.podflow.args, 'token', '--cluster-id', o.clusterId, '--region', o.region],
    },
    ...(o.namespace ? { namespace: o.namespace } : {}),
  };
}

/** This podflow as a command line kubectl can run from anywhere: the pinned node and bin/podflow.js, absolute. */
export function podflowCommand(): { command: string; args: string[] } {
  const bin = resolve(fileURLToPath(new URL('../../../bin/podflow.js', import.meta.url)));
  return { command: process.execPath, args: [bin] };
}

export function registerKubeconfigCommand(
  program: Command,
  io: CliIo,
  setExitCode: (code: number) => void,
): void {
  program
    .command('kubeconfig')
    .description('write a kubeconfig for a deployed podflow API (kubectl authenticates with `podflow token`)')
    .requiredOption('--aws', 'the API of a stack deployed to AWS (or LocalStack)')
    .option('--outputs <file>', `the deploy's outputs file (default: ${DEFAULT_OUTPUTS_FILE})`)
    .option('--stack <name>', 'the stack in the outputs file, when it holds several')
    .option('--server <url>', 'the API URL (default: the ApiUrl output)')
    .option('--cluster-id <id>', 'the cluster id (default: the ClusterId output)')
    .option('--region <region>', 'the region (default: the Region output, else $AWS_REGION)')
    .option('-n, --namespace <namespace>', 'the context’s namespace', 'default')
    .option('-o, --output <file>', 'write the kubeconfig here (mode 0600) instead of printing it')
    .action(
      (o: {
        outputs?: string;
        stack?: string;
        server?: string;
        clusterId?: string;
        region?: string;
        namespace: string;
        output?: string;
      }) => {
        const outputs =
          o.server && o.clusterId ? undefined : readOutputs(o.outputs ?? DEFAULT_OUTPUTS_FILE, o.stack);
        const server = o.server ?? outputs?.ApiUrl;
        const clusterId = o.clusterId ?? outputs?.ClusterId;
        if (!server || !clusterId)
          throw new UsageError(`the outputs of ${outputs?.stack ?? 'the stack'} have no ApiUrl or ClusterId`);
        const config = awsKubeconfig({
          server,
          clusterId,
          region: o.region ?? outputs?.Region ?? regionOf(undefined),
          namespace: o.namespace,
          podflow: podflowCommand(),
        });
        if (o.output) {
          writeKubeconfig(o.output, config);
          io.stderr(`wrote ${o.output}: KUBECONFIG=${o.output} kubectl get pods\n`);
        } else io.stdout(renderKubeconfig(config));
        setExitCode(EXIT_OK);
      },
    );
}
