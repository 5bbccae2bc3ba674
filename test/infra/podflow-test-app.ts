// The stack as the tests synthesize it: no esbuild bundling (the template does not depend on the bundle) and no
// built-in CloudFormation schema validation (~10 s on first use; `npx cdk synth` runs it).
import { App } from 'aws-cdk-lib';
import { PodflowStack } from '../../infra/podflow-stack.ts';

export function createTestApp(options: { bundling?: boolean; outdir?: string } = {}): {
  app: App;
  stack: PodflowStack;
} {
  const app = new App({
    context: options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  return { app, stack: new PodflowStack(app, 'Podflow') };
}
