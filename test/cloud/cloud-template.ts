// Reads what `cdk deploy` deploys: the synthesized CloudFormation template of PodflowStack and its cloud assembly
// (the bundled Lambda code in `asset.<hash>` directories). The harness builds every emulated resource from this and
// nothing else — no second copy of the wiring. Intrinsic functions are resolved the way CloudFormation would,
// against the physical names and ARNs the emulators give the resources ("Intrinsic function reference": Ref,
// Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { PodflowStack, type PodflowStackProps } from '../../infra/podflow-stack.ts';
import type { AwsScope } from './emulators/aws-wire.ts';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface SynthesizedStack {
  stackName: string;
  template: CfnTemplate;
  /** The cloud assembly directory (asset.<hash>/ directories live here). */
  assemblyDir: string;
}

/** Where the harness writes cloud assemblies: inside the checkout, so bundled code resolves `@aws-sdk/*` from node_modules. */
export const ASSEMBLY_ROOT = new URL('../../cdk.out/cloud-harness/', import.meta.url).pathname;

export interface SynthOptions {
  props?: PodflowStackProps;
  /** Changes the stack before synthesis (a variant for a test: an environment variable, a rule's pattern). */
  customize?: (stack: PodflowStack) => void;
}

/**
 * Synthesizes PodflowStack in-process as `cdk synth` does (esbuild bundling included, CloudFormation schema
 * validation off — `npx cdk synth` runs it) into a fresh assembly directory.
 */
export function synthesizePodflow(options: SynthOptions = {}): SynthesizedStack {
  const assemblyDir = join(ASSEMBLY_ROOT, `${Date.now()}-${randomBytes(4).toString('hex')}`);
  mkdirSync(assemblyDir, { recursive: true });
  const app = new App({ outdir: assemblyDir, builtinCloudFormationValidation: false });
  const stack = new PodflowStack(app, 'Podflow', options.props);
  options.customize?.(stack);
  const assembly = app.synth();
  return {
    stackName: Stack.of(stack).stackName,
    template: assembly.getStackByName(stack.stackName).template as CfnTemplate,
    assemblyDir,
  };
}

/** An assembly `npx cdk synth` already wrote (default `cdk.out/`). */
export function readAssembly(assemblyDir: string, stackName = 'Podflow'): SynthesizedStack {
  return {
    stackName,
    template: JSON.parse(
      readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8'),
    ) as CfnTemplate,
    assemblyDir,
  };
}

export class UnresolvableError extends Error {
  override name = 'UnresolvableError';
}

/**
 * Physical names and attributes of the template's resources as the emulated account has them. A resource whose
 * template names it (FunctionName, StateMachineName, …) gets that name; the others get
 * `<stack>-<logicalId>-<suffix>` as CloudFormation generates them.
 */
export class TemplateResolver {
  readonly #template: CfnTemplate;
  readonly #stackName: string;
  readonly #scope: AwsScope;
  readonly #names = new Map<string, string>();
  /** Ids of resources outside the emulated set (REST API ids, stage names) that other resources refer to. */
  readonly #refs = new Map<string, string>();

  constructor(synth: SynthesizedStack, scope: AwsScope) {
    this.#template = synth.template;
    this.#stackName = synth.stackName;
    this.#scope = scope;
  }

  get scope(): AwsScope {
    return this.#scope;
  }

  resources(type: string): Array<[string, CfnResource]> {
    return Object.entries(this.#template.Resources).filter(([, r]) => r.Type === type);
  }

  /** Sets what `Ref` of a logical id resolves to (for resources whose Ref is neither a name nor an ARN). */
  setRef(logicalId: string, value: string): void {
    this.#refs.set(logicalId, value);
  }

  physicalName(logicalId: string): string {
    const known = this.#names.get(logicalId);
    if (known) return known;
    const r = this.#template.Resources[logicalId];
    if (!r) throw new UnresolvableError(`no resource ${logicalId}`);
    const p = r.Properties ?? {};
    const explicit =
      p.FunctionName ??
      p.StateMachineName ??
      p.TableName ??
      p.LogGroupName ??
      p.RoleName ??
      p.ClusterName ??
      p.Family ??
      (r.Type === 'AWS::Scheduler::ScheduleGroup' || r.Type === 'AWS::Events::Rule' ? p.Name : undefined);
    const suffix = randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').toUpperCase();
    const name =
      explicit !== undefined
        ? String(this.resolve(explicit))
        : `${this.#stackName}-${logicalId}-${suffix}`.slice(0, 64);
    this.#names.set(logicalId, name);
    return name;
  }

  arn(logicalId: string): string {
    const r = this.#template.Resources[logicalId];
    if (!r) throw new UnresolvableError(`no resource ${logicalId}`);
    const { partition, region, account } = this.#scope;
    const name = this.physicalName(logicalId);
    switch (r.Type) {
      case 'AWS::Lambda::Function':
        return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
      case 'AWS::IAM::Role':
        return `arn:${partition}:iam::${account}:role/${name}`;
      case 'AWS::DynamoDB::Table':
        return `arn:${partition}:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:${partition}:logs:${region}:${account}:log-group:${name}:*`;
      case 'AWS::Events::Rule':
        return `arn:${partition}:events:${region}:${account}:rule/${name}`;
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:${partition}:scheduler:${region}:${account}:schedule-group/${name}`;
      case 'AWS::ECS::Cluster':
        return `arn:${partition}:ecs:${region}:${account}:cluster/${name}`;
      case 'AWS::ECS::TaskDefinition':
        // The first revision of the family: the harness registers each task definition once.
        return `arn:${partition}:ecs:${region}:${account}:task-definition/${name}:1`;
      case 'AWS::SQS::Queue':
        return `arn:${partition}:sqs:${region}:${account}:${name}`;
      default:
        throw new UnresolvableError(`no ARN for ${r.Type} ${logicalId}`);
    }
  }

  #ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': this.#scope.partition,
      'AWS::Region': this.#scope.region,
      'AWS::AccountId': this.#scope.account,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.#stackName,
      'AWS::NoValue': '',
    };
    if (id in pseudo) return pseudo[id]!;
    const set = this.#refs.get(id);
    if (set !== undefined) return set;
    const r = this.#template.Resources[id];
    if (!r) throw new UnresolvableError(`Ref to unknown ${id}`);
    // Ref returns the ARN for these types, the physical name for the others podflow uses (CloudFormation resource
    // reference, "Return values" of each type).
    if (r.Type === 'AWS::StepFunctions::StateMachine' || r.Type === 'AWS::ECS::TaskDefinition')
      return this.arn(id);
    if (r.Type === 'AWS::SQS::Queue')
      return `https://sqs.${this.#scope.region}.amazonaws.com/${this.#scope.account}/${this.physicalName(id)}`;
    return this.physicalName(id);
  }

  #getAtt(id: string, attribute: string): string {
    if (attribute === 'Arn') return this.arn(id);
    if (attribute === 'Name' || attribute === 'QueueName') return this.physicalName(id);
    const set = this.#refs.get(`${id}.${attribute}`);
    if (set !== undefined) return set;
    throw new UnresolvableError(`Fn::GetAtt ${id}.${attribute}`);
  }

  /** Resolves every intrinsic function in `value`. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (typeof value !== 'object' || value === null) return value;
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      const arg = o[k];
      switch (k) {
        case 'Ref':
          return this.#ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
          return this.#getAtt(id!, attr!);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).join(sep);
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.resolve(text)).split(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case 'Fn::Sub': {
          const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
          return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) => {
            if (name in vars) return String(this.resolve(vars[name]));
            const [id, attr] = name.split('.');
            return attr ? this.#getAtt(id!, attr) : this.#ref(id!);
          });
        }
      }
      if (k.startsWith('Fn::')) throw new UnresolvableError(`the harness does not resolve ${k}`);
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(o[k])]));
  }
}

/**
 * CloudFormation spells the ECS API's members in PascalCase (`ContainerDefinitions`, `LogConfiguration`); the API
 * takes camelCase. Map keys chosen by the user (log driver options, Docker labels) keep their spelling.
 */
export function toApiCase(value: unknown, keepKeys = false): unknown {
  if (Array.isArray(value)) return value.map((v) => toApiCase(v));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const key = keepKeys ? k : k.charAt(0).toLowerCase() + k.slice(1);
      return [key, toApiCase(v, key === 'options' || key === 'dockerLabels' || key === 'secretOptions')];
    }),
  );
}
