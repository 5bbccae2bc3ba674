// `npm run cloud:proxy`: kubectl against a deployed stack. Reads the ApiUrl output of `npm run cloud:deploy`
// (cdk.out/podflow-outputs.json, or PODFLOW_CLOUD_OUTPUTS), starts the SigV4-signing proxy of the cloud harness on
// 127.0.0.1 with the credentials of the environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: a principal allowed
// execute-api:Invoke on the API), writes a kubeconfig pointing at it, and serves until Ctrl-C.
// PODFLOW_CLOUD_TARGET=localstack does the same against a `cdklocal deploy`.
import { connectDeployedStack } from './harness.ts';

const target = process.env.PODFLOW_CLOUD_TARGET === 'localstack' ? 'localstack' : 'aws';
const h = await connectDeployedStack(target);
console.log(`signing proxy for ${h.apiUrl} on ${h.proxyUrl}`);
console.log(`  KUBECONFIG=${h.kubeconfigPath} kubectl get pods`);
const stop = () => void h.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
