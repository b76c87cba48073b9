/**
 * What each function may do, scoped to the resources named in the config (least privilege).
 * This is the one place to read (and review) the product's IAM: every statement of every
 * function role comes from here, plus each function's own log-group grant and X-Ray.
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { isAurora, secretArnInRegion, type DatabaseConfig, type FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { DETAIL_TYPES, FUNCTION_NAMES, METRICS, type FunctionName } from '../../lambdas/shared/contracts.js';
import {
  HEARTBEAT_EVENT_SOURCE,
  ISOLATION_TAG,
  PENDING_APPROVALS_INDEX,
  alarmName,
  alarmNamePattern,
  probeFunctionName,
  type HeartbeatSite,
} from '../../lambdas/shared/names.js';
import { currentRoles } from '../../lambdas/shared/roles.js';
import { Arns, normalizedRecordName, secretResourceArn } from '../arns.js';
import { stateMachineNames } from '../naming.js';
import type { FunctionPermissions, WildcardGrant } from './failover-function.js';

/** The control stack's own resources, by ARN. */
export interface ControlResourceArns {
  readonly table: string;
  readonly topic: string;
  readonly bus: string;
  /** The key encrypting table and topic. */
  readonly key: string;
  /**
   * The Secrets Manager secret that signs approval-page links (read by request-approval and the page).
   * @default - no approval page: neither function may read a signing secret
   */
  readonly approvalSigningSecret?: string;
}

/** The functions that run in the control Region: every function but the probe (it runs in the vantage Regions). */
export type ControlFunctionName = Exclude<FunctionName, 'probe'>;
export const CONTROL_FUNCTIONS: readonly ControlFunctionName[] = FUNCTION_NAMES.filter((name): name is ControlFunctionName => name !== 'probe');

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
 * What a heartbeat needs to ask for a verification itself (lambdas/heartbeat/core.ts,
 * verificationRequest): read its own site's trigger alarms (in its Region), and put exactly one
 * kind of event, "Heartbeat Failed" from the heartbeat source, on the product bus (in the control
 * Region): nothing else may be put there in its name.
 */
export function heartbeatTriggerGrants(prefix: string, site: HeartbeatSite, region: string, bus: string, arns: Arns): FunctionPermissions {
  return {
    statements: [
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [bus],
        conditions: { StringEquals: { 'events:source': HEARTBEAT_EVENT_SOURCE, 'events:detail-type': DETAIL_TYPES.heartbeatFailed } },
      }),
    ],
    wildcards: [
      {
        statement: new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [arns.alarm(region, alarmNamePattern(prefix, site))] }),
        reason: `The ${site} heartbeat reads the state of its own trigger alarms only: every one is named ${alarmNamePattern(prefix, site)} (one statement for every database)`,
      },
    ],
  };
}

/**
 * What a function that logs in to databases needs: the configured secrets and their replicas, and IAM database
 * authentication for the configured users in the given Regions.
 */
export function databaseLoginGrants(databases: readonly DatabaseConfig[], regions: (db: DatabaseConfig) => string[], arns: Arns): FunctionPermissions {
  // The secret and its replicas (same ARN, another Region: credentials.secretReplicaRegions).
  const secrets = uniq(
    databases.flatMap((db) => {
      const arn = db.credentials?.secretArn;
      return arn ? [arn, ...(db.credentials?.secretReplicaRegions ?? []).map((r) => secretArnInRegion(arn, r))] : [];
    }),
  );
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
  // Secrets under customer managed keys: Secrets Manager decrypts with the reader's own
  // credentials, so each reader may kms:Decrypt with exactly those keys, only through Secrets
  // Manager in the key's Region (docs/aws-behaviour.md "Secrets under a customer managed key").
  for (const key of uniq(databases.flatMap((db) => (db.credentials?.secretArn ? (db.credentials.secretKmsKeyArns ?? []) : [])))) {
    statements.push(
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${key.split(':')[3]}.amazonaws.com` } },
      }),
    );
  }
  const dbUsers = uniq(
    databases.flatMap((db) =>
      db.credentials?.iamUser && !db.credentials.secretArn ? regions(db).map((r) => arns.rdsDbUser(r, db.credentials!.iamUser!)) : [],
    ),
  );
  if (dbUsers.length > 0) {
    wildcards.push({
      statement: new PolicyStatement({ actions: ['rds-db:connect'], resources: dbUsers }),
      reason:
        'IAM database authentication: the ARN names the configured database user, but the instance resource id (DbiResourceId) is not known before deployment',
    });
  }
  return { statements, wildcards };
}

/**
 * Both role assignments of a database: as configured, and swapped (after a failover whose roles
 * were kept). The workflows act on the current roles, so a step that acts on "the primary" or
 * "the standby" may act on either configured site.
 */
export const bothRoles = (db: DatabaseConfig): DatabaseConfig[] => [db, currentRoles(db, 'standby')];

/** Every Region a database's writer may be in (before and after a failover). */
const writerRegions = (db: DatabaseConfig): string[] => uniq([db.primary.region, db.standby.region]);

/** The primary's RDS resource ARN (instance, or cluster for Aurora). */
function primaryDescribe(db: DatabaseConfig, arns: Arns): PolicyStatement[] {
  if (isAurora(db.engine))
    return stmt(
      ['rds:DescribeDBClusters'],
      defined([db.primary.clusterId]).map((id) => arns.rdsCluster(db.primary.region, id)),
    );
  return stmt(
    ['rds:DescribeDBInstances'],
    defined([db.primary.instanceId]).map((id) => arns.rdsInstance(db.primary.region, id)),
  );
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
    statements.push(
      ...stmt(
        ['rds:DescribeDBClusters'],
        defined([db.standby.clusterId]).map((id) => arns.rdsCluster(r, id)),
      ),
    );
    statements.push(...stmt(['rds:DescribeGlobalClusters'], globals));
    if (mode === 'promote' && globals.length > 0) statements.push(...stmt(['rds:FailoverGlobalCluster'], [...clusters, ...globals]));
    return { statements, wildcards };
  }
  const instance = defined([db.standby.instanceId]).map((id) => arns.rdsInstance(r, id));
  statements.push(...stmt(['rds:DescribeDBInstances'], instance));
  if (mode === 'promote') {
    // Cold too: once a failback has rebuilt the cold site's instance as a replica of the original
    // site (its new standby), the next failover promotes that replica (promote-standby).
    statements.push(...stmt(['rds:PromoteReadReplica'], instance));
    if (db.standby.readiness === 'warm') statements.push(...stmt(['rds:ModifyDBInstance'], instance));
  }
  if (db.standby.readiness === 'cold' && db.standby.coldStandby) {
    const actions = mode === 'promote' ? ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'] : ['cloudformation:DescribeStacks'];
    wildcards.push({
      statement: new PolicyStatement({ actions, resources: [arns.cloudFormationStack(r, db.standby.coldStandby.stackName)] }),
      reason: `The cold-standby stack ${db.standby.coldStandby.stackName} is named in the config; its stack id (the last ARN segment) is only known once it exists`,
    });
    // UpdateStack passes the stack's service role: PassRole on exactly that role, to CloudFormation only.
    const role = db.standby.coldStandby.serviceRoleArn;
    if (mode === 'promote' && role) {
      statements.push(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [role],
          conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
        }),
      );
    }
  }
  return { statements, wildcards };
}

const merge = (...sets: FunctionPermissions[]): FunctionPermissions => ({
  statements: sets.flatMap((s) => s.statements),
  wildcards: sets.flatMap((s) => s.wildcards),
});
const only = (statements: PolicyStatement[], wildcards: WildcardGrant[] = []): FunctionPermissions => ({ statements, wildcards });

/**
 * The partition keys of the state table's items, by owner (lambdas/shared/names.ts, approvals.ts,
 * record-incident/core.ts): a function reaches only the items it owns (`dynamodb:LeadingKeys`).
 */
export const TABLE_PARTITIONS = {
  /** manage-lease: one item per configured database, `DB#<name>`. */
  database: (name: string): string => `DB#${name}`,
  /** record-fence writes and restore-ingress reads the fence record of an incident. */
  fence: 'FENCE#*',
  /** record-incident: the incident record. */
  incident: 'INCIDENT#*',
  /** request-approval writes and the approval page answers approval records. */
  approval: 'APPROVAL#*',
} as const;

/**
 * Item access to the table, limited to the given partition keys, and the table's key.
 * `ForAllValues` over `dynamodb:LeadingKeys` (every partition key of the request must match): the
 * functions get only item actions, which always carry a key (never Scan, whose request has none).
 */
function tableAccess(
  res: ControlResourceArns,
  mode: 'read' | 'write',
  partitions: readonly string[],
  actions: readonly string[] = tableActions[mode],
): PolicyStatement[] {
  const exact = partitions.every((p) => !p.includes('*'));
  return [
    new PolicyStatement({
      actions: [...actions],
      resources: [res.table],
      conditions: { [exact ? 'ForAllValues:StringEquals' : 'ForAllValues:StringLike']: { 'dynamodb:LeadingKeys': uniq([...partitions]) } },
    }),
    ...stmt(KEY_FOR_TABLE, [res.key]),
  ];
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
 * | check-data-loss-budget | GetMetricData (`*`); describe each standby (instance, or Aurora cluster); cold: the automated backups |
 * | request-approval | write the table; publish to the topic; Query the pending-approvals index and SendTaskSuccess (`*`) to withdraw a verdict question a new trigger supersedes |
 * | fence-primary | describe/revoke ingress of the primaries' security groups; describe and reboot the primary; isolate (modify), stop the primary (no table: record-fence keeps the fence record) |
 * | promote-standby | promote/modify the standby instance, or fail over the global cluster, or update the cold stack |
 * | check-standby | describe the standby (instance, cluster and global cluster, or cold stack) |
 * | switch-dns | change/list the record sets of each hosted zone |
 * | verify-writes, heartbeat | read the configured secrets / IAM db auth; heartbeat also PutMetricData, DescribeAlarms on its own site's heartbeat alarms and PutEvents of only "Heartbeat Failed" on the product bus |
 * | record-fence | GetItem/UpdateItem on the fence records (`FENCE#*`) |
 * | record-incident | write the table; publish; PutEvents on the product bus; PutMetricData |
 * | plan-failback | nothing (pure) |
 * | check-original-site | describe both sites (instances; Aurora: clusters and the global cluster) |
 * | preserve-old-primary | snapshot `<id>-pre-failback-*`, rename to `<id>-old-*`, stop `<id>-old-*` (never delete) |
 * | restore-ingress | authorize ingress on both sites' security groups; read the table |
 * | rebuild-replica | CreateDBInstanceReadReplica on replica and source ARNs (+ subnet/parameter/option groups, KMS via RDS); ModifyDBInstance (+ parameter groups) and RebootDBInstance on the site instances |
 * | check-replica | describe both sites; GetMetricData (`*`); DescribeAlarms on the in-Region heartbeat alarm |
 * | switchover-global-cluster | SwitchoverGlobalCluster on both clusters and the global cluster |
 * | shift-traffic | change/list the traffic records' zone; DescribeAlarms/DescribeAlarmHistory on the heartbeat alarms, and on `*` when the config names gating alarms (composite alarms are shown only to `*`) |
 * | approval-page | get/update the table; read the signing secret; SendTaskSuccess (`*`) |
 * | check-subscriptions | ListSubscriptionsByTopic on the topic; PutMetricData |
 * | start-fault-experiment | ListExperimentTemplates (`*`); StartExperiment only on templates tagged with the config's prefix in the drill pairs' primary Regions; nothing without game days |
 *
 * Current roles: a failover may run in either direction (after a failover whose roles were kept),
 * so the functions acting on "the primary" or "the standby" may act on either configured site.
 */
export function controlFunctionPermissions(
  fn: ControlFunctionName,
  config: FailoverConfig,
  res: ControlResourceArns,
  arns: Arns = new Arns(),
): FunctionPermissions {
  const dbs = config.databases;
  switch (fn) {
    case 'accept-trigger':
    case 'evaluate-verdict':
      return only([]);
    case 'manage-lease':
      // DescribeExecution: is the run holding the lease still running (a stopped one is reported or taken over)?
      // DescribeDBInstances of both instance sites: is the site the record calls no standby a replica of the writer after all?
      return merge(
        ...dbs.filter((db) => !isAurora(db.engine)).map((db) => siteDescribe(db, arns)),
        only(
          tableAccess(
            res,
            'write',
            dbs.map((db) => TABLE_PARTITIONS.database(db.name)),
          ),
          [
            {
              statement: new PolicyStatement({
                actions: ['states:DescribeExecution'],
                resources: [stateMachineNames.failover(config.prefix), stateMachineNames.failback(config.prefix)].map((name) =>
                  arns.stateMachineExecutions(config.controlRegion, name),
                ),
              }),
              reason: "states:DescribeExecution of the product's own two state machines only: execution names are only known at run time",
            },
          ],
        ),
      );
    case 'probe-vantage': {
      const regions = uniq(dbs.flatMap((db) => db.detection.vantagePoints.map((v) => v.region)));
      return merge(
        only(
          stmt(
            ['lambda:InvokeFunction'],
            regions.map((r) => arns.lambdaFunction(r, probeFunctionName(config.prefix))),
          ),
        ),
        only(dbs.filter((db) => db.detection.includeControlPlane).flatMap((db) => bothRoles(db).flatMap((view) => primaryDescribe(view, arns)))),
      );
    }
    case 'check-data-loss-budget': {
      const replicas = dbs.flatMap(bothRoles).filter((db) => db.standby.readiness !== 'cold' && !isAurora(db.engine));
      const cold = dbs.filter((db) => db.standby.readiness === 'cold' && !isAurora(db.engine) && db.primary.instanceId);
      const wildcards: WildcardGrant[] = [
        {
          statement: new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
          reason: 'cloudwatch:GetMetricData (replica lag and replication slot lag before the failure) has no resource-level permissions',
        },
      ];
      if (cold.length > 0) {
        wildcards.push({
          statement: new PolicyStatement({
            actions: ['rds:DescribeDBInstanceAutomatedBackups'],
            resources: uniq(cold.map((db) => arns.rdsAnyAutomatedBackup(db.standby.region))),
          }),
          reason:
            'Cold standbys: the age of the replicated automated backups bounds the data loss; automated-backup ARNs carry resource ids unknown before deployment',
        });
      }
      const aurora = dbs.flatMap(bothRoles).filter((db) => db.standby.readiness !== 'cold' && isAurora(db.engine));
      return only(
        [
          ...stmt(
            ['rds:DescribeDBInstances'],
            replicas.flatMap((db) => defined([db.standby.instanceId]).map((id) => arns.rdsInstance(db.standby.region, id))),
          ),
          ...stmt(
            ['rds:DescribeDBClusters'],
            aurora.flatMap((db) => defined([db.standby.clusterId]).map((id) => arns.rdsCluster(db.standby.region, id))),
          ),
        ],
        wildcards,
      );
    }
    case 'request-approval':
      // Also withdraws a pending verdict question when a new trigger arrives (supersede): lists the
      // database's pending approvals on the table's index and resumes the waiting run.
      return only(
        [
          ...tableAccess(res, 'write', [TABLE_PARTITIONS.approval]),
          // The index's partition key is the database name: only the configured databases' pending questions.
          new PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: [`${res.table}/index/${PENDING_APPROVALS_INDEX}`],
            conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': uniq(dbs.map((db) => db.name)) } },
          }),
          ...topicAccess(res, false),
          ...stmt(['secretsmanager:GetSecretValue'], defined([res.approvalSigningSecret])),
        ],
        [
          {
            statement: new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: ['*'] }),
            reason: 'states:SendTaskSuccess (resuming the failover run whose verdict question a new trigger withdrew) has no resource-level permissions',
          },
        ],
      );
    case 'fence-primary': {
      // Either configured site may be the primary (current roles); the failback fences the current primary too.
      const views = dbs.flatMap(bothRoles);
      const method = (db: DatabaseConfig) => (isAurora(db.engine) ? 'revoke-ingress' : db.failover.fenceMethod);
      const revoking = views.filter((db) => method(db) === 'revoke-ingress');
      const isolating = views.filter((db) => method(db) !== 'revoke-ingress');
      const groups = revoking.flatMap((db) => (db.primary.securityGroupIds ?? []).map((sg) => arns.securityGroup(db.primary.region, sg)));
      const instances = views
        .filter((db) => !isAurora(db.engine))
        .flatMap((db) => defined([db.primary.instanceId]).map((id) => arns.rdsInstance(db.primary.region, id)));
      const isolated = isolating.flatMap((db) => defined([db.primary.instanceId]).map((id) => arns.rdsInstance(db.primary.region, id)));
      const stopped = isolating
        .filter((db) => method(db) === 'stop')
        .flatMap((db) => defined([db.primary.instanceId]).map((id) => arns.rdsInstance(db.primary.region, id)));
      const isolationRegions = uniq(isolating.map((db) => db.primary.region));
      const clusters = views
        .filter((db) => isAurora(db.engine))
        .flatMap((db) => defined([db.primary.clusterId]).map((id) => arns.rdsCluster(db.primary.region, id)));
      const auroraRegions = uniq(views.filter((db) => isAurora(db.engine)).map((db) => db.primary.region));
      const wildcards: WildcardGrant[] = [];
      if (groups.length > 0 || isolationRegions.length > 0) {
        wildcards.push({
          statement: new PolicyStatement({ actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }),
          reason: 'ec2:DescribeSecurityGroups (checking that a group to revoke exists, finding the isolation group of a VPC) has no resource-level permissions',
        });
      }
      if (groups.length > 0) {
        wildcards.push({
          statement: new PolicyStatement({ actions: ['ec2:DescribeSecurityGroupRules'], resources: ['*'] }),
          reason:
            'ec2:DescribeSecurityGroupRules (reading the ingress rules to keep and revoke by rule id, and checking none is left) has no resource-level permissions',
        });
      }
      if (isolationRegions.length > 0) {
        wildcards.push(
          {
            statement: new PolicyStatement({ actions: ['ec2:CreateSecurityGroup'], resources: isolationRegions.map((r) => arns.anyVpc(r)) }),
            reason:
              "Isolation fence: the deny-all group is created in the fenced instance's VPC, which is only known from DescribeDBInstances (DBSubnetGroup.VpcId)",
          },
          {
            statement: new PolicyStatement({
              actions: ['ec2:CreateSecurityGroup'],
              resources: isolationRegions.map((r) => arns.anySecurityGroup(r)),
              conditions: { StringEquals: { [`aws:RequestTag/${ISOLATION_TAG.key}`]: ISOLATION_TAG.value } },
            }),
            reason: `Isolation fence: a new group has no id before it exists; only a group tagged ${ISOLATION_TAG.key}=${ISOLATION_TAG.value} at creation may be created`,
          },
          {
            statement: new PolicyStatement({
              actions: ['ec2:CreateTags'],
              resources: isolationRegions.map((r) => arns.anySecurityGroup(r)),
              conditions: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } },
            }),
            reason: 'Isolation fence: tags only while creating a security group (ec2:CreateAction), never on an existing resource',
          },
        );
      }
      if (auroraRegions.length > 0) {
        const auroraEngines = uniq(views.filter((db) => isAurora(db.engine)).map((db) => db.engine));
        wildcards.push(
          {
            statement: new PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: auroraRegions.map((r) => arns.rdsAnyInstance(r)) }),
            reason: "Aurora: the primary cluster's writer instance (read before it is rebooted) is only known at fence time",
          },
          {
            // IAM has no condition key tying an instance to its cluster (the `db` resource type has
            // rds:DatabaseEngine and tags, not the cluster): the reboot is limited to instances of the
            // configured Aurora engines in the primaries' Regions; the function reboots only the writer
            // it reads from DescribeDBClusters of the configured cluster (docs/aws-behaviour.md
            // "IAM condition keys of the narrowed policies").
            statement: new PolicyStatement({
              actions: ['rds:RebootDBInstance'],
              resources: auroraRegions.map((r) => arns.rdsAnyInstance(r)),
              conditions: { StringEquals: { 'rds:DatabaseEngine': auroraEngines } },
            }),
            reason: `Aurora: the primary cluster's writer instance (rebooted to drop open sessions) is only known at fence time; limited to ${auroraEngines.join(' and ')} instances (rds:DatabaseEngine), IAM has no key for an instance's cluster`,
          },
        );
      }
      return only(
        [
          ...stmt(['ec2:RevokeSecurityGroupIngress'], groups),
          ...stmt(['rds:DescribeDBInstances', 'rds:RebootDBInstance'], instances),
          ...stmt(['rds:ModifyDBInstance'], isolated),
          ...stmt(['rds:StopDBInstance'], stopped),
          ...stmt(['rds:DescribeDBClusters'], clusters),
        ],
        wildcards,
      );
    }
    case 'record-fence':
      // Only the fence records: read, then a conditional update (GetItem, UpdateItem).
      return only(tableAccess(res, 'write', [TABLE_PARTITIONS.fence], ['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    case 'promote-standby':
      return merge(...dbs.flatMap(bothRoles).map((db) => standbyStatements(db, arns, 'promote')));
    case 'check-standby':
      return merge(...dbs.flatMap(bothRoles).map((db) => standbyStatements(db, arns, 'describe')));
    case 'switch-dns':
      return only([
        ...stmt(
          ['route53:ListResourceRecordSets'],
          dbs.map((db) => arns.hostedZone(db.dns.hostedZoneId)),
        ),
        ...recordChanges(
          dbs.map((db) => ({ zone: db.dns.hostedZoneId, name: db.dns.recordName, type: 'CNAME' })),
          arns,
        ),
      ]);
    case 'verify-writes':
      return databaseLoginGrants(dbs, writerRegions, arns);
    case 'heartbeat':
      return merge(
        databaseLoginGrants(dbs, writerRegions, arns),
        only([], [putMetricDataGrant()]),
        heartbeatTriggerGrants(config.prefix, 'cross-region', config.controlRegion, res.bus, arns),
      );
    case 'record-incident':
      return only(
        [...tableAccess(res, 'write', [TABLE_PARTITIONS.incident]), ...topicAccess(res, false), ...stmt(['events:PutEvents'], [res.bus])],
        [putMetricDataGrant()],
      );
    case 'plan-failback':
      return only([]);
    case 'check-subscriptions':
      return only(stmt(['sns:ListSubscriptionsByTopic'], [res.topic]), [putMetricDataGrant()]);
    case 'start-fault-experiment':
      return startFaultExperimentPermissions(config, arns);
    case 'check-original-site':
      return merge(...dbs.map((db) => siteDescribe(db, arns)));
    case 'preserve-old-primary':
      return preservePermissions(dbs, arns);
    case 'restore-ingress': {
      const groups = dbs.flatMap((db) =>
        [db.primary, db.standby].flatMap((site) => (site.securityGroupIds ?? []).map((sg) => arns.securityGroup(site.region, sg))),
      );
      // Isolated instances (fenceMethod isolate or stop) get their original groups back, on either site.
      const isolated = dbs
        .filter((db) => !isAurora(db.engine) && db.failover.fenceMethod !== 'revoke-ingress')
        .flatMap((db) => [db.primary, db.standby].flatMap((site) => defined([site.instanceId]).map((id) => arns.rdsInstance(site.region, id))));
      return only(
        [
          ...stmt(['ec2:AuthorizeSecurityGroupIngress'], groups),
          ...stmt(['rds:DescribeDBInstances', 'rds:ModifyDBInstance'], isolated),
          ...tableAccess(res, 'read', [TABLE_PARTITIONS.fence]),
        ],
        groups.length > 0
          ? [
              {
                statement: new PolicyStatement({ actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }),
                reason: 'ec2:DescribeSecurityGroups (reading which revoked rules are missing) has no resource-level permissions',
              },
            ]
          : [],
      );
    }
    case 'rebuild-replica':
      return rebuildPermissions(dbs, arns);
    case 'check-replica':
      return merge(
        ...dbs.map((db) => siteDescribe(db, arns)),
        // The probe of a vantage point, which checks that clients reach the rebuilt original site.
        only(
          stmt(
            ['lambda:InvokeFunction'],
            uniq(dbs.flatMap((db) => db.detection.vantagePoints.map((v) => v.region))).map((r) => arns.lambdaFunction(r, probeFunctionName(config.prefix))),
          ),
        ),
        only(
          stmt(
            ['cloudwatch:DescribeAlarms'],
            dbs.flatMap((db) => siteRegions(db).map((r) => arns.alarm(r, alarmName(config.prefix, db.name, 'in-region')))),
          ),
        ),
        only(
          [],
          [
            {
              statement: new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
              reason: 'cloudwatch:GetMetricData (replica lag, replication slot lag) has no resource-level permissions',
            },
          ],
        ),
      );
    case 'switchover-global-cluster': {
      const aurora = dbs.filter((db) => isAurora(db.engine));
      const clusters = aurora.flatMap((db) =>
        [db.primary, db.standby].flatMap((site) => defined([site.clusterId]).map((id) => arns.rdsCluster(site.region, id))),
      );
      const globals = uniq(aurora.flatMap((db) => defined([db.primary.globalClusterId, db.standby.globalClusterId]))).map((id) => arns.rdsGlobalCluster(id));
      return only([
        ...stmt(['rds:DescribeDBClusters'], clusters),
        ...stmt(['rds:DescribeGlobalClusters'], globals),
        ...(globals.length ? stmt(['rds:SwitchoverGlobalCluster'], [...clusters, ...globals]) : []),
      ]);
    }
    case 'shift-traffic': {
      const withTraffic = dbs.filter((db) => db.traffic);
      const zones = [
        ...stmt(
          ['route53:ListResourceRecordSets'],
          withTraffic.map((db) => arns.hostedZone(db.traffic!.hostedZoneId)),
        ),
        ...recordChanges(
          withTraffic.map((db) => ({ zone: db.traffic!.hostedZoneId, name: db.traffic!.recordName, type: db.traffic!.type })),
          arns,
        ),
      ];
      const describe = ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'];
      // A gating alarm the user names may be a composite alarm, and CloudWatch returns composite
      // alarms (and their history) only to a permission on "*" (docs/aws-behaviour.md "Composite
      // alarms"): scoped to the alarms' ARNs, the gate would never see it and would roll back every
      // drain. Without named alarms the gate reads only the product's own (metric) heartbeat alarms.
      if (withTraffic.some((db) => (db.traffic!.alarmNames ?? []).length > 0)) {
        return only(zones, [
          {
            statement: new PolicyStatement({ actions: describe, resources: ['*'] }),
            reason:
              'cloudwatch:DescribeAlarms and DescribeAlarmHistory (read-only) return composite alarms only to a permission on "*"; the drain gates on the composite alarms the config names (traffic.alarmNames)',
          },
        ]);
      }
      return only([
        ...zones,
        ...stmt(
          describe,
          withTraffic.flatMap((db) => siteRegions(db).map((r) => arns.alarm(r, alarmName(config.prefix, db.name, 'in-region')))),
        ),
      ]);
    }
    case 'approval-page':
      // Reads an approval and answers it (a conditional UpdateItem); never creates items, and
      // reaches no item but an approval record (internet-facing: a leading-key condition).
      return only(
        [
          ...tableAccess(res, 'write', [TABLE_PARTITIONS.approval], ['dynamodb:GetItem', 'dynamodb:UpdateItem']),
          ...stmt(['secretsmanager:GetSecretValue'], defined([res.approvalSigningSecret])),
        ],
        [
          {
            statement: new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: ['*'] }),
            reason: 'states:SendTaskSuccess (resuming the workflow that waits for this approval) has no resource-level permissions',
          },
        ],
      );
  }
}

/**
 * `route53:ChangeResourceRecordSets` on the configured zones, for the configured records only: every
 * change of a request must name one of the records (normalized: lower case, no trailing dot), one of
 * their types, and be an UPSERT (the functions never create or delete records). One statement for
 * all zones: Route 53 refuses a record name outside its zone's domain, so a name of one zone cannot
 * be written in another.
 */
function recordChanges(records: ReadonlyArray<{ zone: string; name: string; type: string }>, arns: Arns): PolicyStatement[] {
  if (records.length === 0) return [];
  return [
    new PolicyStatement({
      actions: ['route53:ChangeResourceRecordSets'],
      resources: uniq(records.map((r) => arns.hostedZone(r.zone))),
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': uniq(records.map((r) => normalizedRecordName(r.name))),
          'route53:ChangeResourceRecordSetsRecordTypes': uniq(records.map((r) => r.type)),
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    }),
  ];
}

/** The sites' Regions of a database. */
const siteRegions = (db: DatabaseConfig): string[] => uniq([db.primary.region, db.standby.region]);

/** Describing both sites of a database (instances; Aurora: clusters and the global cluster). */
function siteDescribe(db: DatabaseConfig, arns: Arns): FunctionPermissions {
  const sites = [db.primary, db.standby];
  if (isAurora(db.engine)) {
    return only([
      ...stmt(
        ['rds:DescribeDBClusters'],
        sites.flatMap((s) => defined([s.clusterId]).map((id) => arns.rdsCluster(s.region, id))),
      ),
      ...stmt(
        ['rds:DescribeGlobalClusters'],
        uniq(defined([db.primary.globalClusterId, db.standby.globalClusterId])).map((id) => arns.rdsGlobalCluster(id)),
      ),
    ]);
  }
  return only(
    stmt(
      ['rds:DescribeDBInstances'],
      sites.flatMap((s) => defined([s.instanceId]).map((id) => arns.rdsInstance(s.region, id))),
    ),
  );
}

/** Instance sites of the non-Aurora databases. */
const instanceSites = (dbs: readonly DatabaseConfig[]): Array<{ region: string; id: string; other: { region: string; id: string } }> =>
  dbs
    .filter((db) => !isAurora(db.engine) && db.primary.instanceId && db.standby.instanceId)
    .flatMap((db) => [
      { region: db.primary.region, id: db.primary.instanceId!, other: { region: db.standby.region, id: db.standby.instanceId! } },
      { region: db.standby.region, id: db.standby.instanceId!, other: { region: db.primary.region, id: db.primary.instanceId! } },
    ]);

/**
 * preserve-old-primary: snapshot `<id>-pre-failback-*`, rename to `<id>-old-*`, stop the renamed
 * instance; describe all three. Never DeleteDBInstance.
 */
function preservePermissions(dbs: readonly DatabaseConfig[], arns: Arns): FunctionPermissions {
  const sites = instanceSites(dbs);
  if (sites.length === 0) return only([]);
  const instance = sites.map((s) => arns.rdsInstance(s.region, s.id));
  const preserved = sites.map((s) => arns.rdsInstance(s.region, `${s.id}-old-*`));
  const snapshots = sites.map((s) => arns.rdsSnapshot(s.region, `${s.id}-pre-failback-*`));
  const reason =
    'The failback names the snapshot and the renamed old primary after its epoch (`<id>-pre-failback-<epoch>`, `<id>-old-<epoch>`): the epoch is only known at run time';
  return {
    statements: stmt(['rds:DescribeDBInstances', 'rds:CreateDBSnapshot', 'rds:ModifyDBInstance'], instance),
    wildcards: [
      { statement: new PolicyStatement({ actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance', 'rds:StopDBInstance'], resources: preserved }), reason },
      { statement: new PolicyStatement({ actions: ['rds:CreateDBSnapshot', 'rds:DescribeDBSnapshots'], resources: snapshots }), reason },
    ],
  };
}

/**
 * rebuild-replica: CreateDBInstanceReadReplica needs the replica's ARN and, cross-Region, the
 * source's ARN; plus the subnet, parameter and option groups of the replica's Region and the KMS
 * key that encrypts it there (both only known at run time, from the preserved instance).
 */
function rebuildPermissions(dbs: readonly DatabaseConfig[], arns: Arns): FunctionPermissions {
  const sites = instanceSites(dbs);
  if (sites.length === 0) return only([]);
  const regions = uniq(sites.map((s) => s.region));
  return {
    statements: [
      ...stmt(
        ['rds:DescribeDBInstances', 'rds:CreateDBInstanceReadReplica'],
        sites.map((s) => arns.rdsInstance(s.region, s.id)),
      ),
      // settle: the rebuilt replica gets the preserved instance's parameter group afterwards, then a reboot.
      ...stmt(
        ['rds:ModifyDBInstance', 'rds:RebootDBInstance'],
        sites.map((s) => arns.rdsInstance(s.region, s.id)),
      ),
    ],
    wildcards: [
      {
        statement: new PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: sites.map((s) => arns.rdsInstance(s.region, `${s.id}-old-*`)) }),
        reason: 'Reads the network settings of the preserved old primary `<id>-old-<epoch>`: the epoch is only known at run time',
      },
      {
        statement: new PolicyStatement({
          actions: ['rds:CreateDBInstanceReadReplica'],
          resources: regions.flatMap((r) => [arns.rdsAnySubnetGroup(r), arns.rdsAnyParameterGroup(r), arns.rdsAnyOptionGroup(r)]),
        }),
        reason:
          "The replica takes the old primary's subnet and parameter groups (and the Region's default option group): their names are only known at run time, from the preserved instance",
      },
      {
        statement: new PolicyStatement({ actions: ['rds:ModifyDBInstance'], resources: regions.map((r) => arns.rdsAnyParameterGroup(r)) }),
        reason:
          "A PostgreSQL replica gets the old primary's parameter group after its creation (ModifyDBInstance also authorizes the group): its name is only known at run time, from the preserved instance",
      },
      {
        statement: new PolicyStatement({
          actions: ['kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': regions.map((r) => `rds.${r}.amazonaws.com`) } },
        }),
        reason:
          "An encrypted cross-Region replica uses the old primary's KMS key in its Region, only known at run time; limited to calls made by RDS (kms:ViaService)",
      },
      {
        statement: new PolicyStatement({
          actions: ['kms:CreateGrant'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'kms:ViaService': regions.map((r) => `rds.${r}.amazonaws.com`) },
            Bool: { 'kms:GrantIsForAWSResource': 'true' },
          },
        }),
        reason:
          "An encrypted cross-Region replica uses the old primary's KMS key in its Region, only known at run time; grants only made by RDS (kms:ViaService) for its own resources (kms:GrantIsForAWSResource)",
      },
    ],
  };
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

/**
 * start-fault-experiment (lambdas/start-fault-experiment): list the experiment templates of the
 * Regions holding a drill pair's primary, and start only the product's own (tagged
 * `failover:prefix` = this prefix; lib/constructs/game-day-experiments.ts); list the experiments
 * there and stop only the product's own (tagged `failover:prefix` at their start). Starting creates an
 * experiment (its id is only known then) with the drill's tags. StartExperiment needs no
 * iam:PassRole: FIS assumes the template's role, passed when the template was created. Empty for a
 * config without game days: the function is deployed with every config (the workflow's fault hook
 * invokes it), and without a drill pair it may do nothing but write its logs.
 */
export function startFaultExperimentPermissions(config: FailoverConfig, arns: Arns = new Arns()): FunctionPermissions {
  const byName = new Map(config.databases.map((db) => [db.name, db]));
  const regions = uniq(
    config.databases.flatMap((db) => (db.gameDay && byName.get(db.gameDay.drillPair) ? [byName.get(db.gameDay.drillPair)!.primary.region] : [])),
  );
  if (regions.length === 0) return only([]);
  const fis = (region: string, resource: string) => arns.fis(region, resource);
  return only(
    [],
    [
      {
        statement: new PolicyStatement({
          actions: ['fis:StartExperiment'],
          resources: regions.map((r) => fis(r, 'experiment-template/*')),
          conditions: { StringEquals: { 'aws:ResourceTag/failover:prefix': config.prefix } },
        }),
        reason:
          "the template's id is only known once the game-day stack creates it: limited to the product's templates by the failover:prefix tag (aws:ResourceTag), in the drill pairs' primary Regions",
      },
      {
        statement: new PolicyStatement({ actions: ['fis:ListExperimentTemplates'], resources: ['*'] }),
        reason: 'fis:ListExperimentTemplates has no resource type: the function finds the template by its tags',
      },
      {
        statement: new PolicyStatement({ actions: ['fis:StartExperiment', 'fis:TagResource'], resources: regions.map((r) => fis(r, 'experiment/*')) }),
        reason: "an experiment's id is only known once StartExperiment creates it (the templates it may start are limited by the failover:prefix tag)",
      },
      {
        statement: new PolicyStatement({ actions: ['fis:ListExperiments'], resources: ['*'] }),
        reason: "fis:ListExperiments has no resource type: a real run of a drill pair finds the pair's experiments still running among the Region's",
      },
      {
        statement: new PolicyStatement({
          actions: ['fis:StopExperiment'],
          resources: regions.map((r) => fis(r, 'experiment/*')),
          conditions: { StringEquals: { 'aws:ResourceTag/failover:prefix': config.prefix } },
        }),
        reason:
          "the experiments to stop are only known when a real run of a drill pair lists them: limited to the product's own experiments (StartExperiment tags each failover:prefix), in the drill pairs' primary Regions",
      },
    ],
  );
}
