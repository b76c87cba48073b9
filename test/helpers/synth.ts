/**
 * Synthesizes the product's app for tests, the cloud twin and the local-interpreter tests.
 *
 *   const app = synthApp();                       // examples/config.json, no bundling, no cdk-nag
 *   app.control.template                          // raw CloudFormation template (as synthesized)
 *   app.control.resolved                          // same, every intrinsic resolved (fake account)
 *   app.failover / app.failback                   // the state machines' ASL, plain ARNs, parsed
 *   app.findFunction('failover-promote-standby')  // a deployed function: folder, ARN, env, IAM
 *   app.findFunction('failover-probe', 'eu-west-1') // names repeat across Regions (the probe)
 *
 * Intrinsics are resolved the way CloudFormation would with account {@link FAKE_ACCOUNT}
 * (unless the config names one), partition `aws` and the stack's Region: `Ref` and
 * `Fn::GetAtt` of the template's own resources become their physical names and ARNs (physical
 * names come from the resource's name property, or its logical id when it has none).
 *
 * Synthesis takes seconds: results are cached per (config, options) within a process; treat
 * them as read-only (copy before mutating, e.g. `structuredClone` for asl-validator).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { FailoverConfig, FailoverConfigInput } from '../../lambdas/shared/config-schema.js';
import { buildApp, type FailoverStacks } from '../../lib/app.js';
import { loadConfigFile, validateConfig } from '../../lib/config/index.js';
import { addSecurityChecks } from '../../lib/nag.js';
import { FUNCTION_TAG, stateMachineNames } from '../../lib/naming.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import type { AslDefinition } from './local-sfn.js';

export type { AslDefinition } from './local-sfn.js';

/** The account the resolved templates use when the config names none. */
export const FAKE_ACCOUNT = '123456789012';

/** The example config every default synthesis uses. */
export const EXAMPLE_CONFIG_FILE = join(PROJECT_ROOT, 'examples', 'config.json');

/** The app context of cdk.json (so tests synthesize what `cdk synth` does), without bundling. */
export function testContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

/** A CloudFormation template. */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  [key: string]: unknown;
}
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One IAM statement, resolved, with Action and Resource always arrays. */
export interface IamStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, unknown>;
  Sid?: string;
}

export interface SynthesizedStack {
  /** Stack name, e.g. `failover-control`. */
  name: string;
  region: string;
  account: string;
  /** The template as synthesized (tokens as CloudFormation intrinsics). */
  template: CfnTemplate;
  /** The template with every intrinsic resolved to plain values. */
  resolved: CfnTemplate;
  /** aws-cdk-lib/assertions over the raw template. */
  assertions: Template;
  /** Artifacts this stack deploys after (stack artifact ids are the stack names). */
  dependsOn: string[];
  /** Resources of a type, `[logicalId, resource]`, resolved. */
  resources(type: string): Array<[string, CfnResource]>;
}

/** A deployed Lambda function, as the template describes it. */
export interface SynthesizedFunction {
  stack: string;
  region: string;
  logicalId: string;
  /** Physical name, e.g. `failover-promote-standby`. */
  functionName: string;
  arn: string;
  /** Its folder under lambdas/ (the `rds-failover:function` tag). */
  folder: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  runtime: string;
  /** VpcConfig, when attached to a VPC. */
  vpc?: { SubnetIds: string[]; SecurityGroupIds: string[] };
  /** Every statement of every policy attached to its role (resolved). */
  statements: IamStatement[];
}

export interface SynthesizedApp {
  config: FailoverConfig;
  /** Stacks by name. */
  stacks: Record<string, SynthesizedStack>;
  control: SynthesizedStack;
  signals: SynthesizedStack[];
  probes: SynthesizedStack[];
  /** The failover state machine's definition, parsed, with plain ARNs. */
  failover: AslDefinition;
  /** The failback state machine's definition, parsed, with plain ARNs. */
  failback: AslDefinition;
  /** Every function of every stack. */
  functions: SynthesizedFunction[];
  /** The function with this physical name (in this Region, when the name exists in several). Throws when not exactly one. */
  findFunction(functionName: string, region?: string): SynthesizedFunction;
  /** Statements of the policies attached to a role, by the role's logical id in a stack. */
  roleStatements(stack: SynthesizedStack, roleLogicalId: string): IamStatement[];
  /** The role statements of a state machine (by physical name, e.g. `failover-failover`). */
  stateMachineStatements(stateMachineName: string): IamStatement[];
}

export interface SynthOptions {
  /**
   * The config: an object as in a config file (validated like one), or a file path.
   * @default examples/config.json
   */
  config?: FailoverConfigInput | Record<string, unknown> | string;
  /** Run cdk-nag's AWS Solutions checks (synthesis throws on an unacknowledged finding). @default false */
  nag?: boolean;
  /** Extra app context (merged over {@link testContext}). */
  context?: Record<string, unknown>;
  /** Called after the stacks are built and before synthesis (e.g. to add a construct). Disables caching. */
  customize?: (stacks: FailoverStacks, app: App) => void;
}

const cache = new Map<string, SynthesizedApp>();

/** Synthesizes the app (see the module comment). Throws what synthesis throws (ConfigError, cdk-nag findings). */
export function synthApp(options: SynthOptions = {}): SynthesizedApp {
  const key = options.customize ? undefined : JSON.stringify([options.config ?? null, !!options.nag, options.context ?? null]);
  const hit = key ? cache.get(key) : undefined;
  if (hit) return hit;

  const config =
    options.config === undefined
      ? loadConfigFile(EXAMPLE_CONFIG_FILE).config
      : typeof options.config === 'string'
        ? loadConfigFile(options.config).config
        : validateConfig(options.config, 'test config').config;
  const app = new App({ context: { ...testContext(), ...options.context } });
  const built = buildApp(app, config);
  options.customize?.(built, app);
  if (options.nag) addSecurityChecks(app);
  const assembly = app.synth();

  const stacks: Record<string, SynthesizedStack> = {};
  for (const stack of built.all) {
    const artifact = assembly.getStackByName(stack.stackName);
    const template = artifact.template as CfnTemplate;
    const region = stack.region;
    const account = config.account ?? FAKE_ACCOUNT;
    const ctx: ResolveContext = { account, region, partition: 'aws', stackName: stack.stackName, resources: template.Resources, parameters: template.Parameters as ResolveContext['parameters'] };
    // Only Resources and Outputs: the Rules section checks the bootstrap version at deploy time.
    const resolved = {
      ...template,
      Resources: resolveIntrinsics(template.Resources, ctx),
      ...(template.Outputs ? { Outputs: resolveIntrinsics(template.Outputs, ctx) } : {}),
    } as CfnTemplate;
    stacks[stack.stackName] = {
      name: stack.stackName,
      region,
      account,
      template,
      resolved,
      assertions: Template.fromJSON(template as Record<string, unknown>, { skipCyclicalDependenciesCheck: true }),
      dependsOn: artifact.dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets')),
      resources: (type) => Object.entries(resolved.Resources).filter(([, r]) => r.Type === type),
    };
  }
  const control = stacks[built.control.stackName]!;

  const roleStatements = (stack: SynthesizedStack, roleLogicalId: string): IamStatement[] =>
    stack
      .resources('AWS::IAM::Policy')
      .filter(([, p]) => ((p.Properties?.Roles as unknown[]) ?? []).some((r) => r === physicalName(stack.template.Resources[roleLogicalId], roleLogicalId)))
      .flatMap(([, p]) => ((p.Properties?.PolicyDocument as { Statement: unknown[] }).Statement ?? []).map(normalizeStatement));

  const functions: SynthesizedFunction[] = [];
  for (const stack of Object.values(stacks)) {
    for (const [logicalId, fn] of stack.resources('AWS::Lambda::Function')) {
      const p = fn.Properties ?? {};
      const name = physicalName(stack.template.Resources[logicalId], logicalId);
      const roleArn = String(p.Role);
      const roleLogicalId = Object.keys(stack.resolved.Resources).find(
        (id) => stack.resolved.Resources[id]!.Type === 'AWS::IAM::Role' && getAtt(stack.template.Resources, id, 'Arn', ctxOf(stack)) === roleArn,
      );
      functions.push({
        stack: stack.name,
        region: stack.region,
        logicalId,
        functionName: name,
        arn: `arn:aws:lambda:${stack.region}:${stack.account}:function:${name}`,
        folder: ((p.Tags as Array<{ Key: string; Value: string }>) ?? []).find((t) => t.Key === FUNCTION_TAG)?.Value ?? '',
        environment: ((p.Environment as { Variables?: Record<string, string> })?.Variables ?? {}) as Record<string, string>,
        timeoutSeconds: Number(p.Timeout ?? 3),
        runtime: String(p.Runtime),
        vpc: p.VpcConfig as SynthesizedFunction['vpc'],
        statements: roleLogicalId ? roleStatements(stack, roleLogicalId) : [],
      });
    }
  }

  const definitionOf = (name: string): AslDefinition => {
    const found = control.resources('AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties?.StateMachineName === name);
    if (!found) throw new Error(`no state machine named ${name} in ${control.name}`);
    return JSON.parse(String(found[1].Properties!.DefinitionString)) as AslDefinition;
  };
  const stateMachineStatements = (name: string): IamStatement[] => {
    const found = control.resources('AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties?.StateMachineName === name);
    if (!found) throw new Error(`no state machine named ${name} in ${control.name}`);
    const roleArn = String(found[1].Properties!.RoleArn);
    const roleId = Object.keys(control.template.Resources).find(
      (id) => control.template.Resources[id]!.Type === 'AWS::IAM::Role' && getAtt(control.template.Resources, id, 'Arn', ctxOf(control)) === roleArn,
    );
    if (!roleId) throw new Error(`no role for state machine ${name}`);
    return roleStatements(control, roleId);
  };

  const result: SynthesizedApp = {
    config,
    stacks,
    control,
    signals: built.signals.map((s) => stacks[s.stackName]!),
    probes: built.probes.map((s) => stacks[s.stackName]!),
    failover: definitionOf(stateMachineNames.failover(config.prefix)),
    failback: definitionOf(stateMachineNames.failback(config.prefix)),
    functions,
    findFunction: (functionName, region) => {
      const found = functions.filter((f) => f.functionName === functionName && (region === undefined || f.region === region));
      if (found.length !== 1) throw new Error(`${found.length} functions named ${functionName}${region ? ` in ${region}` : ''}`);
      return found[0]!;
    },
    roleStatements,
    stateMachineStatements,
  };
  if (key) cache.set(key, result);
  return result;
}

/** What intrinsics resolve against. */
export interface ResolveContext {
  account: string;
  region: string;
  partition: string;
  stackName: string;
  /** The template's resources (for Ref / Fn::GetAtt). */
  resources: Record<string, CfnResource>;
  /** The template's parameters: a Ref to one resolves to its default. */
  parameters?: Record<string, { Default?: unknown }>;
}

const ctxOf = (stack: SynthesizedStack): ResolveContext => ({
  account: stack.account,
  region: stack.region,
  partition: 'aws',
  stackName: stack.name,
  resources: stack.template.Resources,
  parameters: stack.template.Parameters as ResolveContext['parameters'],
});

/** Name property of each resource type (its physical name when set). */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Rule': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::Policy': 'PolicyName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::KMS::Alias': 'AliasName',
};

/** The physical name of a resource: its name property (when a plain string) or its logical id. */
function physicalName(resource: CfnResource | undefined, logicalId: string): string {
  const prop = resource ? NAME_PROPERTY[resource.Type] : undefined;
  const value = prop ? resource?.Properties?.[prop] : undefined;
  return typeof value === 'string' ? value : logicalId;
}

function ref(logicalId: string, ctx: ResolveContext): unknown {
  switch (logicalId) {
    case 'AWS::AccountId':
      return ctx.account;
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::Partition':
      return ctx.partition;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return `arn:${ctx.partition}:cloudformation:${ctx.region}:${ctx.account}:stack/${ctx.stackName}/00000000-0000-0000-0000-000000000000`;
    case 'AWS::NoValue':
      return undefined;
  }
  if (ctx.parameters?.[logicalId]) return ctx.parameters[logicalId]!.Default;
  const resource = ctx.resources[logicalId];
  if (!resource) throw new Error(`Ref to unknown resource ${logicalId}`);
  const name = physicalName(resource, logicalId);
  switch (resource.Type) {
    case 'AWS::StepFunctions::StateMachine':
    case 'AWS::SNS::Topic':
      return getAtt(ctx.resources, logicalId, 'Arn', ctx);
    case 'AWS::SQS::Queue':
      return `https://sqs.${ctx.region}.amazonaws.com/${ctx.account}/${name}`;
    case 'AWS::KMS::Key':
      return `key-${logicalId}`;
    default:
      return name;
  }
}

function getAtt(resources: Record<string, CfnResource>, logicalId: string, attribute: string, ctx: ResolveContext): unknown {
  const resource = resources[logicalId];
  if (!resource) throw new Error(`Fn::GetAtt of unknown resource ${logicalId}`);
  const name = physicalName(resource, logicalId);
  const { partition: p, region: r, account: a } = ctx;
  const arns: Record<string, string> = {
    'AWS::Lambda::Function': `arn:${p}:lambda:${r}:${a}:function:${name}`,
    'AWS::StepFunctions::StateMachine': `arn:${p}:states:${r}:${a}:stateMachine:${name}`,
    'AWS::SNS::Topic': `arn:${p}:sns:${r}:${a}:${name}`,
    'AWS::SQS::Queue': `arn:${p}:sqs:${r}:${a}:${name}`,
    'AWS::DynamoDB::Table': `arn:${p}:dynamodb:${r}:${a}:table/${name}`,
    'AWS::Events::EventBus': `arn:${p}:events:${r}:${a}:event-bus/${name}`,
    'AWS::Events::Rule': `arn:${p}:events:${r}:${a}:rule/${name}`,
    'AWS::KMS::Key': `arn:${p}:kms:${r}:${a}:key/key-${logicalId}`,
    'AWS::Logs::LogGroup': `arn:${p}:logs:${r}:${a}:log-group:${name}:*`,
    'AWS::IAM::Role': `arn:${p}:iam::${a}:role/${name}`,
    'AWS::CloudWatch::Alarm': `arn:${p}:cloudwatch:${r}:${a}:alarm:${name}`,
  };
  if (attribute === 'Arn' && arns[resource.Type]) return arns[resource.Type];
  if (attribute === 'Name' || attribute === 'QueueName' || attribute === 'TopicName') return name;
  if (attribute === 'TopicArn') return arns[resource.Type];
  if (attribute === 'RoleId' || attribute === 'KeyId') return `${logicalId}-id`;
  return `${logicalId}.${attribute}`;
}

/** Resolves CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split) in a value. */
export function resolveIntrinsics(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, ctx));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [k] = keys as [string];
    const arg = o[k];
    switch (k) {
      case 'Ref':
        return ref(String(arg), ctx);
      case 'Fn::GetAtt': {
        const [id, attr] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
        return getAtt(ctx.resources, id, attr, ctx);
      }
      case 'Fn::Join': {
        const [delimiter, items] = arg as [string, unknown[]];
        return (resolveIntrinsics(items, ctx) as unknown[]).join(delimiter);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (resolveIntrinsics(list, ctx) as unknown[])[Number(resolveIntrinsics(index, ctx))];
      }
      case 'Fn::Split': {
        const [delimiter, source] = arg as [string, unknown];
        return String(resolveIntrinsics(source, ctx)).split(delimiter);
      }
      case 'Fn::Sub': {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
          if (vars[name] !== undefined) return String(resolveIntrinsics(vars[name], ctx));
          const [id, attr] = name.split('.') as [string, string | undefined];
          return String(attr ? getAtt(ctx.resources, id, attr, ctx) : ref(id, ctx));
        });
      }
    }
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, resolveIntrinsics(v, ctx)]));
}

function normalizeStatement(raw: unknown): IamStatement {
  const s = raw as Record<string, unknown>;
  const arr = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  return {
    Effect: s.Effect as IamStatement['Effect'],
    Action: arr(s.Action),
    Resource: arr(s.Resource),
    ...(s.Condition ? { Condition: s.Condition as Record<string, unknown> } : {}),
    ...(s.Sid ? { Sid: String(s.Sid) } : {}),
  };
}

/**
 * A copy of a definition for aws-local-stepfunctions, which resolves a Task's
 * `TimeoutSecondsPath` against the input *after* `Parameters` (Step Functions resolves it
 * against the state input). Each such path is rewritten to the place where `Parameters` put the
 * same value (e.g. `$.trigger.approvalTimeoutSeconds` becomes `$.Payload.timeoutSeconds`), so
 * the timeout is the same in both; a path with no such place is left as is.
 */
export function forLocalInterpreter<T extends { States: Record<string, unknown> }>(definition: T): T {
  const copy = structuredClone(definition);
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const state of Object.values(states)) {
      const path = state.TimeoutSecondsPath;
      if (state.Type === 'Task' && typeof path === 'string' && state.Parameters) {
        const found = findTemplateKey(state.Parameters, path, '$');
        if (found) state.TimeoutSecondsPath = found;
      }
      const proc = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (proc) visit(proc.States);
      for (const branch of (state.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []) visit(branch.States);
    }
  };
  visit(copy.States as Record<string, Record<string, unknown>>);
  return copy;
}

/** The path, in the object a payload template produces, of the key whose template value is `path`. */
function findTemplateKey(template: unknown, path: string, at: string): string | undefined {
  if (!template || typeof template !== 'object' || Array.isArray(template)) return undefined;
  for (const [key, value] of Object.entries(template as Record<string, unknown>)) {
    if (key.endsWith('.$') && value === path) return `${at}.${key.slice(0, -2)}`;
    const inner = findTemplateKey(value, path, `${at}.${key}`);
    if (inner) return inner;
  }
  return undefined;
}

