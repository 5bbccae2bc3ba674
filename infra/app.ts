// The CDK app (cdk.json: `node infra/app.ts`). `npx cdk synth -c nag=true` also runs the cdk-nag AwsSolutions
// checks; the tests run them on every change (test/infra/nag.test.ts). `-c access='[{"principal": "arn:aws:iam::…:role/Dev",
// "namespaces": ["*"], "access": "write"}]'` (or the same list under `context.access` in cdk.json) says who may use
// the API (src/core/access.ts).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PodflowStack } from './podflow-stack.ts';

const app = new App();
const access: unknown = app.node.tryGetContext('access');
new PodflowStack(app, 'Podflow', {
  api: { access: typeof access === 'string' ? (JSON.parse(access) as never) : ((access ?? []) as never) },
});
const nag: unknown = app.node.tryGetContext('nag');
if (nag === true || nag === 'true') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
