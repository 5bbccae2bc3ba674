// The CDK app (cdk.json: `node infra/app.ts`). `npx cdk synth -c nag=true` also runs the cdk-nag AwsSolutions
// checks; the tests run them on every change (test/infra/nag.test.ts).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PodflowStack } from './podflow-stack.ts';

const app = new App();
new PodflowStack(app, 'Podflow');
const nag: unknown = app.node.tryGetContext('nag');
if (nag === true || nag === 'true') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
