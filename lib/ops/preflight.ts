/**
 * `failover preflight`: read-only checks of an account against the config, before and after the
 * deploy. Each check is one line: pass, warn or fail, what it looked at, and what to do about it.
 * Only read calls are made (Describe*, List*, Get*).
 *
 * What is checked, per database: the primary exists and is available; the standby replicates from
 * it (the replica's source ARN; a global cluster holding both; a cold standby's stack, dormant);
 * backups (the primary's retention, and the backup a promotion would take on a replica without
 * backups); the writer record exists, is a CNAME and points at the primary's endpoint; its TTL;
 * the fence's prerequisites (a VPC for the isolation group, or the configured security groups,
 * attached) and whether those groups are shared with anything else; the credentials secret, readable in its Region and each listed replica Region; once
 * deployed, logging in with it from each vantage Region (the probe, `write: false`), the user's
 * privileges read by SQL from the first Region that logs in (the probe, `grants: true`: `CREATE`
 * on the schema, the heartbeat table's privileges, `pg_monitor`; lib/ops/grants.ts) and the heartbeat
 * writing (its alarms OK). For the
 * account: every Region exists (the SDK's table), CDK is bootstrapped in each Region deployed to,
 * and after the deploy: the stacks are complete, the heartbeat alarms and rules exist and the
 * alarms have data, the notification emails are confirmed.
 *
 * Each check is a small function over read results; {@link summarize} and {@link formatChecks}
 * are pure.
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeGlobalClustersCommand, type DBInstance } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand } from '@aws-sdk/client-sns';
import { isAurora, secretArnInRegion, type DatabaseConfig, type FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { alarmName, heartbeatRuleName, probeFunctionName, type HeartbeatSite } from '../../lambdas/shared/names.js';
import { buildProbeInput } from '../../lambdas/probe-vantage/core.js';
import { knownRegions } from '../config/regions.js';
import { stackNames } from '../naming.js';
import type { ProbeOutput } from '../../lambdas/shared/contracts.js';
import { readCall, type OpsEnv } from './env.js';
import { grantChecks } from './grants.js';
import { locateControl, type ControlResources } from './locate.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One line of the preflight. */
export interface CheckResult {
  /** Stable id of the check (`primary-available`, `record-target`, ...). */
  check: string;
  status: CheckStatus;
  /** The database it is about, when it is about one. */
  database?: string;
  /** What was found. */
  message: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

const pass = (check: string, message: string, database?: string): CheckResult => ({ check, status: 'pass', message, ...(database ? { database } : {}) });
const warn = (check: string, message: string, fix: string, database?: string): CheckResult => ({
  check,
  status: 'warn',
  message,
  fix,
  ...(database ? { database } : {}),
});
const fail = (check: string, message: string, fix: string, database?: string): CheckResult => ({
  check,
  status: 'fail',
  message,
  fix,
  ...(database ? { database } : {}),
});

/** The error name of a failed read (OpsCallError keeps the AWS name). */
const errorName = (err: unknown): string => (err as { awsError?: string; name?: string })?.awsError ?? (err as { name?: string })?.name ?? 'Error';
const isNotFound = (err: unknown): boolean =>
  /NotFound|does not exist|ResourceNotFoundException|ValidationError/.test(`${errorName(err)} ${(err as Error)?.message ?? ''}`);
const why = (err: unknown): string => (err as Error)?.message ?? String(err);

const norm = (name: string | undefined): string => (name ?? '').toLowerCase().replace(/\.$/, '');

/** Every Region the config names exists (pure; the config loader already refuses unknown codes). */
export function regionCheck(config: FailoverConfig): CheckResult {
  const regions = [
    ...new Set([
      config.controlRegion,
      ...config.databases.flatMap((d) => [d.primary.region, d.standby.region, ...d.detection.vantagePoints.map((v) => v.region)]),
    ]),
  ].sort();
  const known = new Set(knownRegions());
  const unknown = regions.filter((r) => !known.has(r));
  return unknown.length === 0
    ? pass('regions-exist', `every Region exists (${regions.join(', ')})`)
    : fail('regions-exist', `unknown Regions: ${unknown.join(', ')}`, 'fix the Region codes in the config (failover validate suggests the nearest)');
}

interface InstanceFacts {
  found: boolean;
  instance?: DBInstance;
  error?: string;
}

async function describeInstance(env: OpsEnv, region: string, id: string): Promise<InstanceFacts> {
  try {
    const out = await readCall(env, 'rds:DescribeDBInstances', region, `instance ${id}`, () =>
      env.clients(region).rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    );
    const instance = out.DBInstances?.[0];
    return instance ? { found: true, instance } : { found: false };
  } catch (err) {
    return isNotFound(err) ? { found: false } : { found: false, error: why(err) };
  }
}

/** The checks of one RDS-instance database (hot, warm or cold standby). */
async function instanceChecks(env: OpsEnv, db: DatabaseConfig): Promise<{ results: CheckResult[]; primary?: DBInstance }> {
  const results: CheckResult[] = [];
  const n = db.name;
  const pid = db.primary.instanceId!;
  const p = await describeInstance(env, db.primary.region, pid);
  if (p.error)
    results.push(
      fail(
        'primary-available',
        `the primary ${pid} (${db.primary.region}) could not be described: ${p.error}`,
        'check the credentials and rds:DescribeDBInstances in that Region',
        n,
      ),
    );
  else if (!p.found)
    results.push(
      fail('primary-available', `the primary ${pid} does not exist in ${db.primary.region}`, `fix databases[].primary.instanceId or .region of "${n}"`, n),
    );
  else if (p.instance!.DBInstanceStatus !== 'available')
    results.push(
      warn('primary-available', `the primary ${pid} (${db.primary.region}) is ${p.instance!.DBInstanceStatus}`, 'run preflight again once it is available', n),
    );
  else results.push(pass('primary-available', `the primary ${pid} (${db.primary.region}) exists and is available`, n));

  const primaryArn = p.instance?.DBInstanceArn;
  if (db.standby.readiness === 'cold') {
    const cold = db.standby.coldStandby!;
    try {
      const out = await readCall(env, 'cloudformation:DescribeStacks', db.standby.region, `stack ${cold.stackName}`, () =>
        env.clients(db.standby.region).cfn.send(new DescribeStacksCommand({ StackName: cold.stackName })),
      );
      const s = out.Stacks?.[0];
      const value = s?.Parameters?.find((x) => x.ParameterKey === cold.parameterName)?.ParameterValue;
      if (!s)
        results.push(
          fail(
            'standby-replicates',
            `the cold standby's stack ${cold.stackName} does not exist in ${db.standby.region}`,
            'deploy the dormant stack, or fix standby.coldStandby.stackName',
            n,
          ),
        );
      else if (value === undefined)
        results.push(
          fail('standby-replicates', `the stack ${cold.stackName} has no parameter ${cold.parameterName}`, 'fix standby.coldStandby.parameterName', n),
        );
      else if (value === cold.activeValue)
        results.push(
          warn(
            'standby-replicates',
            `the cold standby's stack ${cold.stackName} is already ${cold.parameterName}=${value} (active)`,
            'set it back to dormant if no failover is under way',
            n,
          ),
        );
      else
        results.push(
          pass(
            'standby-replicates',
            `the cold standby's stack ${cold.stackName} (${db.standby.region}) is dormant (${cold.parameterName}=${value}, ${s.StackStatus})`,
            n,
          ),
        );
    } catch (err) {
      results.push(
        isNotFound(err)
          ? fail(
              'standby-replicates',
              `the cold standby's stack ${cold.stackName} does not exist in ${db.standby.region}`,
              'deploy the dormant stack, or fix standby.coldStandby.stackName',
              n,
            )
          : fail('standby-replicates', why(err), 'check the credentials', n),
      );
    }
  } else {
    const sid = db.standby.instanceId!;
    const s = await describeInstance(env, db.standby.region, sid);
    const source = s.instance?.ReadReplicaSourceDBInstanceIdentifier;
    if (s.error)
      results.push(
        fail(
          'standby-replicates',
          `the standby ${sid} (${db.standby.region}) could not be described: ${s.error}`,
          'check the credentials and rds:DescribeDBInstances in that Region',
          n,
        ),
      );
    else if (!s.found)
      results.push(
        fail(
          'standby-replicates',
          `the standby ${sid} does not exist in ${db.standby.region}`,
          `create a cross-Region read replica of ${pid} named ${sid}, or fix standby.instanceId`,
          n,
        ),
      );
    else if (!source)
      results.push(
        fail(
          'standby-replicates',
          `the standby ${sid} (${db.standby.region}) is not a read replica: it replicates from nothing, so a failover would have nothing to promote`,
          `create a cross-Region read replica of ${pid} (${db.primary.region}) and name it in standby.instanceId`,
          n,
        ),
      );
    else if (primaryArn && source !== primaryArn && source !== pid)
      results.push(
        fail(
          'standby-replicates',
          `the standby ${sid} replicates from ${source}, not from the primary ${primaryArn}`,
          'point standby.instanceId at a replica of the primary',
          n,
        ),
      );
    else results.push(pass('standby-replicates', `the standby ${sid} (${db.standby.region}) replicates from ${source}`, n));
    if (s.instance && (s.instance.BackupRetentionPeriod ?? 0) === 0) {
      results.push(
        warn(
          'promotion-backup',
          `the standby ${sid} has no automated backups: RDS backs it up as part of its promotion, which takes as long as the database is large and busy`,
          `turn on automated backups on ${sid} (BackupRetentionPeriod ≥ 1) so a promotion does not wait for a first backup`,
          n,
        ),
      );
    } else if (s.instance) {
      results.push(
        pass('promotion-backup', `the standby ${sid} has automated backups (${s.instance.BackupRetentionPeriod} days): a promotion takes no first backup`, n),
      );
    }
  }
  if (p.instance) {
    const days = p.instance.BackupRetentionPeriod ?? 0;
    results.push(
      days > 0
        ? pass('primary-backups', `the primary keeps automated backups for ${days} days`, n)
        : fail(
            'primary-backups',
            `the primary ${pid} has no automated backups: a cross-Region replica needs them, and nothing could be restored`,
            `set BackupRetentionPeriod ≥ 1 on ${pid}`,
            n,
          ),
    );
  }
  return { results, ...(p.instance ? { primary: p.instance } : {}) };
}

/** The checks of one Aurora global database. */
async function auroraChecks(env: OpsEnv, db: DatabaseConfig): Promise<{ results: CheckResult[]; endpoint?: string }> {
  const results: CheckResult[] = [];
  const n = db.name;
  const arns: Record<string, string | undefined> = {};
  let endpoint: string | undefined;
  for (const [role, site] of [
    ['primary', db.primary],
    ['standby', db.standby],
  ] as const) {
    const id = site.clusterId!;
    try {
      const out = await readCall(env, 'rds:DescribeDBClusters', site.region, `cluster ${id}`, () =>
        env.clients(site.region).rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
      );
      const c = out.DBClusters?.[0];
      arns[role] = c?.DBClusterArn;
      if (role === 'primary') {
        endpoint = c?.Endpoint;
        results.push(
          c?.Status === 'available'
            ? pass('primary-available', `the primary cluster ${id} (${site.region}) is available`, n)
            : warn('primary-available', `the primary cluster ${id} is ${c?.Status}`, 'run preflight again once it is available', n),
        );
        const days = c?.BackupRetentionPeriod ?? 0;
        results.push(
          days > 0
            ? pass('primary-backups', `the primary cluster keeps automated backups for ${days} days`, n)
            : warn('primary-backups', `the primary cluster ${id} reports no backup retention`, 'set a backup retention on the cluster', n),
        );
      }
    } catch (err) {
      results.push(
        fail(
          role === 'primary' ? 'primary-available' : 'standby-replicates',
          isNotFound(err) ? `the ${role} cluster ${id} does not exist in ${site.region}` : why(err),
          `fix databases[].${role}.clusterId or .region of "${n}"`,
          n,
        ),
      );
    }
  }
  const gid = db.primary.globalClusterId!;
  try {
    const out = await readCall(env, 'rds:DescribeGlobalClusters', db.primary.region, `global cluster ${gid}`, () =>
      env.clients(db.primary.region).rds.send(new DescribeGlobalClustersCommand({ GlobalClusterIdentifier: gid })),
    );
    const members = (out.GlobalClusters?.[0]?.GlobalClusterMembers ?? []).map((m) => m.DBClusterArn);
    const both = [arns.primary, arns.standby].every((a) => a && members.includes(a));
    results.push(
      both
        ? pass('standby-replicates', `the global cluster ${gid} holds both clusters`, n)
        : fail(
            'standby-replicates',
            `the global cluster ${gid} does not hold both ${db.primary.clusterId} and ${db.standby.clusterId}`,
            'add the standby cluster to the global database',
            n,
          ),
    );
  } catch (err) {
    results.push(fail('standby-replicates', isNotFound(err) ? `the global cluster ${gid} does not exist` : why(err), 'fix globalClusterId', n));
  }
  return { results, ...(endpoint ? { endpoint } : {}) };
}

/** The writer record and its TTL. */
async function recordChecks(env: OpsEnv, db: DatabaseConfig, primaryEndpoint: string | undefined): Promise<CheckResult[]> {
  const n = db.name;
  const { hostedZoneId: zone, recordName } = db.dns;
  try {
    const out = await readCall(env, 'route53:ListResourceRecordSets', 'global', `zone ${zone} record ${recordName}`, () =>
      env.clients(db.primary.region).route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, StartRecordName: recordName, MaxItems: 1 })),
    );
    const set = out.ResourceRecordSets?.[0];
    if (!set || norm(set.Name) !== norm(recordName))
      return [
        fail(
          'record-target',
          `the record ${recordName} does not exist in zone ${zone}`,
          `create a CNAME ${recordName} → the primary's endpoint${primaryEndpoint ? ` (${primaryEndpoint})` : ''}`,
          n,
        ),
      ];
    if (set.Type !== 'CNAME')
      return [
        fail(
          'record-target',
          `the record ${recordName} is ${set.Type}, not a CNAME`,
          "make it a CNAME to the primary's endpoint (the failover UPSERTs a CNAME)",
          n,
        ),
      ];
    const value = set.ResourceRecords?.[0]?.Value;
    const expected = db.primary.endpoint ?? primaryEndpoint;
    const results: CheckResult[] = [];
    if (expected && norm(value) !== norm(expected))
      results.push(
        fail(
          'record-target',
          `the record ${recordName} points at ${value}, not at the primary's endpoint ${expected}`,
          `point it at ${expected} (clients writing elsewhere are not protected)`,
          n,
        ),
      );
    else results.push(pass('record-target', `${recordName} is a CNAME to the primary's endpoint ${value}`, n));
    const ttl = set.TTL ?? 0;
    if (ttl > 300)
      results.push(
        warn(
          'record-ttl',
          `the record's TTL is ${ttl} s: clients keep the old writer that long after a failover`,
          `lower it to ${db.dns.ttlSeconds} s (the failover sets dns.ttlSeconds)`,
          n,
        ),
      );
    else if (ttl !== db.dns.ttlSeconds)
      results.push(
        warn(
          'record-ttl',
          `the record's TTL is ${ttl} s; the failover will set ${db.dns.ttlSeconds} s (dns.ttlSeconds)`,
          'make them the same so the failover changes only the value',
          n,
        ),
      );
    else results.push(pass('record-ttl', `TTL ${ttl} s, as configured`, n));
    return results;
  } catch (err) {
    return [fail('record-target', isNotFound(err) ? `the hosted zone ${zone} does not exist` : why(err), 'fix dns.hostedZoneId', n)];
  }
}

/** The fence's prerequisites on the primary. */
async function fenceChecks(env: OpsEnv, db: DatabaseConfig, primary: DBInstance | undefined): Promise<CheckResult[]> {
  const n = db.name;
  const method = isAurora(db.engine) ? 'revoke-ingress' : db.failover.fenceMethod;
  if (method !== 'revoke-ingress') {
    if (!primary) return [];
    const vpc = primary.DBSubnetGroup?.VpcId;
    return [
      vpc
        ? pass('fence-prerequisites', `fence ${method}: the primary is in ${vpc} (the isolation group is found or created there)`, n)
        : fail(
            'fence-prerequisites',
            `fence ${method}: the primary is in no VPC, so it cannot be isolated`,
            'move it into a VPC, or use fenceMethod revoke-ingress with dedicated securityGroupIds',
            n,
          ),
    ];
  }
  const groups = db.primary.securityGroupIds ?? [];
  if (groups.length === 0)
    return [
      db.failover.fencing === 'required'
        ? fail(
            'fence-prerequisites',
            'fence revoke-ingress: no securityGroupIds on the primary: nothing to revoke',
            "list the primary's dedicated groups in primary.securityGroupIds",
            n,
          )
        : warn('fence-prerequisites', 'fence revoke-ingress: no securityGroupIds: the primary is never fenced', 'list its dedicated groups', n),
    ];
  try {
    const out = await readCall(env, 'ec2:DescribeSecurityGroups', db.primary.region, `groups ${groups.join(', ')}`, () =>
      env.clients(db.primary.region).ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...groups] })),
    );
    const found = new Set((out.SecurityGroups ?? []).map((g) => g.GroupId));
    const missing = groups.filter((g) => !found.has(g));
    if (missing.length)
      return [
        fail('fence-prerequisites', `fence revoke-ingress: ${missing.join(', ')} do not exist in ${db.primary.region}`, 'fix primary.securityGroupIds', n),
      ];
    const attached = new Set((primary?.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId));
    const detached = primary ? groups.filter((g) => !attached.has(g)) : [];
    if (detached.length)
      return [
        fail(
          'fence-prerequisites',
          `fence revoke-ingress: ${detached.join(', ')} are not attached to the primary: revoking them would not fence it`,
          'attach them, or list the groups the primary really has',
          n,
        ),
      ];
    return [pass('fence-prerequisites', `fence revoke-ingress: ${groups.join(', ')} exist and are the primary's`, n)];
  } catch (err) {
    return [fail('fence-prerequisites', why(err), 'check ec2:DescribeSecurityGroups', n)];
  }
}

/**
 * Groups the fence revokes (revoke-ingress, Aurora) shared with anything else: another database, or
 * a network interface that is not RDS's. Revoking their rules would cut those off too (warn).
 */
async function sharedGroupChecks(env: OpsEnv, db: DatabaseConfig): Promise<CheckResult[]> {
  const n = db.name;
  const method = isAurora(db.engine) ? 'revoke-ingress' : db.failover.fenceMethod;
  const groups = db.primary.securityGroupIds ?? [];
  if (method !== 'revoke-ingress') return [pass('shared-groups', `fence ${method} changes no security group's rules (shared groups are not touched)`, n)];
  if (groups.length === 0) return [];
  const region = db.primary.region;
  try {
    const enis = await readCall(env, 'ec2:DescribeNetworkInterfaces', region, `interfaces of ${groups.join(', ')}`, () =>
      env.clients(region).ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'group-id', Values: [...groups] }] })),
    );
    const others = (enis.NetworkInterfaces ?? []).filter((e) => !(e.RequesterId === 'amazon-rds' || e.Description === 'RDSNetworkInterface'));
    const instances: string[] = [];
    if (!isAurora(db.engine)) {
      let marker: string | undefined;
      do {
        const out = await readCall(env, 'rds:DescribeDBInstances', region, `instances in ${region}`, () =>
          env.clients(region).rds.send(new DescribeDBInstancesCommand({ ...(marker ? { Marker: marker } : {}) })),
        );
        for (const i of out.DBInstances ?? []) {
          if (i.DBInstanceIdentifier === db.primary.instanceId) continue;
          if ((i.VpcSecurityGroups ?? []).some((g) => groups.includes(g.VpcSecurityGroupId ?? ''))) instances.push(i.DBInstanceIdentifier ?? '?');
        }
        marker = out.Marker;
      } while (marker);
    }
    if (others.length === 0 && instances.length === 0) return [pass('shared-groups', `${groups.join(', ')} are used by the database only`, n)];
    const what = [
      ...(instances.length ? [`instances ${instances.join(', ')}`] : []),
      ...(others.length
        ? [
            `${others.length} other network interface${others.length === 1 ? '' : 's'} (${others.map((e) => `${e.NetworkInterfaceId}: ${e.Description || e.InterfaceType || '?'}`).join('; ')})`,
          ]
        : []),
    ].join(' and ');
    return [
      warn(
        'shared-groups',
        `${groups.join(', ')} are shared with ${what}: the fence (revoke-ingress) revokes their rules and cuts those off too`,
        'give the database security groups of its own, or use fenceMethod isolate (instances)',
        n,
      ),
    ];
  } catch (err) {
    return [
      warn('shared-groups', `the groups' other users could not be listed: ${why(err)}`, 'allow ec2:DescribeNetworkInterfaces and rds:DescribeDBInstances', n),
    ];
  }
}

/** The credentials secret in its Region and each listed replica Region. */
async function secretChecks(env: OpsEnv, db: DatabaseConfig): Promise<CheckResult[]> {
  const n = db.name;
  const arn = db.credentials?.secretArn;
  if (!arn) return [pass('secret-readable', 'no secret configured (IAM database authentication)', n)];
  const home = arn.split(':')[3]!;
  const results: CheckResult[] = [];
  for (const region of [home, ...(db.credentials?.secretReplicaRegions ?? [])]) {
    const id = region === home ? arn : secretArnInRegion(arn, region);
    try {
      const out = await readCall(env, 'secretsmanager:GetSecretValue', region, `secret ${id}`, () =>
        env.clients(region).secrets.send(new GetSecretValueCommand({ SecretId: id })),
      );
      let parsed: { username?: unknown; password?: unknown } = {};
      try {
        parsed = JSON.parse(out.SecretString ?? '{}') as typeof parsed;
      } catch {
        parsed = {};
      }
      results.push(
        typeof parsed.username === 'string' && typeof parsed.password === 'string'
          ? pass('secret-readable', `the secret is readable in ${region}${region === home ? '' : ' (replica)'} and has username and password`, n)
          : fail('secret-readable', `the secret in ${region} has no username and password`, 'store {"username": ..., "password": ...}', n),
      );
    } catch (err) {
      results.push(
        isNotFound(err)
          ? fail(
              'secret-readable',
              region === home ? `the secret ${arn} does not exist` : `the secret has no replica in ${region} (listed in credentials.secretReplicaRegions)`,
              region === home
                ? 'fix credentials.secretArn'
                : `replicate the secret to ${region} (Secrets Manager replication), or remove ${region} from secretReplicaRegions`,
              n,
            )
          : fail(
              'secret-readable',
              `the secret in ${region} cannot be read: ${why(err)}`,
              'check secretsmanager:GetSecretValue (and kms:Decrypt for a customer managed key)',
              n,
            ),
      );
    }
  }
  return results;
}

/**
 * Logging in with the configured credentials from each vantage Region: the deployed probe function
 * there, invoked with `write: false` (it reads the secret in its own Region, connects and runs
 * `SELECT 1`; it writes nothing). The one call of the preflight that is not a Describe, List or Get.
 */
async function loginChecks(env: OpsEnv, config: FailoverConfig, db: DatabaseConfig): Promise<CheckResult[]> {
  const n = db.name;
  if (!db.credentials?.secretArn && !db.credentials?.iamUser)
    return [
      warn(
        'database-login',
        'no credentials configured: probes check TCP reachability only, and no heartbeat can write',
        'configure credentials (secretArn or iamUser) and the user of README, "The database user and its privileges"',
        n,
      ),
    ];
  const results: CheckResult[] = [];
  const seen = new Set<string>();
  let grantsRead = false;
  for (const v of db.detection.vantagePoints) {
    if (seen.has(v.region)) continue;
    seen.add(v.region);
    const fn = probeFunctionName(config.prefix);
    try {
      const out = await readCall(env, 'lambda:Invoke', v.region, `function ${fn}`, () =>
        env.clients(v.region).lambda.send(
          new InvokeCommand({
            FunctionName: fn,
            InvocationType: 'RequestResponse',
            Payload: new TextEncoder().encode(JSON.stringify({ ...buildProbeInput(db, v.name), write: false, grants: !grantsRead })),
          }),
        ),
      );
      const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
      if (out.FunctionError) {
        results.push(
          fail('database-login', `the probe in ${v.region} failed: ${out.FunctionError} ${text.slice(0, 200)}`, `look at the logs of ${fn} in ${v.region}`, n),
        );
        continue;
      }
      const answer = JSON.parse(text || '{}') as { status?: string; error?: string; tcp?: boolean; grants?: ProbeOutput['grants'] };
      if (answer.status === 'up') {
        results.push(pass('database-login', `logs in from ${v.region} (vantage ${v.name}) with the configured credentials: SELECT 1 answered`, n));
        // The user's privileges, read once (from the first Region that logs in), one line each.
        if (!grantsRead) {
          grantsRead = true;
          for (const line of grantChecks(db, answer.grants, v.region)) results.push({ ...line, database: n });
        }
      } else
        results.push(
          fail(
            'database-login',
            `cannot log in from ${v.region} (vantage ${v.name}): ${answer.error ?? answer.status ?? 'no answer'}`,
            /ENOTFOUND|EAI_AGAIN/.test(answer.error ?? '')
              ? `the name the probes connect to (${db.primary.endpoint ?? db.dns.recordName}) does not resolve: fix the record (record-target)`
              : answer.tcp === false
                ? `let ${v.region} reach the database (networks, security groups)`
                : 'check the user and password in the secret (and its replica there), and README, "The database user and its privileges"',
            n,
          ),
        );
    } catch (err) {
      results.push(
        isNotFound(err)
          ? warn(
              'database-login',
              `the probe function ${fn} is not deployed in ${v.region}: login not checked`,
              'deploy the stacks, then run preflight again',
              n,
            )
          : fail('database-login', why(err), 'check lambda:InvokeFunction on the probe', n),
      );
    }
  }
  return results;
}

/** The stacks, the bootstrap, the alarms and rules, the subscriptions: after the deploy. */
async function accountChecks(env: OpsEnv, config: FailoverConfig, control: ControlResources): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const primaries = [...new Set(config.databases.map((d) => d.primary.region))];
  const vantages = [...new Set(config.databases.flatMap((d) => d.detection.vantagePoints.map((v) => v.region)))];
  const stacks = [
    { name: control.stackName, region: control.region },
    ...primaries.map((r) => ({ name: stackNames.signal(config.prefix, r), region: r })),
    ...vantages.map((r) => ({ name: stackNames.probe(config.prefix, r), region: r })),
  ];
  for (const region of [...new Set(stacks.map((s) => s.region))].sort()) {
    try {
      await readCall(env, 'cloudformation:DescribeStacks', region, 'stack CDKToolkit', () =>
        env.clients(region).cfn.send(new DescribeStacksCommand({ StackName: 'CDKToolkit' })),
      );
      results.push(pass('cdk-bootstrap', `CDK is bootstrapped in ${region}`));
    } catch (err) {
      results.push(
        isNotFound(err)
          ? fail('cdk-bootstrap', `CDK is not bootstrapped in ${region}`, `npx cdk bootstrap aws://ACCOUNT/${region}`)
          : fail('cdk-bootstrap', why(err), 'check cloudformation:DescribeStacks'),
      );
    }
  }
  if (!control.deployed) {
    results.push(
      warn(
        'stacks-deployed',
        `the control stack ${control.stackName} is not deployed in ${control.region}: the checks after the deploy are skipped`,
        'npx cdk deploy --all -c config=FILE, then run preflight again',
      ),
    );
    return results;
  }
  for (const s of stacks) {
    try {
      const out = await readCall(env, 'cloudformation:DescribeStacks', s.region, `stack ${s.name}`, () =>
        env.clients(s.region).cfn.send(new DescribeStacksCommand({ StackName: s.name })),
      );
      const status = out.Stacks?.[0]?.StackStatus ?? '?';
      results.push(
        /_COMPLETE$/.test(status) && !/ROLLBACK|DELETE/.test(status)
          ? pass('stacks-deployed', `${s.name} (${s.region}) is ${status}`)
          : fail('stacks-deployed', `${s.name} (${s.region}) is ${status}`, 'look at its events in the CloudFormation console and deploy again'),
      );
    } catch (err) {
      results.push(
        isNotFound(err)
          ? fail('stacks-deployed', `${s.name} is not deployed in ${s.region}`, 'npx cdk deploy --all with this config')
          : fail('stacks-deployed', why(err), 'check cloudformation:DescribeStacks'),
      );
    }
  }
  for (const db of config.databases) {
    const sites: Array<[HeartbeatSite, string]> = [
      ['in-region', db.primary.region],
      ['cross-region', config.controlRegion],
    ];
    for (const [site, region] of sites) {
      const name = alarmName(config.prefix, db.name, site);
      try {
        const out = await readCall(env, 'cloudwatch:DescribeAlarms', region, `alarm ${name}`, () =>
          env.clients(region).cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] })),
        );
        const alarm = out.MetricAlarms?.[0];
        if (!alarm) results.push(fail('alarms', `the heartbeat alarm ${name} does not exist in ${region}`, 'deploy the stacks again', db.name));
        else if (alarm.StateValue === 'INSUFFICIENT_DATA')
          results.push(
            warn(
              'alarms',
              `the heartbeat alarm ${name} (${region}) is INSUFFICIENT_DATA: no heartbeat has been recorded`,
              "check the heartbeat function's logs (network access to the database, credentials)",
              db.name,
            ),
          );
        else if (alarm.StateValue === 'ALARM')
          results.push(
            fail(
              'alarms',
              `the heartbeat alarm ${name} (${region}) is in ALARM: the heartbeat cannot write through ${db.dns.recordName}`,
              'check the heartbeat\'s logs: the login, the user\'s privileges on failover_heartbeat (README, "The database user and its privileges"), the network',
              db.name,
            ),
          );
        else
          results.push(
            pass(
              'alarms',
              `the heartbeat alarm ${name} (${region}) is ${alarm.StateValue}: the heartbeat logs in and writes failover_heartbeat (the user's privileges are enough)`,
              db.name,
            ),
          );
      } catch (err) {
        results.push(fail('alarms', why(err), 'check cloudwatch:DescribeAlarms', db.name));
      }
      const rule = heartbeatRuleName(config.prefix, db.name, site);
      try {
        const r = await readCall(env, 'events:DescribeRule', region, `rule ${rule}`, () =>
          env.clients(region).events.send(new DescribeRuleCommand({ Name: rule })),
        );
        results.push(
          r.State === 'ENABLED'
            ? pass('rules', `the heartbeat schedule ${rule} (${region}) is enabled`, db.name)
            : fail('rules', `the heartbeat schedule ${rule} (${region}) is ${r.State}`, `aws events enable-rule --name ${rule} --region ${region}`, db.name),
        );
      } catch (err) {
        results.push(
          isNotFound(err)
            ? fail('rules', `the heartbeat schedule ${rule} does not exist in ${region}`, 'deploy the stacks again', db.name)
            : fail('rules', why(err), 'check events:DescribeRule', db.name),
        );
      }
    }
  }
  try {
    const subs: Array<{ Endpoint?: string; SubscriptionArn?: string; Protocol?: string }> = [];
    let token: string | undefined;
    do {
      const out = await readCall(env, 'sns:ListSubscriptionsByTopic', control.region, `topic ${control.topicArn}`, () =>
        env.clients(control.region).sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: control.topicArn, ...(token ? { NextToken: token } : {}) })),
      );
      subs.push(...(out.Subscriptions ?? []));
      token = out.NextToken;
    } while (token);
    for (const email of config.notifications.emails) {
      const s = subs.find((x) => x.Endpoint === email && (x.Protocol ?? 'email').startsWith('email'));
      if (!s)
        results.push(
          fail('email-subscriptions', `${email} is not subscribed to the topic`, 'deploy again (the stack subscribes it), then confirm the email', undefined),
        );
      else if (s.SubscriptionArn === 'PendingConfirmation')
        results.push(
          fail(
            'email-subscriptions',
            `${email} has not confirmed its subscription: it receives nothing`,
            `open the confirmation email sent to ${email} (deploy again to resend)`,
          ),
        );
      else results.push(pass('email-subscriptions', `${email} is subscribed and confirmed`));
    }
  } catch (err) {
    results.push(fail('email-subscriptions', why(err), 'check sns:ListSubscriptionsByTopic'));
  }
  return results;
}

/** Runs every check. */
export async function runPreflight(config: FailoverConfig, env: OpsEnv): Promise<{ where: 'aws' | 'twin'; at: string; results: CheckResult[] }> {
  const results: CheckResult[] = [regionCheck(config)];
  const control = await locateControl(config, env);
  for (const db of config.databases) {
    if (isAurora(db.engine)) {
      const a = await auroraChecks(env, db);
      results.push(...a.results, ...(await recordChecks(env, db, a.endpoint)), ...(await fenceChecks(env, db, undefined)));
    } else {
      const i = await instanceChecks(env, db);
      results.push(...i.results, ...(await recordChecks(env, db, i.primary?.Endpoint?.Address)), ...(await fenceChecks(env, db, i.primary)));
    }
    results.push(...(await sharedGroupChecks(env, db)));
    results.push(...(await secretChecks(env, db)));
    if (control.deployed) results.push(...(await loginChecks(env, config, db)));
  }
  results.push(...(await accountChecks(env, config, control)));
  return { where: env.where, at: env.now().toISOString(), results };
}

/** Counts and the exit status: 1 when anything failed (pure). */
export function summarize(results: readonly CheckResult[]): { pass: number; warn: number; fail: number; exitCode: 0 | 1 } {
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  return { pass: count('pass'), warn: count('warn'), fail: count('fail'), exitCode: count('fail') > 0 ? 1 : 0 };
}

/** One line per check (pure). */
export function formatChecks(results: readonly CheckResult[]): string[] {
  const lines = results.map(
    (r) => `${r.status.toUpperCase().padEnd(4)}  ${r.database ? `${r.database}: ` : ''}${r.message}${r.fix && r.status !== 'pass' ? ` -> ${r.fix}` : ''}`,
  );
  const s = summarize(results);
  lines.push(`${s.pass} passed, ${s.warn} warnings, ${s.fail} failed`);
  return lines;
}
