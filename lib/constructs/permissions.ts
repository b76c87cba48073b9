/**
 * What each function may do, scoped to the resources named in the config (least privilege).
 * This is the one place to read (and review) the product's IAM: every statement of every
 * function role comes from here, plus each function's own log-group grant and X-Ray.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { isAurora, type DatabaseConfig, type FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { METRICS, type FunctionName } from '../../lambdas/shared/contracts.js';
import { probeFunctionName } from '../../lambdas/shared/names.js';
import { Arns, secretResourceArn } from '../arns.js';
import type { FunctionPermissions, WildcardGrant } from './failover-function.js';

/** The control stack's own resources, by ARN. */
export interface ControlResourceArns {
  readonly table: string;
  readonly topic: string;
  readonly bus: string;
  /** The key encrypting table and topic. */
  readonly key: string;
}

/** The functions that run in the control Region. */
export const CONTROL_FUNCTIONS = [
  'accept-trigger',
  'manage-lease',
  'probe-vantage',
  'evaluate-verdict',
  'check-data-loss-budget',
  'request-approval',
  'fence-primary',
  'promote-standby',
  'check-standby',
  'switch-dns',
  'verify-writes',
  'record-incident',
  'heartbeat',
] as const satisfies readonly FunctionName[];
export type ControlFunctionName = (typeof CONTROL_FUNCTIONS)[number];

const uniq = (values: string[]): string[] => [...new Set(values)];
const defined = <T>(values: (T | undefined)[]): T[] => values.filter((v): v is T => v !== undefined);
const stmt = (actions: string[], resources: string[]): PolicyStatement[] =>
  resources.length === 0 ? [] : [new PolicyStatement({ actions, resources: uniq(resources) })];

const tableActions = {
  read: ['dynamodb:GetItem'],
  write: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
};
const KEY_FOR_TABLE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];
const KEY_FOR_TOPIC = ['kms:Decrypt', 'kms:GenerateDataKey'];

/** cloudwatch:PutMetricData, only into the product's namespace. */
export function putMetricDataGrant(): WildcardGrant {
  return {
    statement: new PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': METRICS.namespace } },
    }),
    reason: `cloudwatch:PutMetricData has no resource-level permissions; it is limited to the ${METRICS.namespace} namespace by the cloudwatch:namespace condition`,
  };
}

/**
 * What a function that logs in to databases needs: the configured secrets, and IAM database
 * authentication for the configured users in the given Regions.
 */
export function databaseLoginGrants(databases: readonly DatabaseConfig[], regions: (db: DatabaseConfig) => string[], arns: Arns): FunctionPermissions {
  const secrets = uniq(defined(databases.map((db) => db.credentials?.secretArn)));
  const statements: PolicyStatement[] = [];
  const wildcards: WildcardGrant[] = [];
  const full = secrets.filter((s) => secretResourceArn(s) === s);
  const partial = secrets.filter((s) => secretResourceArn(s) !== s);
  statements.push(...stmt(['secretsmanager:GetSecretValue'], full));
  if (partial.length > 0) {
    wildcards.push({
      statement: new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: partial.map(secretResourceArn) }),
      reason: 'The configured secret ARN has no random suffix: -?????? matches exactly the six characters Secrets Manager appends to that name',
    });
  }
  const dbUsers = uniq(
    databases.flatMap((db) => (db.credentials?.iamUser && !db.credentials.secretArn ? regions(db).map((r) => arns.rdsDbUser(r, db.credentials!.iamUser!)) : [])),
  );
  if (dbUsers.length > 0) {
    wildcards.push({
      statement: new PolicyStatement({ actions: ['rds-db:connect'], resources: dbUsers }),
      reason: 'IAM database authentication: the ARN names the configured database user, but the instance resource id (DbiResourceId) is not known before deployment',
    });
  }
  return { statements, wildcards };
}

/** Every Region a database's writer may be in (before and after a failover). */
const writerRegions = (db: DatabaseConfig): string[] => uniq([db.primary.region, db.standby.region]);

/** The primary's RDS resource ARN (instance, or cluster for Aurora). */
function primaryDescribe(db: DatabaseConfig, arns: Arns): PolicyStatement[] {
  if (isAurora(db.engine)) return stmt(['rds:DescribeDBClusters'], defined([db.primary.clusterId]).map((id) => arns.rdsCluster(db.primary.region, id)));
  return stmt(['rds:DescribeDBInstances'], defined([db.primary.instanceId]).map((id) => arns.rdsInstance(db.primary.region, id)));
}

/** Statements for the standby side (describe; optionally the promotion actions). */
function standbyStatements(db: DatabaseConfig, arns: Arns, mode: 'describe' | 'promote'): FunctionPermissions {
  const r = db.standby.region;
  const statements: PolicyStatement[] = [];
  const wildcards: WildcardGrant[] = [];
  if (isAurora(db.engine)) {
    const clusters = [
      ...defined([db.standby.clusterId]).map((id) => arns.rdsCluster(r, id)),
      ...(mode === 'promote' ? defined([db.primary.clusterId]).map((id) => arns.rdsCluster(db.primary.region, id)) : []),
    ];
    const globals = uniq(defined([db.standby.globalClusterId, db.primary.globalClusterId])).map((id) => arns.rdsGlobalCluster(id));
    statements.push(...stmt(['rds:DescribeDBClusters'], defined([db.standby.clusterId]).map((id) => arns.rdsCluster(r, id))));
    statements.push(...stmt(['rds:DescribeGlobalClusters'], globals));
    if (mode === 'promote' && globals.length > 0) statements.push(...stmt(['rds:FailoverGlobalCluster'], [...clusters, ...globals]));
    return { statements, wildcards };
  }
  const instance = defined([db.standby.instanceId]).map((id) => arns.rdsInstance(r, id));
  statements.push(...stmt(['rds:DescribeDBInstances'], instance));
  if (mode === 'promote') {
    if (db.standby.readiness !== 'cold') statements.push(...stmt(['rds:PromoteReadReplica'], instance));
    if (db.standby.readiness === 'warm') statements.push(...stmt(['rds:ModifyDBInstance'], instance));
  }
  if (db.standby.readiness === 'cold' && db.standby.coldStandby) {
    const actions = mode === 'promote' ? ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'] : ['cloudformation:DescribeStacks'];
    wildcards.push({
      statement: new PolicyStatement({ actions, resources: [arns.cloudFormationStack(r, db.standby.coldStandby.stackName)] }),
      reason: `The cold-standby stack ${db.standby.coldStandby.stackName} is named in the config; its stack id (the last ARN segment) is only known once it exists`,
    });
  }
  return { statements, wildcards };
}

const merge = (...sets: FunctionPermissions[]): FunctionPermissions => ({
  statements: sets.flatMap((s) => s.statements),
  wildcards: sets.flatMap((s) => s.wildcards),
});
const only = (statements: PolicyStatement[], wildcards: WildcardGrant[] = []): FunctionPermissions => ({ statements, wildcards });

/** The table (items only; `withIndex` adds Query on the pending-approvals index) and its key. */
function tableAccess(res: ControlResourceArns, mode: 'read' | 'write'): PolicyStatement[] {
  return [...stmt(tableActions[mode], [res.table]), ...stmt(KEY_FOR_TABLE, [res.key])];
}
/** Publishing to the topic; the key grant is left out when the table's (a superset) is already there. */
function topicAccess(res: ControlResourceArns, withKey = true): PolicyStatement[] {
  return [...stmt(['sns:Publish'], [res.topic]), ...(withKey ? stmt(KEY_FOR_TOPIC, [res.key]) : [])];
}

/**
 * The permissions of one control-Region function, for every database of the config.
 *
 * | function | may |
 * |---|---|
 * | accept-trigger, evaluate-verdict | nothing (pure) |
 * | manage-lease | read/write the table |
 * | probe-vantage | invoke `${prefix}-probe` in each vantage Region; describe each primary |
 * | check-data-loss-budget | GetMetricData (`*`); describe each standby; cold: the automated backups |
 * | request-approval | write the table; publish to the topic |
 * | fence-primary | describe/revoke ingress of the primaries' security groups; describe and reboot the primary; write the table |
 * | promote-standby | promote/modify the standby instance, or fail over the global cluster, or update the cold stack |
 * | check-standby | describe the standby (instance, cluster and global cluster, or cold stack) |
 * | switch-dns | change/list the record sets of each hosted zone |
 * | verify-writes, heartbeat | read the configured secrets / IAM db auth; heartbeat also PutMetricData |
 * | record-incident | write the table; publish; PutEvents on the product bus; PutMetricData |
 */
export function controlFunctionPermissions(fn: ControlFunctionName, config: FailoverConfig, res: ControlResourceArns, arns: Arns = new Arns()): FunctionPermissions {
  const dbs = config.databases;
  switch (fn) {
    case 'accept-trigger':
    case 'evaluate-verdict':
      return only([]);
    case 'manage-lease':
      return only(tableAccess(res, 'write'));
    case 'probe-vantage': {
      const regions = uniq(dbs.flatMap((db) => db.detection.vantagePoints.map((v) => v.region)));
      return merge(
        only(stmt(['lambda:InvokeFunction'], regions.map((r) => arns.lambdaFunction(r, probeFunctionName(config.prefix))))),
        only(dbs.filter((db) => db.detection.includeControlPlane).flatMap((db) => primaryDescribe(db, arns))),
      );
    }
    case 'check-data-loss-budget': {
      const replicas = dbs.filter((db) => db.standby.readiness !== 'cold' && !isAurora(db.engine));
      const cold = dbs.filter((db) => db.standby.readiness === 'cold' && !isAurora(db.engine) && db.primary.instanceId);
      const wildcards: WildcardGrant[] = [
        {
          statement: new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
          reason: 'cloudwatch:GetMetricData (replica lag at the trigger time) has no resource-level permissions',
        },
      ];
      if (cold.length > 0) {
        wildcards.push({
          statement: new PolicyStatement({
            actions: ['rds:DescribeDBInstanceAutomatedBackups'],
            resources: uniq(cold.map((db) => arns.rdsAnyAutomatedBackup(db.standby.region))),
          }),
          reason: 'Cold standbys: the age of the replicated automated backups bounds the data loss; automated-backup ARNs carry resource ids unknown before deployment',
        });
      }
      return only(
        stmt(['rds:DescribeDBInstances'], replicas.flatMap((db) => defined([db.standby.instanceId]).map((id) => arns.rdsInstance(db.standby.region, id)))),
        wildcards,
      );
    }
    case 'request-approval':
      return only([...tableAccess(res, 'write'), ...topicAccess(res, false)]);
    case 'fence-primary': {
      const groups = dbs.flatMap((db) => (db.primary.securityGroupIds ?? []).map((sg) => arns.securityGroup(db.primary.region, sg)));
      const instances = dbs.filter((db) => !isAurora(db.engine)).flatMap((db) => defined([db.primary.instanceId]).map((id) => arns.rdsInstance(db.primary.region, id)));
      const clusters = dbs.filter((db) => isAurora(db.engine)).flatMap((db) => defined([db.primary.clusterId]).map((id) => arns.rdsCluster(db.primary.region, id)));
      const auroraRegions = uniq(dbs.filter((db) => isAurora(db.engine)).map((db) => db.primary.region));
      const wildcards: WildcardGrant[] = [];
      if (groups.length > 0) {
        wildcards.push({
          statement: new PolicyStatement({ actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }),
          reason: 'ec2:DescribeSecurityGroups (reading the ingress rules to revoke and keep) has no resource-level permissions',
        });
      }
      if (auroraRegions.length > 0) {
        wildcards.push({
          statement: new PolicyStatement({ actions: ['rds:DescribeDBInstances', 'rds:RebootDBInstance'], resources: auroraRegions.map((r) => arns.rdsAnyInstance(r)) }),
          reason: "Aurora: the primary cluster's writer instance (rebooted to drop open sessions) is only known at fence time",
        });
      }
      return only(
        [
          ...stmt(['ec2:RevokeSecurityGroupIngress'], groups),
          ...stmt(['rds:DescribeDBInstances', 'rds:RebootDBInstance'], instances),
          ...stmt(['rds:DescribeDBClusters'], clusters),
          ...tableAccess(res, 'write'),
        ],
        wildcards,
      );
    }
    case 'promote-standby':
      return merge(...dbs.map((db) => standbyStatements(db, arns, 'promote')));
    case 'check-standby':
      return merge(...dbs.map((db) => standbyStatements(db, arns, 'describe')));
    case 'switch-dns':
      return only(stmt(['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets'], dbs.map((db) => arns.hostedZone(db.dns.hostedZoneId))));
    case 'verify-writes':
      return databaseLoginGrants(dbs, writerRegions, arns);
    case 'heartbeat':
      return merge(databaseLoginGrants(dbs, writerRegions, arns), only([], [putMetricDataGrant()]));
    case 'record-incident':
      return only([...tableAccess(res, 'write'), ...topicAccess(res, false), ...stmt(['events:PutEvents'], [res.bus])], [putMetricDataGrant()]);
  }
}

/**
 * Merges statements that allow the same actions (without conditions) into one statement over
 * all their resources, so that a hundred databases still fit in one role policy.
 */
export function consolidate(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  const byActions = new Map<string, PolicyStatement>();
  for (const s of statements) {
    const json = s.toStatementJson() as { Condition?: unknown; Effect?: string };
    if (json.Condition !== undefined || json.Effect === 'Deny') {
      out.push(s);
      continue;
    }
    const key = [...s.actions].sort().join(',');
    const existing = byActions.get(key);
    if (existing) {
      existing.addResources(...s.resources.filter((r) => !existing.resources.includes(r)));
    } else {
      const copy = new PolicyStatement({ actions: [...s.actions], resources: [...s.resources] });
      byActions.set(key, copy);
      out.push(copy);
    }
  }
  return out;
}
