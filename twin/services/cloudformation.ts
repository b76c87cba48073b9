/**
 * CloudFormation stacks with parameters and status: DescribeStacks, UpdateStack with AWS's
 * parameter rules (docs/aws-behaviour.md §8: with UsePreviousTemplate a parameter left out reverts to its
 * default; UsePreviousValue keeps it; "No updates are to be performed." when nothing changes).
 * An update runs UPDATE_IN_PROGRESS -> UPDATE_COMPLETE_CLEANUP_IN_PROGRESS -> UPDATE_COMPLETE
 * over tens of minutes, driven by an optional hook (the cold-standby stack creates its database).
 *
 * Service roles (docs/aws-behaviour.md "CloudFormation service roles"): an update's resource operations run as
 * the call's `RoleARN`, else the role associated with the stack, else a session made from the
 * caller's own credentials. Passing `RoleARN` needs `iam:PassRole` on it (checked with the call's
 * IAM, `iam:PassedToService` = cloudformation.amazonaws.com) and associates the role with the
 * stack. A resource operation the identity may not make fails the update, which rolls back.
 * Not modelled: the role's trust policy (every registered role is assumable by CloudFormation).
 */
import { TwinUnsupportedError, awsError } from '../errors.js';
import { deniedMessage, evaluate, roleNameOfArn, type Authorization, type Principal } from '../iam.js';
import type { RdsView, RoleRegistry, TwinCore } from '../ports.js';
import { arn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';
import type { InstanceSpec } from './rds.js';

/** What an update hook may do: create resources now, and say how long the update takes. */
export interface StackUpdate {
  readonly stackName: string;
  readonly region: string;
  readonly previous: Readonly<Record<string, string>>;
  readonly next: Readonly<Record<string, string>>;
  /**
   * Checks that the identity the update runs as may make these resource operations; a refusal
   * throws {@link StackOperationDenied}, which fails the update (it rolls back). Call it before
   * changing anything.
   */
  authorize(operations: readonly Authorization[]): void;
}

/** A resource operation of a stack update was refused to the identity the update runs as. */
export class StackOperationDenied extends Error {
  override readonly name = 'StackOperationDenied';
}

/** The session name CloudFormation uses when it assumes a stack's service role. */
const SERVICE_ROLE_SESSION = 'AWSCloudFormation';

/** The `Service` an SDK-style handler message names for an action's prefix. */
const HANDLER_SERVICE: Record<string, string> = { rds: 'Rds', ec2: 'Ec2', iam: 'Iam', kms: 'Kms' };
export type StackUpdateHook = (u: StackUpdate) => { durationMs?: number; onComplete?: () => void } | void;

interface Stack {
  name: string;
  id: string;
  region: string;
  status: string;
  reason?: string;
  params: Record<string, string>;
  templateParams: Record<string, { Default?: string; NoEcho?: boolean }>;
  templateBody: string;
  createdAt: number;
  updatedAt?: number;
  outputs: Record<string, string>;
  hook?: StackUpdateHook;
  failNext: boolean;
  /** The service role associated with the stack (its updates run as this role). */
  roleArn?: string;
}

const UPDATABLE = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_COMPLETE']);

/** What the cloudformation model needs of the world (twin/ports.ts). */
export type CloudFormationWorld = TwinCore & { readonly iam: RoleRegistry; readonly rds: Pick<RdsView, 'createInstance'> };

export class CloudFormationService implements ServiceModel {
  readonly key = 'cloudformation' as const;
  private readonly stacks = new Map<string, Stack>(); // region/name

  constructor(private readonly world: CloudFormationWorld) {}

  readonly operations: Record<string, OpHandler> = {
    DescribeStacks: (i, c) => this.describeStacks(i, c),
    UpdateStack: (i, c) => this.updateStack(i, c),
  };

  authorization(operation: string, input: { StackName?: string; RoleARN?: string }, ctx: CallCtx): Authorization[] {
    const s = input.StackName ? this.lookup(input.StackName, ctx.region) : undefined;
    const auth: Authorization[] = [
      {
        action: `cloudformation:${operation}`,
        resources: [s?.id ?? (input.StackName?.startsWith('arn:') ? input.StackName : arn.stack(ctx.region, input.StackName ?? '*', '*'))],
      },
    ];
    // Passing a service role is passing a role to CloudFormation (docs/aws-behaviour.md "CloudFormation service roles").
    if (operation === 'UpdateStack' && typeof input.RoleARN === 'string') {
      auth.push({ action: 'iam:PassRole', resources: [input.RoleARN], context: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } });
    }
    return auth;
  }

  // ------------------------------------------------------------------ setup

  /** Creates a stack in CREATE_COMPLETE. `templateParameters` are the template's Parameters section. */
  createStack(spec: {
    region: string;
    name: string;
    parameters?: Record<string, string>;
    templateParameters: Record<string, { Default?: string; NoEcho?: boolean }>;
    templateBody?: string;
    outputs?: Record<string, string>;
    hook?: StackUpdateHook;
    roleArn?: string;
  }): string {
    const id = arn.stack(spec.region, spec.name, this.world.rng.stream('cfn.ids').uuid());
    const params: Record<string, string> = {};
    for (const [k, def] of Object.entries(spec.templateParameters)) {
      const v = spec.parameters?.[k] ?? def.Default;
      if (v === undefined) throw new Error(`twin: stack ${spec.name}: parameter ${k} needs a value`);
      params[k] = v;
    }
    this.stacks.set(`${spec.region}/${spec.name}`, {
      name: spec.name,
      id,
      region: spec.region,
      status: 'CREATE_COMPLETE',
      params,
      templateParams: spec.templateParameters,
      templateBody: spec.templateBody ?? JSON.stringify({ Parameters: spec.templateParameters }),
      createdAt: this.world.clock.now(),
      outputs: spec.outputs ?? {},
      hook: spec.hook,
      failNext: false,
      ...(spec.roleArn ? { roleArn: spec.roleArn } : {}),
    });
    return id;
  }

  /** Sets the hook run when an update starts. */
  setUpdateHook(region: string, name: string, hook: StackUpdateHook): void {
    this.must(region, name).hook = hook;
  }

  /** Fault hook: the next update of the stack fails and rolls back. */
  failNextUpdate(region: string, name: string): void {
    this.must(region, name).failNext = true;
  }

  /**
   * The cold-standby pattern: when `parameterName` becomes `activeValue`, the stack restores the
   * database (RDS instance `creating` at once, `available` when the update completes, 15–35 min).
   */
  attachColdStandby(region: string, stackName: string, opts: { parameterName: string; activeValue: string; instance: InstanceSpec }): void {
    this.setUpdateHook(region, stackName, (u) => {
      if (u.next[opts.parameterName] !== opts.activeValue || u.previous[opts.parameterName] === opts.activeValue) return undefined;
      u.authorize(coldStandbyRestoreOperations(region, opts.instance.id));
      const inst = this.world.rds.createInstance({ ...opts.instance, region, status: 'creating' });
      return {
        durationMs: Math.round(this.world.rng.stream('cfn.coldstandby').uniform(15 * 60, 35 * 60) * 1000),
        onComplete: () => {
          inst.status = 'available';
          inst.liveAddress = `${inst.id}.c0abcdefghij.${region}.rds.amazonaws.com`;
          this.world.log('cloud', `cold standby ${inst.id} available`, { instanceId: inst.id, region });
        },
      };
    });
  }

  /** The service role associated with the stack, if any (test helper). */
  stackRole(region: string, name: string): string | undefined {
    return this.must(region, name).roleArn;
  }

  /** Current status (test helper). */
  stackStatus(region: string, name: string): string {
    return this.must(region, name).status;
  }

  private must(region: string, name: string): Stack {
    const s = this.stacks.get(`${region}/${name}`);
    if (!s) throw new Error(`twin: no stack ${name} in ${region}`);
    return s;
  }

  private lookup(nameOrId: string, region: string): Stack | undefined {
    return [...this.stacks.values()].find((s) => s.region === region && (s.name === nameOrId || s.id === nameOrId));
  }

  private shape(s: Stack) {
    return {
      StackId: s.id,
      StackName: s.name,
      CreationTime: new Date(s.createdAt),
      ...(s.updatedAt ? { LastUpdatedTime: new Date(s.updatedAt) } : {}),
      StackStatus: s.status,
      ...(s.reason ? { StackStatusReason: s.reason } : {}),
      Parameters: Object.entries(s.params).map(([ParameterKey, v]) => ({ ParameterKey, ParameterValue: s.templateParams[ParameterKey]?.NoEcho ? '****' : v })),
      Outputs: Object.entries(s.outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      DisableRollback: false,
      Capabilities: [],
      ...(s.roleArn ? { RoleARN: s.roleArn } : {}),
    };
  }

  // ------------------------------------------------------------------ operations

  describeStacks(input: { StackName?: string; NextToken?: string }, ctx: CallCtx) {
    supportOnly('cloudformation', 'DescribeStacks', input, ['StackName']);
    if (input.StackName) {
      const s = this.lookup(input.StackName, ctx.region);
      if (!s) throw awsError('cloudformation', 'ValidationError', `Stack with id ${input.StackName} does not exist`);
      return { Stacks: [this.shape(s)] };
    }
    return { Stacks: [...this.stacks.values()].filter((s) => s.region === ctx.region).map((s) => this.shape(s)) };
  }

  updateStack(
    input: {
      StackName?: string;
      UsePreviousTemplate?: boolean;
      TemplateBody?: string;
      TemplateURL?: string;
      Parameters?: { ParameterKey?: string; ParameterValue?: string; UsePreviousValue?: boolean }[];
      Capabilities?: string[];
      Tags?: unknown;
      ClientRequestToken?: string;
      RoleARN?: string;
    },
    ctx: CallCtx,
  ) {
    supportOnly('cloudformation', 'UpdateStack', input, [
      'StackName',
      'UsePreviousTemplate',
      'TemplateBody',
      'TemplateURL',
      'Parameters',
      'Capabilities',
      'Tags',
      'ClientRequestToken',
      'RoleARN',
    ]);
    const verr = (m: string) => awsError('cloudformation', 'ValidationError', m);
    const s = input.StackName ? this.lookup(input.StackName, ctx.region) : undefined;
    if (!s) throw verr(`Stack [${input.StackName ?? ''}] does not exist`);
    if (!UPDATABLE.has(s.status)) throw verr(`Stack:${s.id} is in ${s.status} state and can not be updated.`);
    if (input.RoleARN !== undefined) {
      const roleName = roleNameOfArn(input.RoleARN);
      if (!roleName || !this.world.iam.hasRole(roleName)) throw verr(`Role ${input.RoleARN} is invalid or cannot be assumed`);
    }
    if (input.UsePreviousTemplate && (input.TemplateBody !== undefined || input.TemplateURL !== undefined)) {
      throw verr('You cannot specify both usePreviousTemplate and Template Body/Template URL');
    }
    if (!input.UsePreviousTemplate && input.TemplateBody === undefined && input.TemplateURL === undefined)
      throw verr('Either Template URL or Template Body must be specified.');
    if (input.TemplateURL !== undefined)
      throw new TwinUnsupportedError('twin cloudformation:UpdateStack does not fetch TemplateURL; use TemplateBody or UsePreviousTemplate');
    let templateParams = s.templateParams;
    let body = s.templateBody;
    if (input.TemplateBody !== undefined) {
      try {
        body = input.TemplateBody;
        templateParams = (JSON.parse(body) as { Parameters?: Stack['templateParams'] }).Parameters ?? {};
      } catch {
        throw new TwinUnsupportedError('twin cloudformation:UpdateStack reads JSON templates only');
      }
    }
    const given = new Map<string, { value?: string; previous: boolean }>();
    for (const p of input.Parameters ?? []) {
      if (!p.ParameterKey) throw verr('ParameterKey is required');
      if (p.UsePreviousValue && p.ParameterValue !== undefined) {
        throw verr(`Invalid input for parameter key ${p.ParameterKey}. Cannot specify usePreviousValue as true and non empty value for a parameter`);
      }
      if (!(p.ParameterKey in templateParams)) throw verr(`Parameters: [${p.ParameterKey}] do not exist in the template`);
      given.set(p.ParameterKey, { value: p.ParameterValue, previous: p.UsePreviousValue === true });
    }
    const next: Record<string, string> = {};
    const missing: string[] = [];
    for (const [k, def] of Object.entries(templateParams)) {
      const g = given.get(k);
      // A parameter left out does NOT keep its value: it reverts to the default (docs/aws-behaviour.md §8).
      const v = g?.previous ? s.params[k] : (g?.value ?? def.Default);
      if (v === undefined) missing.push(k);
      else next[k] = v;
    }
    if (missing.length) throw verr(`Parameters: [${missing.join(', ')}] must have values`);
    const changed = body !== s.templateBody || JSON.stringify(next) !== JSON.stringify(s.params);
    if (!changed) throw verr('No updates are to be performed.');
    const previous = { ...s.params };
    // The call's role is associated with the stack; without one, the stack's role; else the caller's session.
    if (input.RoleARN !== undefined) s.roleArn = input.RoleARN;
    const runAs: Principal | undefined = s.roleArn ? this.world.iam.assumeRole(roleNameOfArn(s.roleArn)!, SERVICE_ROLE_SESSION) : ctx.principal;
    s.params = next;
    s.templateParams = templateParams;
    s.templateBody = body;
    s.status = 'UPDATE_IN_PROGRESS';
    s.reason = 'User Initiated';
    s.updatedAt = this.world.clock.now();
    const fail = s.failNext;
    s.failNext = false;
    let denied: string | undefined;
    let hookResult: ReturnType<StackUpdateHook> | undefined;
    if (!fail && s.hook) {
      try {
        hookResult = s.hook({ stackName: s.name, region: s.region, previous, next, authorize: (ops) => authorizeOperations(runAs, ops) });
      } catch (err) {
        if (!(err instanceof StackOperationDenied)) throw err;
        denied = err.message;
      }
    }
    const duration = hookResult?.durationMs ?? Math.round(this.world.rng.stream('cfn.update').uniform(10 * 60, 30 * 60) * 1000);
    this.world.log('cloud', `stack ${s.name} UPDATE_IN_PROGRESS`, {
      stack: s.name,
      region: s.region,
      parameters: next,
      ...(s.roleArn ? { roleArn: s.roleArn } : {}),
    });
    const rng = this.world.rng.stream('cfn.cleanup');
    if (denied !== undefined)
      this.world.log('cloud', `stack ${s.name}: resource Database UPDATE_FAILED: ${denied}`, { stack: s.name, region: s.region, reason: denied });
    if (fail || denied !== undefined) {
      // A refused call fails its resource at once; an injected failure part-way through the update.
      const failAfter = denied !== undefined ? Math.round(rng.uniform(5, 30) * 1000) : Math.round(duration / 3);
      this.world.clock.schedule(
        failAfter,
        () => {
          s.status = 'UPDATE_ROLLBACK_IN_PROGRESS';
          s.reason = 'The following resource(s) failed to update: [Database].';
          s.params = previous;
          this.world.clock.schedule(
            Math.round(rng.uniform(120, 600) * 1000),
            () => {
              s.status = 'UPDATE_ROLLBACK_COMPLETE';
              s.reason = undefined;
              this.world.log('cloud', `stack ${s.name} UPDATE_ROLLBACK_COMPLETE`, { stack: s.name });
            },
            `cfn ${s.name} rollback complete`,
          );
        },
        `cfn ${s.name} update failed`,
      );
    } else {
      this.world.clock.schedule(
        duration,
        () => {
          hookResult?.onComplete?.();
          s.status = 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS';
          s.reason = undefined;
          this.world.clock.schedule(
            Math.round(rng.uniform(30, 90) * 1000),
            () => {
              s.status = 'UPDATE_COMPLETE';
              this.world.log('cloud', `stack ${s.name} UPDATE_COMPLETE`, { stack: s.name });
            },
            `cfn ${s.name} complete`,
          );
        },
        `cfn ${s.name} update`,
      );
    }
    return { StackId: s.id };
  }
}

/**
 * The calls CloudFormation makes to restore the cold standby's database (AWS::RDS::DBInstance from
 * a point in time of the replicated automated backups), checked against the identity the update
 * runs as (docs/config.md "Cold standby service role").
 */
export function coldStandbyRestoreOperations(region: string, instanceId: string): Authorization[] {
  const db = arn.db(region, instanceId.toLowerCase());
  return [
    { action: 'rds:RestoreDBInstanceToPointInTime', resources: [db] },
    { action: 'rds:DescribeDBInstances', resources: [db] },
  ];
}

/** Throws {@link StackOperationDenied} with the resource handler's message when `runAs` may not make an operation. */
function authorizeOperations(runAs: Principal | undefined, operations: readonly Authorization[]): void {
  if (!runAs) return; // a call made without a principal (unit tests of the model): nothing to check
  for (const op of operations) {
    const d = evaluate(runAs, op);
    if (d.allowed) continue;
    const service = HANDLER_SERVICE[op.action.split(':')[0]!] ?? op.action.split(':')[0]!;
    throw new StackOperationDenied(
      `Resource handler returned message: "${deniedMessage(runAs.arn, op.action, d.resource, d.explicit)} (Service: ${service}, Status Code: 403)" (HandlerErrorCode: AccessDenied)`,
    );
  }
}
