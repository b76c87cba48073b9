/**
 * Game days, fault experiments (docs/game-days.md, "Fault experiments"): in one Region, an AWS
 * Fault Injection Service experiment template per fault of every drill pair whose primary lives
 * there. Each template:
 * - targets exactly the drill pair's primary, by ARN: its instance (reboot-with-failover), its
 *   cluster (failover-db-cluster), or the `disruptSubnetIds` subnets (disrupt-connectivity);
 * - is tagged `failover:database` (the drill pair), `failover:fault`, `failover:prefix`: the
 *   start-fault-experiment function finds it by these tags (fis:ListExperimentTemplates);
 * - stops on the user's business alarms (`gameDay.stopAlarmArns`) and on the product's own health
 *   alarms of that Region: the heartbeat-function errors alarm (the detection is blind: no drill
 *   should go on unseen) and, when a production database that asked for the drill has its primary
 *   here too, that database's in-Region heartbeat alarm (production hurts: stop the drill). Never
 *   the drill pair's own heartbeat alarm: the fault is meant to set it off;
 * - logs to an encrypted CloudWatch Logs group;
 * - runs as its own role, trusted by fis.amazonaws.com for this account only, allowed the action's
 *   calls on those targets only (docs/aws-behaviour.md, "Fault Injection Service").
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnExperimentTemplate } from 'aws-cdk-lib/aws-fis';
import { Effect, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { isAurora, type DatabaseConfig, type FailoverConfig, type GameDayFault } from '../../lambdas/shared/config-schema.js';
import { alarmName } from '../../lambdas/shared/names.js';
import { acknowledgeWildcards, type WildcardUse } from '../nag.js';
import { automationAlarmName } from './automation-alarms.js';
import { FailoverKey } from './encryption-key.js';

/** Tag keys of every experiment template (the contract start-fault-experiment looks templates up by). */
export const FIS_TAGS = { database: 'failover:database', fault: 'failover:fault', prefix: 'failover:prefix' } as const;

/** FIS's limit on stop conditions per experiment template (docs/aws-behaviour.md, "Fault Injection Service"). */
export const MAX_STOP_CONDITIONS = 5;

/** The FIS action each fault runs, its target key and resource type (docs/aws-behaviour.md, "Fault Injection Service"). */
export const FAULT_ACTIONS: Record<GameDayFault, { actionId: string; targetKey: string; resourceType: string }> = {
  'reboot-with-failover': { actionId: 'aws:rds:reboot-db-instances', targetKey: 'DBInstances', resourceType: 'aws:rds:db' },
  'failover-db-cluster': { actionId: 'aws:rds:failover-db-cluster', targetKey: 'Clusters', resourceType: 'aws:rds:cluster' },
  'disrupt-connectivity': { actionId: 'aws:network:disrupt-connectivity', targetKey: 'Subnets', resourceType: 'aws:ec2:subnet' },
};

/** One drill pair's experiments, as the production databases that name it ask for them. */
export interface DrillPairPlan {
  /** The drill pair. */
  readonly pair: DatabaseConfig;
  /** The production databases whose `gameDay` names it (config order). */
  readonly requestedBy: readonly DatabaseConfig[];
  /** Union of their faults (config order). */
  readonly faults: readonly GameDayFault[];
  /** The longest `faultDurationMinutes` among them. */
  readonly durationMinutes: number;
  /** Union of their `disruptSubnetIds`. */
  readonly subnetIds: readonly string[];
  /** Every stop alarm of the templates: the users' first, then the product's. */
  readonly stopAlarmArns: readonly string[];
}

const uniq = <T>(values: readonly T[]): T[] => [...new Set(values)];

/**
 * The drill pairs of a config whose primary is in `region`, with what their templates hold.
 * Throws when a pair would need more stop conditions than FIS allows.
 */
export function drillPairPlans(config: FailoverConfig, region: string, account: string = Aws.ACCOUNT_ID, partition: string = Aws.PARTITION): DrillPairPlan[] {
  const byName = new Map(config.databases.map((db) => [db.name, db]));
  const plans = new Map<string, { pair: DatabaseConfig; requestedBy: DatabaseConfig[] }>();
  for (const db of config.databases) {
    const pair = db.gameDay ? byName.get(db.gameDay.drillPair) : undefined;
    if (!pair || pair.primary.region !== region) continue;
    const plan = plans.get(pair.name) ?? { pair, requestedBy: [] };
    plan.requestedBy.push(db);
    plans.set(pair.name, plan);
  }
  return [...plans.values()].map(({ pair, requestedBy }) => {
    const games = requestedBy.map((db) => db.gameDay!);
    const alarmArn = (name: string) => `arn:${partition}:cloudwatch:${region}:${account}:alarm:${name}`;
    const product = [
      // A production database next to its drill pair: its trouble stops the drill.
      ...requestedBy
        .filter((db) => db.name !== pair.name && db.primary.region === region)
        .map((db) => alarmArn(alarmName(config.prefix, db.name, 'in-region'))),
      // The in-Region heartbeat fails (PutMetricData): the product cannot see the drill.
      alarmArn(automationAlarmName(config.prefix, `heartbeat-errors-${region}`)),
    ];
    const stopAlarmArns = uniq([...games.flatMap((g) => g.stopAlarmArns), ...product]);
    if (stopAlarmArns.length > MAX_STOP_CONDITIONS) {
      throw new Error(
        `game day of drill pair ${pair.name}: ${stopAlarmArns.length} stop alarms (${stopAlarmArns.join(', ')}), more than the ${MAX_STOP_CONDITIONS} stop conditions FIS allows per experiment template; name fewer gameDay.stopAlarmArns`,
      );
    }
    return {
      pair,
      requestedBy,
      faults: uniq(games.flatMap((g) => g.faults)),
      durationMinutes: Math.max(...games.map((g) => g.faultDurationMinutes)),
      subnetIds: uniq(games.flatMap((g) => g.disruptSubnetIds ?? [])),
      stopAlarmArns,
    };
  });
}

/** The Regions holding at least one drill pair's primary (config order). */
export function gameDayRegions(config: FailoverConfig): string[] {
  const byName = new Map(config.databases.map((db) => [db.name, db]));
  return uniq(config.databases.flatMap((db) => (db.gameDay && byName.get(db.gameDay.drillPair) ? [byName.get(db.gameDay.drillPair)!.primary.region] : [])));
}

/** An ISO 8601 duration of whole minutes, as FIS action parameters take it. */
export const isoMinutes = (minutes: number): string => (minutes % 60 === 0 ? `PT${minutes / 60}H` : `PT${minutes}M`);

export interface GameDayExperimentsProps {
  readonly config: FailoverConfig;
  /** The Region (the stack's): drill pairs whose primary is here. */
  readonly region: string;
}

/** The experiment templates of one Region (see the module comment). */
export class GameDayExperiments extends Construct {
  /** By `<drill pair>/<fault>`. */
  public readonly templates: Readonly<Record<string, CfnExperimentTemplate>>;
  /** The role of each template, by `<drill pair>/<fault>`. */
  public readonly roles: Readonly<Record<string, Role>>;
  public readonly logGroup: LogGroup;
  public readonly key: Key;
  public readonly plans: readonly DrillPairPlan[];

  constructor(scope: Construct, id: string, props: GameDayExperimentsProps) {
    super(scope, id);
    const { config, region } = props;
    const stack = Stack.of(this);
    this.plans = drillPairPlans(config, region, stack.account, stack.partition);
    if (this.plans.length === 0) throw new Error(`GameDayExperiments: no drill pair has its primary in ${region}`);

    this.key = new FailoverKey(this, 'Key', {
      alias: `${config.prefix}-game-day`,
      description: `RDS failover game days in ${region}: fault experiment logs`,
    }).key;
    this.logGroup = new LogGroup(this, 'ExperimentLogs', {
      logGroupName: `/aws/fis/${config.prefix}-game-day`,
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const arn = (service: string, resource: string) => `arn:${stack.partition}:${service}:${region}:${stack.account}:${resource}`;
    const templates: Record<string, CfnExperimentTemplate> = {};
    const roles: Record<string, Role> = {};
    for (const plan of this.plans) {
      const { pair } = plan;
      for (const fault of plan.faults) {
        const key = `${pair.name}/${fault}`;
        const cid = `${pair.name}-${fault}`;
        const action = FAULT_ACTIONS[fault];
        const role = new Role(this, `Role-${cid}`, {
          assumedBy: new ServicePrincipal('fis.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
          description: `FIS experiment role: ${fault} on the drill pair ${pair.name} only`,
          maxSessionDuration: Duration.hours(1),
        });
        const { targets, statements, wildcards } = faultTargetsAndPermissions(fault, pair, plan, arn);
        // Vended log delivery to the experiment log group (CloudWatch Logs takes no resource-level permission for these).
        statements.push(
          new PolicyStatement({
            actions: ['logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
            resources: ['*'],
          }),
        );
        wildcards.push({
          resource: '*',
          reason:
            'FIS delivers experiment logs as vended logs: logs:CreateLogDelivery, PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups take no resource-level permission',
        });
        const policy = new Policy(this, `Policy-${cid}`, { statements });
        policy.attachToRole(role);
        acknowledgeWildcards(policy, wildcards);
        const template = new CfnExperimentTemplate(this, `Template-${cid}`, {
          description: `${fault} of ${pair.name} (drill pair of ${plan.requestedBy.map((db) => db.name).join(', ')})`.slice(0, 512),
          roleArn: role.roleArn,
          targets: { [action.targetKey]: targets },
          actions: {
            [fault.replace(/-/g, '')]: {
              actionId: action.actionId,
              description: `${fault} of ${pair.name}`,
              targets: { [action.targetKey]: action.targetKey },
              ...(fault === 'reboot-with-failover' ? { parameters: { forceFailover: 'true' } } : {}),
              ...(fault === 'disrupt-connectivity' ? { parameters: { duration: isoMinutes(plan.durationMinutes), scope: 'all' } } : {}),
            },
          },
          stopConditions: plan.stopAlarmArns.map((value) => ({ source: 'aws:cloudwatch:alarm', value })),
          logConfiguration: { logSchemaVersion: 2, cloudWatchLogsConfiguration: { LogGroupArn: this.logGroup.logGroupArn } },
          experimentOptions: { accountTargeting: 'single-account', emptyTargetResolutionMode: 'fail' },
          tags: { [FIS_TAGS.database]: pair.name, [FIS_TAGS.fault]: fault, [FIS_TAGS.prefix]: config.prefix, Name: `${config.prefix}-${pair.name}-${fault}` },
        });
        template.node.addDependency(policy);
        templates[key] = template;
        roles[key] = role;
      }
    }
    this.templates = templates;
    this.roles = roles;
  }
}

/** The target of a fault (by ARN, every resource) and the calls its action makes on it. */
function faultTargetsAndPermissions(
  fault: GameDayFault,
  pair: DatabaseConfig,
  plan: DrillPairPlan,
  arn: (service: string, resource: string) => string,
): { targets: CfnExperimentTemplate.ExperimentTemplateTargetProperty; statements: PolicyStatement[]; wildcards: WildcardUse[] } {
  const { resourceType } = FAULT_ACTIONS[fault];
  const target = (resourceArns: string[]) => ({ resourceType, resourceArns, selectionMode: 'ALL' });
  switch (fault) {
    case 'reboot-with-failover': {
      if (isAurora(pair.engine) || !pair.primary.instanceId)
        throw new Error(`game day: reboot-with-failover needs an RDS instance; drill pair ${pair.name} is ${pair.engine}`);
      const db = arn('rds', `db:${pair.primary.instanceId.toLowerCase()}`);
      return {
        targets: target([db]),
        statements: [new PolicyStatement({ actions: ['rds:RebootDBInstance', 'rds:DescribeDBInstances'], resources: [db] })],
        wildcards: [],
      };
    }
    case 'failover-db-cluster': {
      if (!isAurora(pair.engine) || !pair.primary.clusterId)
        throw new Error(`game day: failover-db-cluster needs an Aurora cluster; drill pair ${pair.name} is ${pair.engine}`);
      const cluster = arn('rds', `cluster:${pair.primary.clusterId.toLowerCase()}`);
      return {
        targets: target([cluster]),
        statements: [new PolicyStatement({ actions: ['rds:FailoverDBCluster', 'rds:DescribeDBClusters'], resources: [cluster] })],
        wildcards: [],
      };
    }
    case 'disrupt-connectivity': {
      if (plan.subnetIds.length === 0) throw new Error(`game day: disrupt-connectivity of ${pair.name} needs gameDay.disruptSubnetIds`);
      const subnets = plan.subnetIds.map((id) => arn('ec2', `subnet/${id}`));
      const acl = arn('ec2', 'network-acl/*');
      const vpc = arn('ec2', 'vpc/*');
      const byFis = { StringEquals: { 'aws:RequestTag/managedByFIS': 'true' } };
      const fisOwned = { StringEquals: { 'ec2:ResourceTag/managedByFIS': 'true' } };
      return {
        targets: target(subnets),
        statements: [
          // FIS puts a deny-all network ACL (tagged managedByFIS=true) on the subnets, then puts the original back and deletes it.
          new PolicyStatement({ actions: ['ec2:CreateNetworkAcl'], resources: [acl], conditions: byFis }),
          new PolicyStatement({ actions: ['ec2:CreateNetworkAcl'], resources: [vpc] }),
          new PolicyStatement({
            actions: ['ec2:CreateTags'],
            resources: [acl],
            conditions: { StringEquals: { 'ec2:CreateAction': 'CreateNetworkAcl', 'aws:RequestTag/managedByFIS': 'true' } },
          }),
          new PolicyStatement({ actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAcl'], resources: [acl], conditions: fisOwned }),
          new PolicyStatement({ actions: ['ec2:ReplaceNetworkAclAssociation'], resources: [...subnets, acl] }),
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: [
              'ec2:DescribeNetworkAcls',
              'ec2:DescribeSubnets',
              'ec2:DescribeVpcs',
              'ec2:DescribeManagedPrefixLists',
              'ec2:GetManagedPrefixListEntries',
            ],
            resources: ['*'],
          }),
        ],
        wildcards: [
          {
            resource: acl,
            reason:
              'FIS creates its own network ACL at run time (its id is unknown before): creation needs the request tag managedByFIS=true, every other use needs the resource tag managedByFIS=true, and the association only on the drill pair subnets',
          },
          { resource: vpc, reason: "the network ACL is created in the drill pair subnets' VPC, which the config does not name (only its subnets)" },
          {
            resource: '*',
            reason:
              'ec2:Describe* and ec2:GetManagedPrefixListEntries take no resource-level permission (FIS reads the subnets, their ACLs and VPC before acting)',
          },
        ],
      };
    }
  }
}
