/**
 * AWS Fault Injection Service (docs/aws-behaviour.md, "Fault Injection Service").
 *
 * Deploy: {@link FisService.createExperimentTemplate} takes an `AWS::FIS::ExperimentTemplate`'s
 * resolved properties and refuses what FIS would (a {@link FisTemplateError} naming the template
 * and the problem): an unknown action id; an action without its target or a required parameter,
 * or with a parameter it does not take or a bad value; a target whose resource type is not the
 * action's; a target resource that does not exist in the template's Region; a stop condition
 * alarm that does not exist there (or more than 5 stop conditions); a role the twin does not
 * know, or whose identity policies do not allow every call the action makes on those targets
 * (evaluated with the twin's IAM, twin/iam.ts).
 *
 * API: ListExperimentTemplates (with tags), StartExperiment (`clientToken` idempotent: the same
 * token answers the same experiment; the experiment carries the request's `tags`, its resource
 * tags for IAM), GetExperiment, ListExperiments (`experimentTemplateId` filter, paginated),
 * StopExperiment. An experiment goes
 * initiating -> running -> completed (or stopping -> stopped, or failed), and runs its action on
 * the twin's world as the template's role (its calls go through IAM):
 * - aws:rds:reboot-db-instances: RebootDBInstance (ForceFailover from `forceFailover`) of each
 *   instance; the action ends when they are available again;
 * - aws:rds:failover-db-cluster: FailoverDBCluster of each cluster; ends when available again;
 * - aws:network:disrupt-connectivity: cuts the network of every database with an interface in the
 *   target subnets for `duration` (twin/network.ts, `disrupt`), then restores it.
 * A stop-condition alarm going to ALARM while the experiment runs stops it (and undoes a
 * disruption at once); one already in ALARM at the start stops it before any action.
 */
import { awsError } from '../errors.js';
import { evaluate, roleNameOfArn, type Authorization, type Principal } from '../iam.js';
import type { ApiCaller, Ec2View, MetricsView, NetworkView, RdsView, RoleRegistry, TwinCore } from '../ports.js';
import { parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';

/** What a template action names: a parameter rule. */
interface ParameterRule {
  readonly required: boolean;
  readonly valid: (value: string) => boolean;
  readonly expected: string;
}

/** One FIS action the twin models. */
export interface FisActionSpec {
  /** The key under the action's `targets`. */
  readonly targetKey: string;
  readonly resourceType: string;
  readonly parameters: Readonly<Record<string, ParameterRule>>;
  /** The calls FIS makes as the experiment role, per target resource ARN (FIS actions reference). */
  permissions(resourceArn: string, world: FisWorld): Authorization[];
}

/** ISO 8601 duration FIS accepts (PT1M to PT12H). */
const ISO_DURATION = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/;
export function isoDurationMs(value: string): number | undefined {
  const m = ISO_DURATION.exec(value);
  if (!m || (!m[1] && !m[2] && !m[3])) return undefined;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

/** A concrete ARN standing for the network ACL FIS creates at run time. */
const fisAcl = (region: string, account: string) => `arn:aws:ec2:${region}:${account}:network-acl/acl-0f15000000000000`;

export const FIS_ACTIONS: Readonly<Record<string, FisActionSpec>> = {
  'aws:rds:reboot-db-instances': {
    targetKey: 'DBInstances',
    resourceType: 'aws:rds:db',
    parameters: { forceFailover: { required: false, valid: (v) => v === 'true' || v === 'false', expected: 'true or false' } },
    permissions: (db) => [
      { action: 'rds:RebootDBInstance', resources: [db] },
      { action: 'rds:DescribeDBInstances', resources: [db] },
    ],
  },
  'aws:rds:failover-db-cluster': {
    targetKey: 'Clusters',
    resourceType: 'aws:rds:cluster',
    parameters: {},
    permissions: (cluster) => [
      { action: 'rds:FailoverDBCluster', resources: [cluster] },
      { action: 'rds:DescribeDBClusters', resources: [cluster] },
    ],
  },
  'aws:network:disrupt-connectivity': {
    targetKey: 'Subnets',
    resourceType: 'aws:ec2:subnet',
    parameters: {
      duration: {
        required: true,
        valid: (v) => {
          const ms = isoDurationMs(v);
          return ms !== undefined && ms >= 60_000 && ms <= 12 * 3600_000;
        },
        expected: 'an ISO 8601 duration from PT1M to PT12H',
      },
      scope: {
        required: false,
        valid: (v) => ['all', 'availability-zone', 'dynamodb', 'prefix-list', 's3'].includes(v),
        expected: 'all, availability-zone, dynamodb, prefix-list or s3',
      },
      prefixListIdentifier: { required: false, valid: (v) => v.length > 0, expected: 'a prefix list id' },
    },
    permissions: (subnet, world) => {
      const { region, account } = parseArn(subnet)!;
      const acl = fisAcl(region, account);
      const vpc = `arn:aws:ec2:${region}:${account}:vpc/${world.ec2.subnetVpc(region, subnet.split('/').pop()!) ?? '*'}`;
      const requestTag = { 'aws:RequestTag/managedByFIS': 'true' };
      const resourceTag = { 'ec2:ResourceTag/managedByFIS': 'true' };
      return [
        { action: 'ec2:DescribeSubnets', resources: ['*'] },
        { action: 'ec2:DescribeNetworkAcls', resources: ['*'] },
        { action: 'ec2:DescribeVpcs', resources: ['*'] },
        { action: 'ec2:CreateNetworkAcl', resources: [acl], context: requestTag },
        { action: 'ec2:CreateNetworkAcl', resources: [vpc] },
        { action: 'ec2:CreateTags', resources: [acl], context: { ...requestTag, 'ec2:CreateAction': 'CreateNetworkAcl' } },
        { action: 'ec2:CreateNetworkAclEntry', resources: [acl], context: resourceTag },
        { action: 'ec2:ReplaceNetworkAclAssociation', resources: [subnet, acl] },
        { action: 'ec2:DeleteNetworkAcl', resources: [acl], context: resourceTag },
      ];
    },
  },
};

/** FIS refuses a template (the deploy fails, naming the template). */
export class FisTemplateError extends Error {
  override readonly name = 'FisTemplateError';
}

/** Stop conditions FIS allows per experiment template. */
export const MAX_STOP_CONDITIONS = 5;

type Props = Record<string, unknown>;
interface TemplateTarget {
  resourceType: string;
  resourceArns: string[];
  selectionMode: string;
}
interface TemplateAction {
  actionId: string;
  targets: Record<string, string>;
  parameters: Record<string, string>;
}
interface Template {
  id: string;
  arn: string;
  region: string;
  description: string;
  roleArn: string;
  targets: Record<string, TemplateTarget>;
  actions: Record<string, TemplateAction>;
  stopAlarms: string[];
  tags: Record<string, string>;
  createdAt: number;
}

export type ExperimentState = 'pending' | 'initiating' | 'running' | 'completed' | 'stopping' | 'stopped' | 'failed';

interface Experiment {
  id: string;
  arn: string;
  region: string;
  template: Template;
  clientToken: string;
  state: ExperimentState;
  reason?: string;
  startTime: number;
  endTime?: number;
  /** The tags StartExperiment gave it (its resource tags). */
  tags: Record<string, string>;
  /** Undoes what the running action did (a disruption). */
  undo: (() => void)[];
  /** Bumped on stop: scheduled steps of an older generation do nothing. */
  gen: number;
}

/** A resource's tags as IAM condition keys (`aws:ResourceTag/<key>`). */
const resourceTagContext = (tags: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(tags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

/** What the fis model needs of the world (twin/ports.ts). */
export type FisWorld = TwinCore &
  ApiCaller & {
    readonly cloudwatch: MetricsView;
    readonly ec2: Ec2View;
    readonly iam: RoleRegistry;
    readonly network: Pick<NetworkView, 'disrupt'>;
    readonly rds: RdsView;
  };

/** The experiments' twin. */
export class FisService implements ServiceModel {
  readonly key = 'fis' as const;
  private readonly templates = new Map<string, Template>(); // id
  private readonly experiments = new Map<string, Experiment>(); // id
  /** Every experiment ever started, oldest first (for judges and tests). */
  readonly started: { id: string; templateId: string; region: string; at: number }[] = [];

  constructor(private readonly world: FisWorld) {
    world.cloudwatch.onAlarmStateChange((region, name, value) => {
      if (value !== 'ALARM') return;
      const alarmArn = `arn:aws:cloudwatch:${region}:${world.accountId}:alarm:${name}`;
      for (const e of this.experiments.values()) {
        if ((e.state === 'running' || e.state === 'initiating') && e.region === region && e.template.stopAlarms.includes(alarmArn)) {
          this.halt(e, 'stopped', `Stop condition triggered: ${alarmArn}`);
        }
      }
    });
  }

  readonly operations: Record<string, OpHandler> = {
    ListExperimentTemplates: (i, c) => this.listExperimentTemplates(i, c),
    StartExperiment: (i, c) => this.startExperiment(i, c),
    GetExperiment: (i, c) => this.getExperiment(i, c),
    ListExperiments: (i, c) => this.listExperiments(i, c),
    StopExperiment: (i, c) => this.stopExperiment(i, c),
  };

  /** Service Authorization Reference: StartExperiment on the template and the experiment; List on `*`. */
  authorization(operation: string, input: { experimentTemplateId?: string; id?: string }, ctx: CallCtx): Authorization {
    const action = `fis:${operation}`;
    const base = `arn:aws:fis:${ctx.region}:${this.world.accountId}`;
    switch (operation) {
      case 'StartExperiment': {
        // The template's tags are its resource tags (aws:ResourceTag/<key>).
        const template = input.experimentTemplateId ? this.templates.get(input.experimentTemplateId) : undefined;
        const resourceTags = resourceTagContext(template?.tags);
        return {
          action,
          resources: [`${base}:experiment-template/${input.experimentTemplateId ?? '*'}`, `${base}:experiment/*`],
          context: { 'aws:RequestedRegion': ctx.region, ...resourceTags },
        };
      }
      case 'GetExperiment':
      case 'StopExperiment': {
        // An experiment's tags are its resource tags (aws:ResourceTag/<key>).
        const e = input.id ? this.experiments.get(input.id) : undefined;
        const resourceTags = resourceTagContext(e?.region === ctx.region ? e.tags : undefined);
        return { action, resources: [`${base}:experiment/${input.id ?? '*'}`], context: { 'aws:RequestedRegion': ctx.region, ...resourceTags } };
      }
      default:
        return { action, resources: ['*'], context: { 'aws:RequestedRegion': ctx.region } };
    }
  }

  // ------------------------------------------------------------------ deploy

  /**
   * CloudFormation creates an `AWS::FIS::ExperimentTemplate` (resolved properties) in `region`;
   * returns its id. Throws {@link FisTemplateError} for what FIS refuses (see the module comment).
   */
  createExperimentTemplate(region: string, logicalId: string, props: Props): string {
    const t = this.validateExperimentTemplate(region, logicalId, props);
    const rng = this.world.rng.stream('fis.ids');
    const id = `EXT${rng.chars(14)}`;
    this.templates.set(id, { ...t, id, arn: `arn:aws:fis:${region}:${this.world.accountId}:experiment-template/${id}`, createdAt: this.world.clock.now() });
    return id;
  }

  /** What {@link createExperimentTemplate} checks, without creating the template (throws {@link FisTemplateError}). */
  validateExperimentTemplate(region: string, logicalId: string, props: Props): Omit<Template, 'id' | 'arn' | 'createdAt'> {
    const fail = (message: string): never => {
      throw new FisTemplateError(`twin deploy refused: FIS experiment template ${logicalId} in ${region}: ${message}`);
    };
    const roleArn = typeof props.RoleArn === 'string' ? props.RoleArn : fail('RoleArn is required');
    const rawTargets = (props.Targets ?? {}) as Record<string, Props>;
    const rawActions = (props.Actions ?? {}) as Record<string, Props>;
    if (Object.keys(rawActions).length === 0) fail('it has no action');
    const targets: Record<string, TemplateTarget> = {};
    for (const [name, t] of Object.entries(rawTargets)) {
      const resourceArns = Array.isArray(t.ResourceArns) ? (t.ResourceArns as string[]) : [];
      if (resourceArns.length === 0) fail(`target ${name} names no ResourceArns (the twin models targets by ARN only)`);
      const selectionMode = String(t.SelectionMode ?? '');
      if (!/^(ALL|COUNT\(\d+\)|PERCENT\(\d+\))$/.test(selectionMode))
        fail(`target ${name}: SelectionMode ${JSON.stringify(selectionMode)} is not ALL, COUNT(n) or PERCENT(n)`);
      targets[name] = { resourceType: String(t.ResourceType ?? ''), resourceArns, selectionMode };
    }
    const actions: Record<string, TemplateAction> = {};
    for (const [name, a] of Object.entries(rawActions)) {
      const actionId = String(a.ActionId ?? '');
      const spec =
        FIS_ACTIONS[actionId] ?? fail(`action ${name}: unknown action id ${JSON.stringify(actionId)} (the twin models ${Object.keys(FIS_ACTIONS).join(', ')})`);
      const actionTargets = (a.Targets ?? {}) as Record<string, string>;
      const parameters = (a.Parameters ?? {}) as Record<string, string>;
      const keys = Object.keys(actionTargets);
      if (keys.length !== 1 || keys[0] !== spec.targetKey)
        fail(`action ${name} (${actionId}) needs exactly the target ${spec.targetKey}, not ${keys.length ? keys.join(', ') : 'none'}`);
      const targetName = actionTargets[spec.targetKey]!;
      const target = targets[targetName] ?? fail(`action ${name}: target ${JSON.stringify(targetName)} is not a target of the template`);
      if (target.resourceType !== spec.resourceType)
        fail(`action ${name} (${actionId}) acts on ${spec.resourceType}; target ${targetName} is ${target.resourceType || 'of no resource type'}`);
      for (const [p, rule] of Object.entries(spec.parameters)) {
        const v = parameters[p];
        if (v === undefined && rule.required) fail(`action ${name} (${actionId}) needs the parameter ${p} (${rule.expected})`);
        if (v !== undefined && !rule.valid(String(v))) fail(`action ${name}: parameter ${p} is ${JSON.stringify(v)}, not ${rule.expected}`);
      }
      const unknown = Object.keys(parameters).filter((p) => !(p in spec.parameters));
      if (unknown.length > 0) fail(`action ${name} (${actionId}) takes no parameter ${unknown.join(', ')}`);
      for (const resource of target.resourceArns) this.checkResource(region, name, spec.resourceType, resource, fail);
      actions[name] = { actionId, targets: actionTargets, parameters };
    }
    const stops = (Array.isArray(props.StopConditions) ? props.StopConditions : []) as Props[];
    if (stops.length > MAX_STOP_CONDITIONS) fail(`${stops.length} stop conditions, more than the ${MAX_STOP_CONDITIONS} FIS allows`);
    const stopAlarms: string[] = [];
    for (const s of stops) {
      if (s.Source === 'none') continue;
      if (s.Source !== 'aws:cloudwatch:alarm') fail(`stop condition source ${JSON.stringify(s.Source)} is not aws:cloudwatch:alarm or none`);
      const value = String(s.Value ?? '');
      const parsed = parseArn(value);
      const alarm = parsed?.resource.startsWith('alarm:') ? parsed.resource.slice('alarm:'.length) : undefined;
      if (!parsed || parsed.service !== 'cloudwatch' || alarm === undefined) fail(`stop condition ${JSON.stringify(value)} is not a CloudWatch alarm ARN`);
      if (parsed!.region !== region || !this.world.cloudwatch.hasAlarm(region, alarm!)) fail(`stop condition alarm ${value} does not exist in ${region}`);
      stopAlarms.push(value);
    }
    // The role: one the twin knows, allowed every call of every action on every target.
    const roleName = roleNameOfArn(roleArn);
    if (!roleName || !this.world.iam.hasRole(roleName)) fail(`role ${roleArn} does not exist`);
    const role = this.world.iam.assumeRole(roleName!, 'fis-validation');
    for (const [name, a] of Object.entries(actions)) {
      const spec = FIS_ACTIONS[a.actionId]!;
      for (const resource of targets[a.targets[spec.targetKey]!]!.resourceArns) {
        for (const auth of spec.permissions(resource, this.world)) {
          const d = evaluate(role, auth);
          if (!d.allowed)
            fail(`action ${name} (${a.actionId}): the role ${roleArn} may not ${auth.action} on ${d.resource}${d.explicit ? ' (explicit deny)' : ''}`);
        }
      }
    }
    const tags = Object.fromEntries(Object.entries((props.Tags ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    return { region, description: String(props.Description ?? ''), roleArn, targets, actions, stopAlarms, tags };
  }

  private checkResource(region: string, action: string, resourceType: string, resource: string, fail: (m: string) => never): void {
    const p = parseArn(resource);
    if (!p || p.region !== region || p.account !== this.world.accountId)
      fail(`action ${action}: target resource ${resource} is not in ${region} of account ${this.world.accountId}`);
    const [kind, id] = resourceType === 'aws:ec2:subnet' ? p!.resource.split('/') : p!.resource.split(':');
    const exists =
      resourceType === 'aws:rds:db'
        ? kind === 'db' && this.world.rds.getInstance(id!, region) !== undefined
        : resourceType === 'aws:rds:cluster'
          ? kind === 'cluster' && this.world.rds.getCluster(id!, region) !== undefined
          : resourceType === 'aws:ec2:subnet'
            ? kind === 'subnet' && this.world.ec2.hasSubnet(region, id!)
            : false;
    if (!exists) fail(`action ${action}: target resource ${resource} does not exist`);
  }

  /** Templates (test helper). */
  templateIds(region?: string): string[] {
    return [...this.templates.values()].filter((t) => region === undefined || t.region === region).map((t) => t.id);
  }

  /** A template's tags (test helper). */
  templateTags(id: string): Record<string, string> | undefined {
    const t = this.templates.get(id);
    return t ? { ...t.tags } : undefined;
  }

  /** An experiment's state (test helper). */
  experimentState(id: string): ExperimentState | undefined {
    return this.experiments.get(id)?.state;
  }

  // ------------------------------------------------------------------ operations

  listExperimentTemplates(input: { maxResults?: number; nextToken?: string }, ctx: CallCtx) {
    supportOnly('fis', 'ListExperimentTemplates', input, ['maxResults', 'nextToken']);
    const all = [...this.templates.values()].filter((t) => t.region === ctx.region).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    const max = Math.min(Math.max(input.maxResults ?? 100, 1), 100);
    const from = input.nextToken ? Number(input.nextToken) : 0;
    if (!Number.isInteger(from) || from < 0 || from > all.length) throw awsError('fis', 'ValidationException', 'Invalid pagination token');
    const page = all.slice(from, from + max);
    return {
      experimentTemplates: page.map((t) => ({
        id: t.id,
        arn: t.arn,
        description: t.description,
        creationTime: new Date(t.createdAt),
        lastUpdateTime: new Date(t.createdAt),
        tags: { ...t.tags },
      })),
      ...(from + max < all.length ? { nextToken: String(from + max) } : {}),
    };
  }

  startExperiment(input: { clientToken?: string; experimentTemplateId?: string; tags?: Record<string, string>; experimentOptions?: unknown }, ctx: CallCtx) {
    supportOnly('fis', 'StartExperiment', input, ['clientToken', 'experimentTemplateId', 'tags']);
    if (!input.experimentTemplateId) throw awsError('fis', 'ValidationException', 'experimentTemplateId is required');
    if (!input.clientToken) throw awsError('fis', 'ValidationException', 'clientToken is required');
    const template = this.templates.get(input.experimentTemplateId);
    if (!template || template.region !== ctx.region)
      throw awsError('fis', 'ResourceNotFoundException', `Experiment template not found: ${input.experimentTemplateId}`, { status: 404 });
    const same = [...this.experiments.values()].find((e) => e.clientToken === input.clientToken && e.region === ctx.region);
    if (same) {
      if (same.template.id !== template.id)
        throw awsError('fis', 'ConflictException', `The clientToken ${input.clientToken} was used for another request`, { status: 409 });
      return { experiment: this.shape(same) };
    }
    const rng = this.world.rng.stream('fis.ids');
    const id = `EXP${rng.chars(14)}`;
    const e: Experiment = {
      id,
      arn: `arn:aws:fis:${ctx.region}:${this.world.accountId}:experiment/${id}`,
      region: ctx.region,
      template,
      clientToken: input.clientToken,
      state: 'initiating',
      startTime: this.world.clock.now(),
      tags: { ...(input.tags ?? {}) },
      undo: [],
      gen: 0,
    };
    this.experiments.set(id, e);
    this.started.push({ id, templateId: template.id, region: ctx.region, at: e.startTime });
    this.world.log(
      'cloud',
      `FIS experiment ${id} initiating (${Object.values(template.actions)
        .map((a) => a.actionId)
        .join(', ')})`,
      { experimentId: id, templateId: template.id, region: ctx.region },
    );
    const gen = e.gen;
    this.world.clock.schedule(5_000, () => this.run(e, gen), `fis ${id}: start actions`);
    return { experiment: this.shape(e) };
  }

  getExperiment(input: { id?: string }, ctx: CallCtx) {
    supportOnly('fis', 'GetExperiment', input, ['id']);
    return { experiment: this.shape(this.find(input.id, ctx)) };
  }

  /** ListExperiments: the Region's experiments, oldest first, optionally of one template; pages of `maxResults` (1 to 100). */
  listExperiments(input: { experimentTemplateId?: string; maxResults?: number; nextToken?: string }, ctx: CallCtx) {
    supportOnly('fis', 'ListExperiments', input, ['experimentTemplateId', 'maxResults', 'nextToken']);
    if (input.maxResults !== undefined && (!Number.isInteger(input.maxResults) || input.maxResults < 1 || input.maxResults > 100)) {
      throw awsError(
        'fis',
        'ValidationException',
        `1 validation error detected: Value '${input.maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`,
      );
    }
    const all = [...this.experiments.values()]
      .filter((e) => e.region === ctx.region && (input.experimentTemplateId === undefined || e.template.id === input.experimentTemplateId))
      .sort((a, b) => a.startTime - b.startTime || a.id.localeCompare(b.id));
    const max = input.maxResults ?? 100;
    const from = input.nextToken ? Number(input.nextToken) : 0;
    if (!Number.isInteger(from) || from < 0 || from > all.length) throw awsError('fis', 'ValidationException', 'Invalid pagination token');
    const page = all.slice(from, from + max);
    return {
      experiments: page.map((e) => ({
        id: e.id,
        arn: e.arn,
        experimentTemplateId: e.template.id,
        state: { status: e.state, ...(e.reason ? { reason: e.reason } : {}) },
        creationTime: new Date(e.startTime),
        tags: { ...e.tags },
      })),
      ...(from + max < all.length ? { nextToken: String(from + max) } : {}),
    };
  }

  stopExperiment(input: { id?: string }, ctx: CallCtx) {
    supportOnly('fis', 'StopExperiment', input, ['id']);
    const e = this.find(input.id, ctx);
    if (e.state === 'initiating' || e.state === 'running' || e.state === 'pending') this.halt(e, 'stopped', 'Experiment stopped by request');
    return { experiment: this.shape(e) };
  }

  private find(id: string | undefined, ctx: CallCtx): Experiment {
    const e = id ? this.experiments.get(id) : undefined;
    if (!e || e.region !== ctx.region) throw awsError('fis', 'ResourceNotFoundException', `Experiment not found: ${id ?? ''}`, { status: 404 });
    return e;
  }

  private shape(e: Experiment) {
    const t = e.template;
    return {
      id: e.id,
      arn: e.arn,
      experimentTemplateId: t.id,
      roleArn: t.roleArn,
      state: { status: e.state, ...(e.reason ? { reason: e.reason } : {}) },
      targets: Object.fromEntries(
        Object.entries(t.targets).map(([k, v]) => [k, { resourceType: v.resourceType, resourceArns: [...v.resourceArns], selectionMode: v.selectionMode }]),
      ),
      actions: Object.fromEntries(
        Object.entries(t.actions).map(([k, a]) => [
          k,
          {
            actionId: a.actionId,
            parameters: { ...a.parameters },
            targets: { ...a.targets },
            state: { status: e.state === 'completed' ? 'completed' : e.state === 'running' ? 'running' : e.state === 'initiating' ? 'pending' : e.state },
          },
        ]),
      ),
      stopConditions: t.stopAlarms.map((value) => ({ source: 'aws:cloudwatch:alarm', value })),
      creationTime: new Date(e.startTime),
      startTime: new Date(e.startTime),
      ...(e.endTime !== undefined ? { endTime: new Date(e.endTime) } : {}),
      tags: { ...e.tags },
    };
  }

  /** Stops (or fails) an experiment: undoes what it holds, at once. */
  private halt(e: Experiment, state: 'stopped' | 'failed', reason: string): void {
    e.gen++;
    e.state = state === 'stopped' ? 'stopping' : e.state;
    for (const undo of e.undo.splice(0).reverse()) undo();
    e.state = state;
    e.reason = reason;
    e.endTime = this.world.clock.now();
    this.world.log('cloud', `FIS experiment ${e.id} ${state}: ${reason}`, { experimentId: e.id, state, reason });
  }

  /** Runs the template's actions (all at once: the product's templates have one action each). */
  private run(e: Experiment, gen: number): void {
    if (e.gen !== gen || e.state !== 'initiating') return;
    const alarming = e.template.stopAlarms.find((a) => {
      const p = parseArn(a)!;
      return this.world.cloudwatch.alarmState(p.region, p.resource.slice('alarm:'.length)) === 'ALARM';
    });
    if (alarming) return this.halt(e, 'stopped', `Stop condition triggered: ${alarming}`);
    e.state = 'running';
    this.world.log('cloud', `FIS experiment ${e.id} running`, { experimentId: e.id });
    const roleName = roleNameOfArn(e.template.roleArn)!;
    const role: Principal = this.world.iam.assumeRole(roleName, `fis-${e.id}`);
    const waits: Promise<void>[] = [];
    try {
      for (const a of Object.values(e.template.actions)) waits.push(this.act(e, a, role));
    } catch (err) {
      return this.halt(e, 'failed', (err as Error).message);
    }
    void Promise.all(waits).then(
      () => {
        if (e.gen !== gen || e.state !== 'running') return;
        e.state = 'completed';
        e.reason = 'Experiment completed.';
        e.endTime = this.world.clock.now();
        this.world.log('cloud', `FIS experiment ${e.id} completed`, { experimentId: e.id });
      },
      (err: Error) => {
        if (e.gen === gen && e.state === 'running') this.halt(e, 'failed', err.message);
      },
    );
  }

  /** One action on its targets; resolves when the action is over. */
  private act(e: Experiment, a: TemplateAction, role: Principal): Promise<void> {
    const spec = FIS_ACTIONS[a.actionId]!;
    const resources = e.template.targets[a.targets[spec.targetKey]!]!.resourceArns;
    const ctx = { region: e.region, principal: role };
    const idOf = (arn: string) => arn.split(spec.resourceType === 'aws:ec2:subnet' ? '/' : ':').pop()!;
    const untilAvailable = (check: () => boolean) =>
      new Promise<void>((resolve) => {
        const poll = () => (check() || e.state !== 'running' ? resolve() : this.world.clock.schedule(10_000, poll, `fis ${e.id}: wait for the targets`));
        this.world.clock.schedule(10_000, poll, `fis ${e.id}: wait for the targets`);
      });
    const call = (service: 'rds', operation: string, input: Record<string, unknown>) => this.world.call(service, operation, input, ctx);
    switch (a.actionId) {
      case 'aws:rds:reboot-db-instances': {
        const ids = resources.map(idOf);
        return Promise.all(
          ids.map((id) => call('rds', 'RebootDBInstance', { DBInstanceIdentifier: id, ForceFailover: a.parameters.forceFailover === 'true' })),
        ).then(() => untilAvailable(() => ids.every((id) => this.world.rds.getInstance(id, e.region)?.status === 'available')));
      }
      case 'aws:rds:failover-db-cluster': {
        const ids = resources.map(idOf);
        return Promise.all(ids.map((id) => call('rds', 'FailoverDBCluster', { DBClusterIdentifier: id }))).then(() =>
          untilAvailable(() => ids.every((id) => this.world.rds.getCluster(id, e.region)?.status === 'available')),
        );
      }
      case 'aws:network:disrupt-connectivity': {
        const databases = [...new Set(resources.flatMap((s) => this.world.ec2.subnetDatabases(e.region, idOf(s))))];
        const ends = databases.map((db) => this.world.network.disrupt(db));
        let restored = false;
        const restore = () => {
          if (restored) return;
          restored = true;
          for (const end of ends) end();
          this.world.log('cloud', `FIS experiment ${e.id}: network of ${resources.map(idOf).join(', ')} restored`, { experimentId: e.id, databases });
        };
        e.undo.push(restore);
        this.world.log('cloud', `FIS experiment ${e.id}: network of ${resources.map(idOf).join(', ')} disrupted (${databases.join(', ') || 'no database'})`, {
          experimentId: e.id,
          databases,
        });
        const ms = isoDurationMs(a.parameters.duration ?? '')!;
        return new Promise<void>((resolve) => {
          this.world.clock.schedule(
            ms,
            () => {
              restore();
              resolve();
            },
            `fis ${e.id}: disruption ends`,
          );
        });
      }
      default:
        throw new Error(`twin FIS: action ${a.actionId} is not modelled`);
    }
  }
}
