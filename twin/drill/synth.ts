/**
 * Synthesizes the product's app and resolves it into plain data the cloud twin deploys: every
 * template with its intrinsics resolved (fake account {@link FAKE_ACCOUNT} unless the config names
 * one), the two state machines' ASL as parsed JSON with plain ARNs, and every Lambda function with
 * its folder, environment, timeout, role and IAM statements.
 *
 * Synthesis needs aws-cdk-lib (seconds to load and run). {@link synthesizeApp} therefore caches the
 * resolved result on disk, keyed by the config, the synthesis context and a hash of every source
 * file that shapes the templates (lib/, lambdas/, package.json, cdk.json and this file), and imports
 * aws-cdk-lib only on a cache miss: a repeat drill never loads it.
 *
 * `test/helpers/synth.ts` builds its richer, synchronous test helper on {@link synthesizeWith}.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from 'aws-cdk-lib';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import type { FailoverStacks } from '../../lib/app.js';
import { FUNCTION_TAG, stateMachineNames } from '../../lib/naming.js';
import { PROJECT_ROOT } from '../../lib/paths.js';

/** The account the resolved templates use when the config names none. */
export const FAKE_ACCOUNT = '123456789012';

/** The example config every default synthesis uses. */
export const EXAMPLE_CONFIG_FILE = join(PROJECT_ROOT, 'examples', 'config.json');

/** Bumped when the shape of {@link ResolvedApp} changes (old cache entries are then ignored). */
const CACHE_FORMAT = 3;

/** The app context of cdk.json (what `cdk synth` uses), with bundling skipped. */
export function synthContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

// ------------------------------------------------------------------ types

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

/** A state of an ASL definition. */
export type AslState = Record<string, unknown> & { Type: string };
/** A parsed ASL definition (JSONPath). */
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [k: string]: unknown;
}

/** One synthesized stack: its template as synthesized and with every intrinsic resolved. */
export interface ResolvedStack {
  /** Stack name, e.g. `failover-control`. */
  name: string;
  region: string;
  account: string;
  /** The template as synthesized (tokens as CloudFormation intrinsics). */
  template: CfnTemplate;
  /** Resources and Outputs with every intrinsic resolved to plain values. */
  resolved: CfnTemplate;
  /** Characters of the template file `cdk synth` writes (what CloudFormation receives). */
  templateChars?: number;
  /** Stacks this one deploys after. */
  dependsOn: string[];
}

/** A deployed Lambda function, as its template describes it. */
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
  /** `ReservedConcurrentExecutions`, when the function reserves concurrency. */
  reservedConcurrency?: number;
  runtime: string;
  /** VpcConfig, when attached to a VPC. */
  vpc?: { SubnetIds: string[]; SecurityGroupIds: string[] };
  /** Resolved ARN of its execution role. */
  roleArn: string;
  /** Logical id of that role in the same stack (undefined for an imported role). */
  roleLogicalId?: string;
  /** Every statement of every policy attached to its role (resolved). */
  statements: IamStatement[];
}

/** A state machine of the control stack. */
export interface SynthesizedStateMachine {
  name: string;
  arn: string;
  roleArn: string;
  roleLogicalId?: string;
  /** The definition, parsed, with plain ARNs. */
  definition: AslDefinition;
}

/** Everything the twin needs from a synthesis, as plain JSON (cacheable). */
export interface ResolvedApp {
  config: FailoverConfig;
  stacks: Record<string, ResolvedStack>;
  /** Stack names by role. */
  controlStack: string;
  signalStacks: string[];
  probeStacks: string[];
  failover: SynthesizedStateMachine;
  failback: SynthesizedStateMachine;
  functions: SynthesizedFunction[];
}

/** The CDK pieces synthesis needs, passed in so callers decide when aws-cdk-lib is loaded. */
export interface CdkToolkit {
  App: typeof App;
  buildApp: (scope: App, config: FailoverConfig) => FailoverStacks;
  /** Adds cdk-nag's checks (only for `nag: true`). */
  addSecurityChecks?: (app: App) => void;
}

export interface SynthesizeWithOptions {
  /** The validated config. */
  config: FailoverConfig;
  /** Extra app context (merged over {@link synthContext}). */
  context?: Record<string, unknown>;
  /** Run cdk-nag's checks (synthesis throws on an unacknowledged finding). @default false */
  nag?: boolean;
  /** Called after the stacks are built and before synthesis (e.g. to add a construct). */
  customize?: (stacks: FailoverStacks, app: App) => void;
}

// ------------------------------------------------------------------ synthesis

/**
 * Synthesizes with the given CDK modules (synchronous) and resolves the result. Throws what
 * synthesis throws (cdk-nag findings, construct validation errors).
 */
export function synthesizeWith(cdk: CdkToolkit, options: SynthesizeWithOptions): ResolvedApp {
  const { config } = options;
  const app = new cdk.App({ context: { ...synthContext(), ...options.context } });
  const built = cdk.buildApp(app, config);
  options.customize?.(built, app);
  if (options.nag) {
    if (!cdk.addSecurityChecks) throw new Error('synthesizeWith: nag needs addSecurityChecks');
    cdk.addSecurityChecks(app);
  }
  const assembly = app.synth();

  const stacks: Record<string, ResolvedStack> = {};
  for (const stack of built.all) {
    const artifact = assembly.getStackByName(stack.stackName);
    const template = artifact.template as CfnTemplate;
    const ctx = contextFor(stack.stackName, stack.region, config.account ?? FAKE_ACCOUNT, template);
    // Only Resources and Outputs: the Rules section checks the bootstrap version at deploy time.
    const resolved = {
      ...template,
      Resources: resolveIntrinsics(template.Resources, ctx),
      ...(template.Outputs ? { Outputs: resolveIntrinsics(template.Outputs, ctx) } : {}),
    } as CfnTemplate;
    stacks[stack.stackName] = {
      name: stack.stackName,
      region: stack.region,
      account: ctx.account,
      template,
      resolved,
      templateChars: readFileSync(artifact.templateFullPath, 'utf8').length,
      dependsOn: artifact.dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets')),
    };
  }

  const functions: SynthesizedFunction[] = [];
  for (const stack of Object.values(stacks)) {
    for (const [logicalId, fn] of resourcesOf(stack, 'AWS::Lambda::Function')) {
      const p = fn.Properties ?? {};
      const name = physicalName(stack.template.Resources[logicalId], logicalId);
      const roleArn = String(p.Role);
      const roleLogicalId = roleLogicalIdOf(stack, roleArn);
      functions.push({
        stack: stack.name,
        region: stack.region,
        logicalId,
        functionName: name,
        arn: `arn:aws:lambda:${stack.region}:${stack.account}:function:${name}`,
        folder: ((p.Tags as Array<{ Key: string; Value: string }>) ?? []).find((t) => t.Key === FUNCTION_TAG)?.Value ?? '',
        environment: ((p.Environment as { Variables?: Record<string, string> })?.Variables ?? {}) as Record<string, string>,
        timeoutSeconds: Number(p.Timeout ?? 3),
        ...(p.ReservedConcurrentExecutions !== undefined ? { reservedConcurrency: Number(p.ReservedConcurrentExecutions) } : {}),
        runtime: String(p.Runtime),
        ...(p.VpcConfig ? { vpc: p.VpcConfig as SynthesizedFunction['vpc'] } : {}),
        roleArn,
        ...(roleLogicalId ? { roleLogicalId } : {}),
        statements: roleLogicalId ? roleStatements(stack, roleLogicalId) : [],
      });
    }
  }

  const control = stacks[built.control.stackName]!;
  const stateMachine = (name: string): SynthesizedStateMachine => {
    const found = resourcesOf(control, 'AWS::StepFunctions::StateMachine').find(([, r]) => r.Properties?.StateMachineName === name);
    if (!found) throw new Error(`no state machine named ${name} in ${control.name}`);
    const roleArn = String(found[1].Properties!.RoleArn);
    const roleLogicalId = roleLogicalIdOf(control, roleArn);
    return {
      name,
      arn: `arn:aws:states:${control.region}:${control.account}:stateMachine:${name}`,
      roleArn,
      ...(roleLogicalId ? { roleLogicalId } : {}),
      definition: JSON.parse(String(found[1].Properties!.DefinitionString)) as AslDefinition,
    };
  };

  return {
    config,
    stacks,
    controlStack: control.name,
    signalStacks: built.signals.map((s) => s.stackName),
    probeStacks: built.probes.map((s) => s.stackName),
    failover: stateMachine(stateMachineNames.failover(config.prefix)),
    failback: stateMachine(stateMachineNames.failback(config.prefix)),
    functions,
  };
}

/** Resources of one type in a stack, `[logicalId, resource]`, resolved. */
export function resourcesOf(stack: Pick<ResolvedStack, 'resolved'>, type: string): Array<[string, CfnResource]> {
  return Object.entries(stack.resolved.Resources).filter(([, r]) => r.Type === type);
}

/** The logical id of the role whose resolved ARN is `roleArn`, in `stack`. */
export function roleLogicalIdOf(stack: ResolvedStack, roleArn: string): string | undefined {
  const ctx = contextFor(stack.name, stack.region, stack.account, stack.template);
  return Object.keys(stack.template.Resources).find(
    (id) => stack.template.Resources[id]!.Type === 'AWS::IAM::Role' && getAtt(stack.template.Resources, id, 'Arn', ctx) === roleArn,
  );
}

/** Statements of the policies attached to a role (AWS::IAM::Policy and the role's inline policies). */
export function roleStatements(stack: ResolvedStack, roleLogicalId: string): IamStatement[] {
  return rolePolicyDocuments(stack, roleLogicalId).flatMap((doc) => (asArray(doc.Statement) as unknown[]).map(normalizeStatement));
}

/**
 * The identity policy documents of a role, resolved: attached AWS::IAM::Policy resources, customer
 * managed policies (AWS::IAM::ManagedPolicy naming the role in `Roles`: where a large config's
 * permissions continue, lib/constructs/policy-packing.ts) and inline `Policies`.
 */
export function rolePolicyDocuments(stack: ResolvedStack, roleLogicalId: string): Array<{ Version?: string; Statement: unknown }> {
  const roleName = physicalName(stack.template.Resources[roleLogicalId], roleLogicalId);
  const attached = [...resourcesOf(stack, 'AWS::IAM::Policy'), ...resourcesOf(stack, 'AWS::IAM::ManagedPolicy')]
    .filter(([, p]) => ((p.Properties?.Roles as unknown[]) ?? []).some((r) => r === roleName))
    .map(([, p]) => p.Properties!.PolicyDocument as { Version?: string; Statement: unknown });
  const role = stack.resolved.Resources[roleLogicalId];
  const inline = ((role?.Properties?.Policies as Array<{ PolicyDocument: { Version?: string; Statement: unknown } }>) ?? []).map((p) => p.PolicyDocument);
  return [...attached, ...inline];
}

const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

// ------------------------------------------------------------------ cached synthesis

export interface SynthesizeAppOptions {
  /**
   * Where resolved results are cached; `false` disables the cache.
   * @default node_modules/.cache/rds-failover-twin (or $RDS_FAILOVER_TWIN_CACHE)
   */
  cacheDir?: string | false;
}

/** A synthesis result and how it was obtained. */
export interface SynthesisResult {
  app: ResolvedApp;
  /** `hit`: read from the disk cache (aws-cdk-lib not loaded); `miss`: synthesized and stored; `off`: synthesized, cache disabled. */
  cache: 'hit' | 'miss' | 'off';
  /** Wall milliseconds spent. */
  ms: number;
  /** The cache key (sha256). */
  key: string;
}

/** The cache key of a config synthesized with these sources. */
const keyOf = (config: FailoverConfig, context: unknown, fingerprint: string): string =>
  createHash('sha256')
    .update(JSON.stringify({ format: CACHE_FORMAT, config, context }))
    .update(fingerprint)
    .digest('hex');

/** Default cache directory. */
export const defaultCacheDir = (): string => process.env.RDS_FAILOVER_TWIN_CACHE || join(PROJECT_ROOT, 'node_modules', '.cache', 'rds-failover-twin');

/**
 * The resolved app for `config`, from the disk cache when the config and every source file that
 * shapes the templates are unchanged; otherwise synthesized (aws-cdk-lib imported here, lazily)
 * and stored.
 */
export async function synthesizeApp(config: FailoverConfig, options: SynthesizeAppOptions = {}): Promise<SynthesisResult> {
  const started = performance.now();
  const context = synthContext();
  const fingerprint = sourceFingerprint();
  const key = keyOf(config, context, fingerprint);
  // The product's modules load once per process, some of them before this call (a test imports
  // lib/ and lambdas/ beside the twin): once the sources changed after this module loaded, what this
  // process synthesizes and runs may be the old sources, so it neither reads nor stores the cache
  // (storing old templates under the new sources' key would poison it for every later run).
  const changed = FINGERPRINT_AT_LOAD !== fingerprint;
  const dir = changed ? false : options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const file = dir === false ? undefined : join(dir, `${key}.json`);
  if (file) {
    try {
      const app = JSON.parse(readFileSync(file, 'utf8')) as ResolvedApp;
      return { app, cache: 'hit', ms: performance.now() - started, key };
    } catch {
      // missing or unreadable: synthesize
    }
  }
  const [{ App: CdkApp }, { buildApp }] = await Promise.all([import('aws-cdk-lib'), import('../../lib/app.js')]);
  const app = synthesizeWith({ App: CdkApp, buildApp }, { config });
  if (file && dir !== false) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(app));
    renameSync(tmp, file);
    pruneCache(dir, CACHE_ENTRIES_KEPT);
  }
  return { app, cache: file ? 'miss' : 'off', ms: performance.now() - started, key };
}

/** How many resolved apps the cache keeps (the most recently written; every source edit makes a new one). */
const CACHE_ENTRIES_KEPT = 12;

/** Deletes all but the `keep` most recent cache entries (best effort). */
function pruneCache(dir: string, keep: number): void {
  try {
    const entries = readdirSync(dir)
      .filter((f) => /^[0-9a-f]{64}\.json$/.test(f))
      .map((f) => ({ path: join(dir, f), at: statSync(join(dir, f)).mtimeMs }))
      .sort((a, b) => b.at - a.at);
    for (const e of entries.slice(keep)) rmSync(e.path, { force: true });
  } catch {
    // a concurrent prune or a read-only directory: the cache works without pruning
  }
}

/** Files whose content shapes the synthesized templates. */
const FINGERPRINT_ROOTS = ['lib', 'lambdas'];
const FINGERPRINT_FILES = ['package.json', 'cdk.json'];

/** sha256 over the content of every source file that shapes the templates (and this file). */
export function sourceFingerprint(root = PROJECT_ROOT): string {
  const hash = createHash('sha256');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path);
      else if (/\.(ts|js|mjs|json)$/.test(name)) files.push(path);
    }
  };
  for (const d of FINGERPRINT_ROOTS) walk(join(root, d));
  for (const f of FINGERPRINT_FILES) files.push(join(root, f));
  files.push(fileURLToPath(import.meta.url));
  for (const f of files) {
    hash.update(f.slice(root.length));
    hash.update('\0');
    hash.update(readFileSync(f));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The sources' fingerprint when this module loaded (with the product's modules, as a rule: see synthesizeApp). */
const FINGERPRINT_AT_LOAD = sourceFingerprint();

// ------------------------------------------------------------------ intrinsic resolution

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

const contextFor = (stackName: string, region: string, account: string, template: CfnTemplate): ResolveContext => ({
  account,
  region,
  partition: 'aws',
  stackName,
  resources: template.Resources,
  parameters: template.Parameters as ResolveContext['parameters'],
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
export function physicalName(resource: CfnResource | undefined, logicalId: string): string {
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
  // A function URL: https://<url-id>.lambda-url.<region>.on.aws/ (the id is AWS's; a stable stand-in here).
  if (resource.Type === 'AWS::Lambda::Url' && attribute === 'FunctionUrl') return `https://${logicalId.toLowerCase().slice(0, 32)}.lambda-url.${r}.on.aws/`;
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

/** One statement with Action and Resource as arrays. */
export function normalizeStatement(raw: unknown): IamStatement {
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

// ------------------------------------------------------------------ the local interpreter

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
      if (state.Type === 'Choice') for (const rule of (state.Choices as unknown[] | undefined) ?? []) isPresentFalse(rule);
      const proc = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Record<string, unknown>> } | undefined;
      if (proc) visit(proc.States);
      for (const branch of (state.Branches as Array<{ States: Record<string, Record<string, unknown>> }> | undefined) ?? []) visit(branch.States);
    }
  };
  visit(copy.States as Record<string, Record<string, unknown>>);
  return copy;
}

/**
 * `{"Variable": p, "IsPresent": false}` matches when `p` is absent (Amazon States Language), but
 * aws-local-stepfunctions answers false whether or not it is: rewritten in place as the equivalent
 * `{"Not": {"Variable": p, "IsPresent": true}}`, which it evaluates as Step Functions does.
 */
function isPresentFalse(rule: unknown): void {
  if (!rule || typeof rule !== 'object') return;
  const r = rule as Record<string, unknown>;
  if (r.IsPresent === false && typeof r.Variable === 'string') {
    const variable = r.Variable;
    delete r.Variable;
    delete r.IsPresent;
    r.Not = { Variable: variable, IsPresent: true };
    return;
  }
  for (const inner of [...((r.And as unknown[] | undefined) ?? []), ...((r.Or as unknown[] | undefined) ?? []), ...(r.Not ? [r.Not] : [])])
    isPresentFalse(inner);
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

/** Every state in the definition, Map/Parallel children included. */
export function allStates(def: { States: Record<string, AslState> }): Array<[string, AslState]> {
  const out: Array<[string, AslState]> = [];
  for (const [name, state] of Object.entries(def.States)) {
    out.push([name, state]);
    const proc = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, AslState> } | undefined;
    if (proc) out.push(...allStates(proc));
    for (const branch of (state.Branches as Array<{ States: Record<string, AslState> }> | undefined) ?? []) out.push(...allStates(branch));
  }
  return out;
}
