/**
 * "Deploys" the synthesized app into a twin {@link World}, as CloudFormation would, plus the
 * customer's resources the templates do not create.
 *
 * From the templates (resolved, twin/drill/synth.ts):
 * - every AWS::IAM::Role with its identity policies (AWS::IAM::Policy and inline policies). Roles
 *   without a RoleName get CloudFormation-style physical names, `<stack>-<logicalId>` (64
 *   characters at most), so the denial messages name a role a person can find;
 * - the DynamoDB table (keys, GSIs), the SNS topic, the event buses;
 * - every AWS::CloudWatch::Alarm, with a healthy metric history for the periods before the start
 *   (a real deployment has been running for a while; a brand-new alarm with `breaching` missing
 *   data would go to ALARM at once);
 * - every Lambda function (real handler, its environment, role, timeout: lambda-runtime.ts);
 * - every AWS::StepFunctions::StateMachine, created through the twin's CreateStateMachine, which
 *   refuses what Step Functions refuses (twin/services/sfn-definition.ts: name, definition, type,
 *   logging, tracing) as CloudFormation's resource would fail ({@link DeployResourceError}); the
 *   failover and failback definitions checked are the ones the runtime will run;
 * - both state machines (sfn-runtime.ts), also as EventBridge targets: the rule's target role must
 *   be allowed `states:StartExecution`, as on AWS;
 * - every AWS::Events::Rule, scheduled ones included, with their targets;
 * - every AWS::Scheduler::ScheduleGroup and AWS::Scheduler::Schedule (twin/services/scheduler.ts),
 *   refused when the schedule's role is not trusted by Scheduler or may not act on its target.
 *
 * From the config (the customer's own resources): for every database the primary and its standby
 * (a cross-Region read replica, an Aurora global database, or a cold-standby CloudFormation stack
 * that restores the database when activated), the dedicated security groups (one ingress rule for
 * the database port), the credentials secret (its password is the instance's master password),
 * the Route 53 hosted zone and the writer CNAME pointing at the primary's endpoint, and the
 * drill's own table on the primary (written by the simulated application clients).
 */
import { defaultPort, isAurora, secretArnInRegion, type DatabaseConfig } from '../../lambdas/shared/config-schema.js';
import { eventBusName, tableName, topicName } from '../../lib/naming.js';
import { twinContext } from '../context.js';
import { roleNameOfArn, type Principal, type PolicyDocument } from '../iam.js';
import { ALARM_DEFINITION_KEYS, type AlarmDefinition } from '../services/cloudwatch.js';
import { checkStackLimits, describeViolation, type LimitViolation } from '../services/cfn-limits.js';
import { loadRulesFromTemplate } from '../services/cfn-rules.js';
import { coldStandbyRestoreOperations } from '../services/cloudformation.js';
import type { DeliveryMeta } from '../services/eventbridge.js';
import { instanceEndpoint, type PromotionRecord } from '../services/rds.js';
import { SchedulerService, type ScheduleSpec } from '../services/scheduler.js';
import { createRequestOfResource, type CreateStateMachineInput } from '../services/sfn-definition.js';
import { createSqlConnector } from '../sql.js';
import type { World } from '../world.js';
import { LambdaRuntime } from './lambda-runtime.js';
import { SfnRuntime, type RegisteredMachine, type SfnRuntimeHooks } from './sfn-runtime.js';
import { resourcesOf, rolePolicyDocuments, type ResolvedApp, type ResolvedStack } from './synth.js';

/** The table the simulated application clients write to (created on each primary). */
export const APP_TABLE = 'drill_writes';

/** The database's writer or standby site as deployed. */
export interface DeployedSite {
  region: string;
  /** Instance id, or cluster id for Aurora. */
  id: string;
  kind: 'instance' | 'cluster';
  /** Address clients and probes resolve. */
  endpoint: string;
  port: number;
  /** The instance's resource id when it was deployed (instances that exist at the start). */
  resourceId?: string;
}

/** A cold standby activated by its stack update: the restore, for data loss and promotion counts. */
export interface ColdActivation extends PromotionRecord {
  stackName: string;
}

/** One protected database as deployed. */
export interface DeployedDatabase {
  config: DatabaseConfig;
  primary: DeployedSite;
  /** The standby (for a cold standby: the instance its stack creates when activated). */
  standby: DeployedSite;
  /** Login the application clients use. */
  login: { user: string; password: string; database: string };
}

/** What {@link deploy} built. */
export interface Deployment {
  app: ResolvedApp;
  controlRegion: string;
  tableName: string;
  busName: string;
  topicArn: string;
  lambdas: LambdaRuntime;
  sfn: SfnRuntime;
  failover: RegisteredMachine;
  failback: RegisteredMachine;
  databases: Record<string, DeployedDatabase>;
  /** Cold standbys restored so far (filled as stack updates complete). */
  coldActivations: ColdActivation[];
  /** The human operator (broad rights, as an on-call engineer has). */
  operator: Principal;
  /** Twin role names by `<stack>|<resolved role ARN>`. */
  roleNames: Map<string, string>;
}

export interface DeployOptions {
  /** Hooks of the Step Functions runtime (the drill's timeline and records). */
  hooks?: SfnRuntimeHooks;
  /**
   * Customer managed keys that encrypt the databases' secrets (the scenario's `world.secretKeys`),
   * overriding the config's `credentials.secretKmsKeyArns` in their Regions.
   */
  secretKeys?: readonly { database: string; kmsKeyArn: string }[];
  /**
   * The template's email subscriptions whose owner never confirmed (`pending`) or that were
   * removed after the deployment (`removed`), by endpoint (the scenario's `world.pendingEmails`
   * and `world.removedEmails`). The others are confirmed.
   */
  emailSubscriptions?: { pending?: readonly string[]; removed?: readonly string[] };
}

/** A deployment that breaks a CloudFormation, IAM, CloudWatch, EventBridge or Step Functions limit. */
export class DeployLimitError extends Error {
  constructor(readonly violations: readonly LimitViolation[]) {
    super(`twin deploy refused: ${violations.map(describeViolation).join('; ')}`);
    this.name = 'DeployLimitError';
  }
}

/**
 * A resource the service refused to create (CloudFormation: CREATE_FAILED, the stack rolls back):
 * the stack, the resource's logical id and the service's error (`awsError`: its name, e.g.
 * `InvalidDefinition`, and message).
 */
export class DeployResourceError extends Error {
  constructor(
    readonly stack: string,
    readonly logicalId: string,
    readonly awsError: Error,
  ) {
    super(`twin deploy refused: ${stack}/${logicalId}: CREATE_FAILED: ${awsError.name}: ${awsError.message}`);
    this.name = 'DeployResourceError';
  }
}

/** The physical name CloudFormation would give a role without RoleName (deterministic here). */
export const twinRoleName = (stack: string, logicalId: string): string => `${stack}-${logicalId}`.slice(0, 64);

/** Deploys `app` into `world` (see the module comment). Imports every handler module (real I/O). */
export async function deploy(world: World, app: ResolvedApp, options: DeployOptions = {}): Promise<Deployment> {
  const config = app.config;
  const control = app.stacks[app.controlStack]!;
  const stacks = Object.values(app.stacks);

  // ---- limits: CloudFormation refuses a template, and IAM, CloudWatch, EventBridge and Step
  // Functions a resource, that breaks one (twin/services/cfn-limits.ts).
  const violations = stacks.flatMap((stack) => checkStackLimits(stack).violations);
  if (violations.length > 0) throw new DeployLimitError(violations);

  // ---- IAM
  const roleNames = new Map<string, string>();
  for (const stack of stacks) {
    for (const [logicalId, role] of resourcesOf(stack, 'AWS::IAM::Role')) {
      const name = typeof role.Properties?.RoleName === 'string' ? role.Properties.RoleName : twinRoleName(stack.name, logicalId);
      world.iam.putRole(name, rolePolicyDocuments(stack, logicalId) as unknown as PolicyDocument[]);
      roleNames.set(`${stack.name}|arn:aws:iam::${stack.account}:role/${physicalRoleName(role.Properties, logicalId)}`, name);
      // A named role is the account's: another stack may name it by its ARN (IAM names are global).
      if (typeof role.Properties?.RoleName === 'string') roleNames.set(`*|arn:aws:iam::${stack.account}:role/${name}`, name);
    }
  }
  const roleOf = (stack: ResolvedStack, roleArn: string): string => {
    const name = roleNames.get(`${stack.name}|${roleArn}`) ?? roleNames.get(`*|${roleArn}`);
    if (!name) throw new Error(`twin deploy: role ${roleArn} is not defined in stack ${stack.name}, nor named in another stack`);
    return name;
  };
  world.iam.putRole('drill-operator', [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }]);
  const operator = world.iam.assumeRole('drill-operator', 'drill-operator');

  // ---- stateful resources of the templates
  for (const stack of stacks) {
    for (const [, t] of resourcesOf(stack, 'AWS::DynamoDB::Table')) {
      const p = t.Properties as Record<string, never>;
      world.dynamodb.createTable(stack.region, {
        TableName: p.TableName,
        KeySchema: p.KeySchema,
        AttributeDefinitions: p.AttributeDefinitions,
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
      });
    }
    for (const [logicalId, t] of resourcesOf(stack, 'AWS::SNS::Topic')) world.sns.createTopic(stack.region, String(t.Properties?.TopicName ?? logicalId));
    for (const [logicalId, sub] of resourcesOf(stack, 'AWS::SNS::Subscription')) {
      const { Protocol, Endpoint, TopicArn } = (sub.Properties ?? {}) as { Protocol?: unknown; Endpoint?: unknown; TopicArn?: unknown };
      if (typeof Protocol !== 'string' || typeof Endpoint !== 'string' || typeof TopicArn !== 'string')
        throw new Error(`twin deploy: subscription ${logicalId} has no resolved Protocol, Endpoint and TopicArn`);
      if (options.emailSubscriptions?.removed?.includes(Endpoint)) continue;
      // Only an email (or email-json) subscription waits for a confirmation by its owner.
      const pending = Protocol.startsWith('email') && (options.emailSubscriptions?.pending ?? []).includes(Endpoint);
      world.sns.createSubscription(TopicArn, Protocol, Endpoint, !pending);
    }
    for (const [logicalId, b] of resourcesOf(stack, 'AWS::Events::EventBus')) world.events.createBus(stack.region, String(b.Properties?.Name ?? logicalId));
    for (const [logicalId, a] of resourcesOf(stack, 'AWS::CloudWatch::Alarm')) defineAlarmWithHistory(world, stack.region, logicalId, a.Properties ?? {});
  }

  // ---- functions
  const lambdas = new LambdaRuntime(world);
  for (const fn of app.functions) {
    const stack = app.stacks[fn.stack]!;
    const roleName = roleOf(stack, fn.roleArn);
    await lambdas.deploy(fn, roleName, world.iam.assumeRole(roleName, fn.functionName));
  }

  // ---- state machines: created as CloudFormation would (CreateStateMachine checks them), then run
  // by the runtime. The failover and failback are checked with the definitions the runtime runs.
  const createMachine = (stack: string, logicalId: string, request: CreateStateMachineInput, region: string) => {
    try {
      world.sfn.createStateMachine(request, { region });
    } catch (e) {
      throw new DeployResourceError(stack, logicalId, e as Error);
    }
  };
  for (const stack of stacks) {
    for (const [logicalId, r] of resourcesOf(stack, 'AWS::StepFunctions::StateMachine')) {
      const request = createRequestOfResource(r.Properties ?? {});
      const runs = [app.failover, app.failback].find((sm) => sm.name === request.name && stack.name === control.name);
      createMachine(stack.name, logicalId, runs ? { ...request, definition: JSON.stringify(runs.definition) } : request, stack.region);
    }
  }
  const sfn = new SfnRuntime(world, lambdas, options.hooks);
  const machine = (sm: ResolvedApp['failover'], label: string): RegisteredMachine => {
    if (!world.sfn.isCreated(sm.arn))
      createMachine(control.name, sm.name, { name: sm.name, definition: JSON.stringify(sm.definition), roleArn: sm.roleArn }, control.region);
    const roleName = roleOf(control, sm.roleArn);
    const reg: RegisteredMachine = {
      arn: sm.arn,
      name: sm.name,
      label,
      region: control.region,
      principal: world.iam.assumeRole(roleName, `${sm.name}-execution`),
      definition: sm.definition,
    };
    sfn.register(reg);
    // An EventBridge rule target: StartExecution as the target's role.
    world.events.registerTarget(sm.arn, async (payload: unknown, meta: DeliveryMeta) => {
      const ruleStack = stacks.find((s) => s.region === meta.event.region && roleNames.has(`${s.name}|${meta.target.RoleArn}`)) ?? control;
      const principal = meta.target.RoleArn ? world.iam.assumeRole(roleOf(ruleStack, meta.target.RoleArn), 'events') : undefined;
      await world.call('sfn', 'StartExecution', { stateMachineArn: sm.arn, input: JSON.stringify(payload) }, { region: control.region, principal });
    });
    return reg;
  };
  const failover = machine(app.failover, 'failover');
  const failback = machine(app.failback, 'failback');

  // ---- rules (after the buses and targets exist)
  for (const stack of stacks) loadRulesFromTemplate(world, stack.resolved, { region: stack.region, accountId: stack.account });

  // ---- EventBridge Scheduler (game-day schedules): validated as CreateSchedule is; a schedule whose
  // role is not trusted by Scheduler or may not act on its target is refused here (twin/services/scheduler.ts).
  deploySchedules(world, stacks, roleOf);

  // ---- the customer's resources
  const databases: Record<string, DeployedDatabase> = {};
  const coldActivations: ColdActivation[] = [];
  createHostedZones(world, config.databases);
  for (const db of config.databases)
    databases[db.name] = deployDatabase(
      world,
      db,
      coldActivations,
      (options.secretKeys ?? []).filter((k) => k.database === db.name).map((k) => k.kmsKeyArn),
    );
  for (const d of Object.values(databases)) await createAppTable(world, d);
  deployGameDayResources(world, config.databases, databases);
  // ---- fault experiment templates (after the alarms, roles and databases they name: FIS checks them)
  for (const stack of stacks) {
    for (const [logicalId, t] of resourcesOf(stack, 'AWS::FIS::ExperimentTemplate')) {
      const props = { ...(t.Properties ?? {}) } as Record<string, unknown>;
      if (typeof props.RoleArn === 'string' && roleNames.has(`${stack.name}|${props.RoleArn}`))
        props.RoleArn = `arn:aws:iam::${stack.account}:role/${roleOf(stack, props.RoleArn)}`;
      world.fis.createExperimentTemplate(stack.region, logicalId, props);
    }
  }
  // ---- the product's stacks themselves, with their resolved outputs (DescribeStacks answers them as
  // it does after `cdk deploy`; created last so the customer's stacks draw their ids as before).
  for (const stack of stacks) {
    const outputs = Object.fromEntries(
      Object.entries((stack.resolved.Outputs ?? {}) as Record<string, { Value?: unknown }>).map(([k, o]) => [k, String(o.Value)]),
    );
    world.cloudformation.createStack({ region: stack.region, name: stack.name, templateParameters: {}, outputs });
  }
  // Each Region deployed to was bootstrapped first (`cdk bootstrap`: the CDKToolkit stack).
  for (const region of [...new Set(stacks.map((s) => s.region))].sort()) {
    world.cloudformation.createStack({ region, name: 'CDKToolkit', templateParameters: {}, outputs: { BootstrapVersion: '30' } });
  }

  return {
    app,
    controlRegion: control.region,
    tableName: tableName(config.prefix),
    busName: eventBusName(config.prefix),
    topicArn: `arn:aws:sns:${control.region}:${control.account}:${topicName(config.prefix)}`,
    lambdas,
    sfn,
    failover,
    failback,
    databases,
    coldActivations,
    operator,
    roleNames,
  };
}

/** Creates the schedule groups and schedules of every stack (after the buses and roles exist). */
function deploySchedules(world: World, stacks: readonly ResolvedStack[], roleOf: (stack: ResolvedStack, roleArn: string) => string): void {
  for (const stack of stacks) {
    for (const [logicalId, g] of resourcesOf(stack, 'AWS::Scheduler::ScheduleGroup'))
      world.scheduler.createScheduleGroup(stack.region, String(g.Properties?.Name ?? logicalId));
  }
  for (const stack of stacks) {
    for (const [logicalId, raw] of resourcesOf(stack, 'AWS::Scheduler::Schedule')) {
      const spec = { Name: logicalId, ...(raw.Properties ?? {}) } as ScheduleSpec;
      const roleArn = spec.Target?.RoleArn ?? '';
      const roleName = roleOf(stack, roleArn);
      // The role: in the schedule's stack, or a named role of another stack.
      const role =
        findRole(stack, roleArn, () => true) ??
        stacks.map((other) => findRole(other, roleArn, (r) => typeof r.Properties?.RoleName === 'string')).find((r) => r !== undefined);
      const trust = JSON.stringify(role?.Properties?.AssumeRolePolicyDocument ?? {});
      if (!trust.includes('scheduler.amazonaws.com'))
        throw new Error(`twin deploy refused: schedule ${spec.Name}: its role ${roleArn} does not trust scheduler.amazonaws.com (Scheduler cannot assume it)`);
      const principal = world.iam.assumeRole(roleName, 'scheduler');
      const denied = SchedulerService.checkRole(spec, principal);
      if (denied) throw new Error(`twin deploy refused: ${denied}: the schedule would never reach its target`);
      world.scheduler.createSchedule(stack.region, spec, principal);
    }
  }
}

/** The role resource of `stack` whose ARN is `roleArn`, if `accept` takes it. */
function findRole(
  stack: ResolvedStack,
  roleArn: string,
  accept: (r: { Properties?: Record<string, unknown> }) => boolean,
): { Properties?: Record<string, unknown> } | undefined {
  const found = Object.entries(stack.resolved.Resources).find(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && roleArn.endsWith(`:role/${physicalRoleName(r.Properties, id)}`) && accept(r),
  );
  return found?.[1];
}

const physicalRoleName = (props: Record<string, unknown> | undefined, logicalId: string): string =>
  typeof props?.RoleName === 'string' ? props.RoleName : logicalId;

/** A value that does not breach the alarm's threshold (for the history before the start). */
function healthyValue(def: AlarmDefinition): number {
  const t = def.Threshold;
  switch (def.ComparisonOperator) {
    case 'LessThanThreshold':
    case 'GreaterThanThreshold':
      return t;
    case 'LessThanOrEqualToThreshold':
      return t + Math.max(1, Math.abs(t));
    case 'GreaterThanOrEqualToThreshold':
      return t - Math.max(1, Math.abs(t));
  }
}

function defineAlarmWithHistory(world: World, region: string, logicalId: string, props: Record<string, unknown>): void {
  const unsupported = Object.keys(props).filter((k) => !(ALARM_DEFINITION_KEYS as readonly string[]).includes(k));
  if (unsupported.length > 0) throw new Error(`twin deploy: alarm ${logicalId} uses ${unsupported.join(', ')}, which the twin does not model`);
  const def = { AlarmName: logicalId, ...props } as unknown as AlarmDefinition;
  world.cloudwatch.defineAlarm(region, def);
  if (!def.Namespace.startsWith('AWS/')) {
    const now = world.clock.now();
    const periodMs = def.Period * 1000;
    for (let k = def.EvaluationPeriods + 2; k >= 1; k--) {
      world.cloudwatch.putInternal(region, def.Namespace, def.MetricName, def.Dimensions ?? [], healthyValue(def), now - k * periodMs + periodMs / 2);
    }
  }
}

/** The id of the shared database-tier security group of a Region (sites configured without groups). */
export const sharedDatabaseGroup = (region: string): string =>
  `sg-0db${[...region]
    .reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)
    .toString(16)
    .padStart(14, '0')
    .slice(0, 14)}`;

/** The primary, standby, security groups, secret, DNS of one database. */
function deployDatabase(world: World, db: DatabaseConfig, coldActivations: ColdActivation[], secretKeys: readonly string[] = []): DeployedDatabase {
  const port = db.primary.port ?? defaultPort(db.engine);
  const ingress = [
    { IpProtocol: 'tcp', FromPort: port, ToPort: port, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'application and failover functions' }] },
  ];
  for (const site of [db.primary, db.standby]) {
    for (const id of site.securityGroupIds ?? []) {
      if (!world.ec2.hasGroup(site.region, id)) world.ec2.createSecurityGroup({ region: site.region, id, name: `${db.name}-database`, ingress });
    }
  }
  // Every instance in a VPC has at least one VPC security group: a site with none configured gets
  // the database tier's group of its Region (shared by every such database, as users do), so the
  // network model still decides who can connect, and a fence that swaps groups can restore it.
  const groupsOf = (site: { region: string; securityGroupIds?: string[] }): string[] => {
    if (site.securityGroupIds?.length) return site.securityGroupIds;
    const id = sharedDatabaseGroup(site.region);
    if (!world.ec2.hasGroup(site.region, id)) {
      world.ec2.createSecurityGroup({
        region: site.region,
        id,
        name: 'database-tier',
        ingress: [{ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, IpRanges: [{ CidrIp: '10.0.0.0/8', Description: 'application and failover functions' }] }],
      });
    }
    return [id];
  };

  // Credentials: the secret's password is the master password.
  const masterUsername = db.engine.includes('postgres') ? 'postgres' : 'admin';
  const rng = world.rng.stream(`drill.credentials.${db.name}`);
  const password = db.credentials?.secretArn ? rng.chars(24) : undefined;
  if (db.credentials?.secretArn) {
    const region = db.credentials.secretArn.split(':')[3]!;
    // The key of each copy: the scenario's (what the world really has), else the config's, else the AWS managed key.
    const keyIn = (r: string) => {
      const kmsKeyId = [...secretKeys, ...(db.credentials?.secretKmsKeyArns ?? [])].find((k) => k.split(':')[3] === r);
      return kmsKeyId ? { kmsKeyId } : {};
    };
    world.secretsmanager.createSecret(region, db.credentials.secretArn, { username: masterUsername, password }, keyIn(region));
    // Secrets Manager replication: the same secret (name, suffix, value) in each replica Region.
    for (const replica of db.credentials.secretReplicaRegions ?? []) {
      world.secretsmanager.createSecret(replica, secretArnInRegion(db.credentials.secretArn, replica), { username: masterUsername, password }, keyIn(replica));
    }
  }
  const database = db.credentials?.databaseName ?? (db.engine.includes('postgres') ? 'postgres' : 'mysql');

  let primary: DeployedSite;
  let standby: DeployedSite;
  if (isAurora(db.engine)) {
    if (db.standby.readiness === 'cold') throw new Error(`twin deploy: database ${db.name}: a cold Aurora standby is not modelled by the twin`);
    const gid = db.primary.globalClusterId ?? db.standby.globalClusterId ?? `${db.name}-global`;
    world.rds.createGlobalCluster({
      id: gid,
      engine: db.engine,
      clusters: [
        { region: db.primary.region, id: db.primary.clusterId!, port, securityGroupIds: db.primary.securityGroupIds ?? [] },
        { region: db.standby.region, id: db.standby.clusterId!, port, securityGroupIds: db.standby.securityGroupIds ?? [] },
      ],
    });
    const p = world.rds.getCluster(db.primary.clusterId!, db.primary.region)!;
    const s = world.rds.getCluster(db.standby.clusterId!, db.standby.region)!;
    primary = { region: p.region, id: p.id, kind: 'cluster', endpoint: world.rds.clusterEndpoint(p), port };
    standby = { region: s.region, id: s.id, kind: 'cluster', endpoint: world.rds.clusterEndpoint(s), port };
  } else {
    const warm = db.standby.readiness === 'warm';
    const primaryClass = db.standby.promotedInstanceClass ?? 'db.r6g.large';
    const p = world.rds.createInstance({
      region: db.primary.region,
      id: db.primary.instanceId!,
      engine: db.engine,
      port,
      instanceClass: primaryClass,
      securityGroupIds: groupsOf(db.primary),
      masterUsername,
      ...(password ? { masterPassword: password } : {}),
      dbName: database,
      // A custom parameter group, as production databases have: a failback's rebuilt replica must get it back.
      parameterGroup: `${db.name}-${db.engine}`,
    });
    primary = { region: p.region, id: p.id, kind: 'instance', endpoint: instanceEndpoint(p.id, p.region), port, resourceId: p.dbiResourceId };
    const standbyId = db.standby.instanceId!;
    standby = {
      region: db.standby.region,
      id: standbyId.toLowerCase(),
      kind: 'instance',
      endpoint: instanceEndpoint(standbyId.toLowerCase(), db.standby.region),
      port,
    };
    if (db.standby.readiness === 'cold') {
      deployColdStandby(
        world,
        db,
        p.id,
        standbyId,
        { port, securityGroupIds: groupsOf(db.standby), masterUsername, password, database, instanceClass: primaryClass },
        coldActivations,
      );
    } else {
      standby.resourceId = world.rds.createInstance({
        region: db.standby.region,
        id: standbyId,
        replicaOf: { region: p.region, id: p.id },
        parameterGroup: `${db.name}-${db.engine}`,
        securityGroupIds: groupsOf(db.standby),
        instanceClass: warm ? 'db.t4g.large' : primaryClass,
      }).dbiResourceId;
    }
  }

  // DNS: the writer CNAME (its zone: createHostedZones).
  world.route53.putRecord(db.dns.hostedZoneId, {
    Name: db.dns.recordName,
    Type: 'CNAME',
    TTL: db.dns.ttlSeconds,
    ResourceRecords: [{ Value: primary.endpoint }],
  });

  return { config: db, primary, standby, login: { user: masterUsername, password: password ?? 'drill-app-password', database } };
}

/**
 * The customer's hosted zones, one per `hostedZoneId` of the config. A zone has one domain, and
 * every record in it must be that domain or under it (Route 53 refuses others), so a zone that
 * several records share (the writer records of several databases, traffic records) is named after
 * their longest common parent domain: `writer.orders.internal` and `writer.payments.internal` in
 * one zone make the zone `internal`. A zone with one record is the record's parent domain.
 * Records with no common parent cannot share a zone: the deployment fails, naming them.
 */
export function hostedZoneNames(databases: readonly DatabaseConfig[]): Map<string, string> {
  const names = new Map<string, string[]>();
  const add = (zoneId: string, recordName: string) => names.set(zoneId, [...(names.get(zoneId) ?? []), recordName.toLowerCase().replace(/\.$/, '')]);
  for (const db of databases) {
    add(db.dns.hostedZoneId, db.dns.recordName);
    if (db.traffic) add(db.traffic.hostedZoneId, db.traffic.recordName);
  }
  const zones = new Map<string, string>();
  for (const [zoneId, records] of names) {
    const labels = records.map((r) => r.split('.'));
    // Common trailing labels, leaving at least one label of every record (a record is not its zone's apex).
    let common = Math.min(...labels.map((l) => l.length - 1));
    while (common > 0 && !labels.every((l) => l.slice(-common).join('.') === labels[0]!.slice(-common).join('.'))) common--;
    if (common === 0)
      throw new Error(
        `twin deploy: hosted zone ${zoneId} holds ${[...new Set(records)].join(', ')}, which have no common parent domain (a zone has one domain)`,
      );
    zones.set(zoneId, labels[0]!.slice(-common).join('.'));
  }
  return zones;
}

function createHostedZones(world: World, databases: readonly DatabaseConfig[]): void {
  for (const [id, name] of hostedZoneNames(databases)) if (world.route53.hostedZoneName(id) === undefined) world.route53.createHostedZone(name, { id });
}

/**
 * The cold standby: a CloudFormation stack in the standby Region whose activation parameter makes
 * it restore the database (15–35 min). The restore holds the primary's data as of its latest
 * backup: its automated backups are restorable up to 5 minutes before the last write the primary
 * took (logs upload every 5 minutes; the backups are replicated to the standby Region, see
 * `replicateAutomatedBackups`).
 */
function deployColdStandby(
  world: World,
  db: DatabaseConfig,
  primaryId: string,
  standbyId: string,
  spec: { port: number; securityGroupIds: string[]; masterUsername: string; password?: string; database: string; instanceClass: string },
  activations: ColdActivation[],
): void {
  const cold = db.standby.coldStandby!;
  const region = db.standby.region;
  // The restore reads the primary's automated backups replicated to the standby Region.
  if (world.rds.getInstance(primaryId, db.primary.region)) world.rds.replicateAutomatedBackups(primaryId, db.primary.region, region);
  world.cloudformation.createStack({ region, name: cold.stackName, templateParameters: { [cold.parameterName]: { Default: 'dormant' } } });
  // The customer's CloudFormation service role, with the permissions docs/config.md lists for it.
  const roleName = cold.serviceRoleArn ? roleNameOfArn(cold.serviceRoleArn) : undefined;
  if (roleName && !world.iam.hasRole(roleName)) {
    const restored = `arn:aws:rds:${region}:${world.accountId}:db:${standbyId.toLowerCase()}`;
    world.iam.putRole(roleName, [
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['rds:RestoreDBInstanceToPointInTime', 'rds:CreateDBInstance', 'rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'rds:AddTagsToResource'],
            Resource: restored,
          },
          {
            Effect: 'Allow',
            Action: ['rds:RestoreDBInstanceToPointInTime', 'rds:DescribeDBInstanceAutomatedBackups'],
            Resource: `arn:aws:rds:${region}:${world.accountId}:auto-backup:*`,
          },
        ],
      },
    ]);
  }
  world.cloudformation.setUpdateHook(region, cold.stackName, (u) => {
    if (u.next[cold.parameterName] !== cold.activeValue || u.previous[cold.parameterName] === cold.activeValue) return undefined;
    // CloudFormation restores the database as the stack's service role, else as the caller.
    u.authorize(coldStandbyRestoreOperations(region, standbyId));
    const started = world.clock.now();
    const source = world.rds.getInstance(primaryId, db.primary.region);
    const lastWrite = world.network.writes.filter((w) => w.target === primaryId).reduce((m, w) => Math.max(m, w.at), Number.NEGATIVE_INFINITY);
    const dataUpToMs = Math.min(started, Number.isFinite(lastWrite) ? lastWrite : started) - 5 * 60_000;
    const inst = world.rds.createInstance({
      region,
      id: standbyId,
      engine: db.engine,
      port: spec.port,
      instanceClass: spec.instanceClass,
      securityGroupIds: spec.securityGroupIds,
      masterUsername: spec.masterUsername,
      ...(spec.password ? { masterPassword: spec.password } : {}),
      dbName: spec.database,
      status: 'creating',
    });
    // Restored from the primary's backups: it belongs to that database.
    if (source) world.rds.lineage.set(inst.dbiResourceId, source.dbiResourceId);
    const activation: ColdActivation = {
      instanceId: inst.id,
      region,
      resourceId: inst.dbiResourceId,
      sourceId: primaryId,
      sourceResourceId: source?.dbiResourceId,
      startedAt: started,
      dataUpToMs,
      stackName: cold.stackName,
    };
    activations.push(activation);
    return {
      durationMs: Math.round(world.rng.stream('cfn.coldstandby').uniform(15 * 60, 35 * 60) * 1000),
      onComplete: () => {
        if (source) world.network.inheritData(inst, source, dataUpToMs);
        inst.status = 'available';
        inst.liveAddress = instanceEndpoint(inst.id, region);
        activation.completedAt = world.clock.now();
        world.log('cloud', `cold standby ${inst.id} restored and available (data up to ${new Date(dataUpToMs).toISOString()})`, {
          instanceId: inst.id,
          region,
        });
      },
    };
  });
}

/**
 * The customer's resources a game day names (docs/game-days.md): the drill pair primary's subnets
 * (`disruptSubnetIds`, with the primary's network interface in them), a Multi-AZ drill pair
 * primary where a reboot with failover is drilled (a Single-AZ one cannot fail over), and the
 * business alarms of `stopAlarmArns` (in OK, on a metric of the customer's own).
 */
function deployGameDayResources(world: World, configs: readonly DatabaseConfig[], databases: Record<string, DeployedDatabase>): void {
  for (const db of configs) {
    const game = db.gameDay;
    const pair = game ? databases[game.drillPair] : undefined;
    if (!game || !pair) continue;
    for (const subnet of game.disruptSubnetIds ?? []) world.ec2.createSubnet({ region: pair.primary.region, id: subnet, databases: [pair.primary.id] });
    const instance = pair.primary.kind === 'instance' ? world.rds.getInstance(pair.primary.id, pair.primary.region) : undefined;
    if (instance && game.faults.includes('reboot-with-failover')) instance.multiAZ = true;
    for (const alarmArn of game.stopAlarmArns) {
      const [, , , region, , , ...name] = alarmArn.split(':');
      const alarmName = name.join(':');
      if (!region || world.cloudwatch.hasAlarm(region, alarmName)) continue;
      defineAlarmWithHistory(world, region, alarmName, {
        AlarmName: alarmName,
        Namespace: 'Customer/Business',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'Alarm', Value: alarmName }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  }
}

/** Creates the application clients' table on the primary (as the database's owner would). */
async function createAppTable(world: World, d: DeployedDatabase): Promise<void> {
  const connector = createSqlConnector(world);
  await twinContext.run({ vantage: 'drill-setup', region: d.primary.region }, async () => {
    const session = await connector.connect({
      engine: d.config.engine,
      host: d.primary.endpoint,
      port: d.primary.port,
      user: d.login.user,
      password: d.login.password,
      database: d.login.database,
      timeoutMs: 3000,
      ssl: false,
    });
    try {
      await session.query(`CREATE TABLE IF NOT EXISTS ${APP_TABLE} (id varchar(64) PRIMARY KEY, client varchar(64), at timestamp)`);
    } finally {
      await session.close();
    }
  });
}
