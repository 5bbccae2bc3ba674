// The stack as the tests synthesize it: no esbuild bundling (the template does not depend on the bundle) and no
// built-in CloudFormation schema validation (~10 s on first use; `npx cdk synth` runs it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ApiProps } from '../../infra/api.ts';
import { PodflowStack } from '../../infra/podflow-stack.ts';

export function createTestApp(options: { bundling?: boolean; outdir?: string; api?: ApiProps } = {}): {
  app: App;
  stack: PodflowStack;
} {
  const app = new App({
    context: options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  return { app, stack: new PodflowStack(app, 'Podflow', options.api ? { api: options.api } : {}) };
}

/**
 * The bundled `index.mjs` of a function in a stack synthesized with `createTestApp({ bundling: true, outdir })`,
 * and the asset directory it sits in.
 */
export function bundledHandler(outdir: string, fn: IFunction): { code: string; assetDir: string } {
  const cfn = fn.node.defaultChild as CfnFunction;
  const id = Stack.of(cfn).resolve(cfn.logicalId) as string;
  const { Code } = Template.fromStack(Stack.of(cfn)).toJSON().Resources[id].Properties as {
    Code: { S3Key: string };
  };
  const assetDir = join(outdir, `asset.${Code.S3Key.replace(/\.zip$/, '')}`);
  return { code: readFileSync(join(assetDir, 'index.mjs'), 'utf8'), assetDir };
}
