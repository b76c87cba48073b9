/**
 * `failover plan DB`: a dry run. From the current roles (the lease table's roles item) and what the
 * account shows now (Describe calls: the instances or clusters, the writer record, the fence's
 * security groups, a cold standby's stack), what the next failover and the failback after it would
 * do: each step, each AWS call with its key parameters, the DNS change (old value → new value), the
 * fence actions, and which steps would ask a human under the current config. It writes nothing:
 * every call it makes is a read (GetItem, Describe*, List*).
 *
 * {@link readPlanFacts} reads; {@link buildPlan} is pure (tests feed it facts).
 */
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { isAurora, type DatabaseConfig, type FailoverConfig, type SiteConfig } from '../../lambdas/shared/config-schema.js';
import { ISOLATION_GROUP_NAME, databaseStateKey, preFailbackSnapshotId, preservedInstanceId } from '../../lambdas/shared/names.js';
import { currentRoles, siteIdentifier, type WriterSite } from '../../lambdas/shared/roles.js';
import { readCall, type OpsEnv } from './env.js';
import { locateControl, type ControlResources } from './locate.js';
import { readLeaseItem, type LeaseItem } from './status.js';

/** What one site shows now (absent fields: not known). */
export interface SiteFacts {
  region: string;
  id: string;
  /** Found by DescribeDBInstances / DescribeDBClusters. */
  exists: boolean;
  status?: string;
  endpoint?: string;
  arn?: string;
  /** The instance it replicates from (ARN or id), for a read replica. */
  replicaOf?: string;
  /** Its read replicas (ids or ARNs). */
  replicas?: string[];
  vpcId?: string;
  securityGroupIds?: string[];
  backupRetentionPeriod?: number;
  /** Why it could not be described (its Region does not answer, ...): the plan says so and goes on. */
  error?: string;
}

/** Everything the plan is made from. */
export interface PlanFacts {
  lease: LeaseItem | undefined;
  control: Pick<ControlResources, 'tableName' | 'region' | 'failoverArn' | 'failbackArn'>;
  /** The sites in their current roles. */
  writer: SiteFacts;
  standby: SiteFacts;
  /** The writer record now: its type, TTL and value (absent: not found). */
  record?: { type: string; ttl?: number; value?: string };
  /** The isolation group of the writer's VPC, when one exists. */
  isolationGroupId?: string;
  /** Ingress rules of each configured group of the writer (revoke-ingress and Aurora fences). */
  ingressRules?: Record<string, number>;
  /** A cold standby's stack: its status and the switch parameter's value now. */
  coldStack?: { status?: string; value?: string };
  now: string;
}

/** One AWS call a step makes. */
export interface PlannedCall {
  api: string;
  region: string;
  params: Record<string, unknown>;
}

/** One step of a run. */
export interface PlanStep {
  title: string;
  calls: PlannedCall[];
  /** When this step asks a human (approval decision and why), if it can. */
  asks?: string;
  /** What else to know: conditions, waits, what stops it. */
  notes?: string[];
}

export interface Plan {
  database: string;
  engine: string;
  at: string;
  /** The site that writes now and the standby, in their current roles. */
  writer: { configured: WriterSite; region: string; id: string };
  standby: { configured: WriterSite; region: string; id: string; readiness: string };
  /** Why the next failover would not promote anything (the standby is not a standby, the lease is held, ...). */
  blockers: string[];
  dns: { record: string; zone: string; type: string; from: string | null; to: string | null; ttl: number };
  failover: PlanStep[];
  failback: PlanStep[];
  /** The steps that would ask a human, as one list. */
  humans: string[];
}

const call = (api: string, region: string, params: Record<string, unknown>): PlannedCall => ({ api, region, params });

/** The endpoint a site is reached at (the config's override wins). */
const endpointOf = (site: SiteConfig, facts: SiteFacts): string | null => site.endpoint ?? facts.endpoint ?? null;

/** The fence of one site: its calls and notes (pure). */
function fenceSteps(db: DatabaseConfig, site: SiteConfig, facts: SiteFacts, plan: PlanFacts, who: string): PlanStep {
  const id = siteIdentifier(site) ?? facts.id;
  const method = isAurora(db.engine) ? 'revoke-ingress' : db.failover.fenceMethod;
  const calls: PlannedCall[] = [];
  const notes: string[] = [];
  if (method === 'revoke-ingress') {
    for (const g of site.securityGroupIds ?? []) {
      const n = plan.ingressRules?.[g];
      calls.push(
        call('ec2:RevokeSecurityGroupIngress', site.region, {
          GroupId: g,
          SecurityGroupRuleIds: n === undefined ? '(every ingress rule, by id)' : `${n} rule${n === 1 ? '' : 's'}`,
        }),
      );
    }
    if ((site.securityGroupIds ?? []).length === 0)
      notes.push(
        'no securityGroupIds configured: nothing to revoke (an Aurora cluster without groups is not fenced; the global failover makes it a read-only secondary when it rejoins)',
      );
    notes.push('the revoked rules are saved first in the fence record FENCE#<incident> and restored by the failback');
  } else {
    const vpc = facts.vpcId ?? '(its VPC)';
    calls.push(call('ec2:DescribeSecurityGroups', site.region, { Filters: [`vpc-id=${vpc}`, `group-name=${ISOLATION_GROUP_NAME}`] }));
    if (!plan.isolationGroupId)
      calls.push(
        call('ec2:CreateSecurityGroup', site.region, {
          GroupName: ISOLATION_GROUP_NAME,
          VpcId: vpc,
          ingress: 'none',
          tag: 'rds-failover:purpose=fence-isolation',
        }),
      );
    const group = plan.isolationGroupId ?? `(the new ${ISOLATION_GROUP_NAME})`;
    calls.push(call('rds:ModifyDBInstance', site.region, { DBInstanceIdentifier: id, VpcSecurityGroupIds: [group], ApplyImmediately: true }));
    notes.push(
      `its groups now (${(facts.securityGroupIds ?? site.securityGroupIds ?? []).join(', ') || 'unknown'}) are recorded in FENCE#<incident> and given back by the failback`,
    );
  }
  const canStop = method === 'stop' && !facts.replicaOf && (facts.replicas ?? []).length === 0;
  if (isAurora(db.engine)) calls.push(call('rds:RebootDBInstance', site.region, { DBInstanceIdentifier: `${id}-instance-1 (each member)` }));
  else if (canStop) calls.push(call('rds:StopDBInstance', site.region, { DBInstanceIdentifier: id }));
  else calls.push(call('rds:RebootDBInstance', site.region, { DBInstanceIdentifier: id }));
  if (method === 'stop' && !canStop) notes.push('fenceMethod stop: RDS does not stop an instance with read replicas (or a replica): rebooted instead');
  if (facts.status && !['available', 'backing-up', 'modifying'].includes(facts.status))
    notes.push(`it is ${facts.status} now: an instance down is recorded and fenced as soon as it answers (deferred)`);
  return {
    title: `Fence ${who} ${id} (${site.region}) with ${method}`,
    calls,
    ...(db.failover.fencing === 'required' ? { asks: 'promote-unfenced: only if the fence cannot be confirmed (fencing "required")' } : {}),
    notes: [
      ...notes,
      ...(db.failover.fencing === 'best-effort' ? ['fencing "best-effort": an unconfirmed fence is recorded and the failover goes on (split-brain risk)'] : []),
    ],
  };
}

/** The plan (pure). */
export function buildPlan(db: DatabaseConfig, config: Pick<FailoverConfig, 'prefix'>, facts: PlanFacts): Plan {
  const writerSite: WriterSite = facts.lease?.writer ?? 'primary';
  const current = currentRoles(db, writerSite);
  const standbyConfigured: WriterSite = writerSite === 'primary' ? 'standby' : 'primary';
  const epoch = facts.lease?.epoch ?? 0;
  const next = epoch + 1;
  const blockers: string[] = [];
  const now = Date.parse(facts.now);
  if (facts.lease?.holder)
    blockers.push(
      `the lease is held by ${facts.lease.holder} (incident ${facts.lease.incidentId ?? '?'}): a new failover waits for it (an operator's \`failover start\` takes it over only from a stopped run)`,
    );
  if (facts.lease?.standbyNotReadySince)
    blockers.push(
      `${facts.standby.id} (${facts.standby.region}) is a former writer since ${facts.lease.standbyNotReadySince}, not yet rebuilt as a replica: a failover now promotes nothing and escalates (NoStandby) until the failback rebuilds it`,
    );
  for (const f of [facts.writer, facts.standby])
    if (f.error) blockers.push(`${f.id} (${f.region}) could not be described, so the plan assumes the config: ${f.error}`);
  if (!facts.standby.exists && current.standby.readiness !== 'cold') blockers.push(`the standby ${facts.standby.id} does not exist in ${facts.standby.region}`);
  if (
    facts.standby.exists &&
    !facts.standby.error &&
    !facts.lease?.standbyNotReadySince &&
    !isAurora(db.engine) &&
    current.standby.readiness !== 'cold' &&
    !facts.standby.replicaOf
  ) {
    blockers.push(`the standby ${facts.standby.id} (${facts.standby.region}) is not a read replica: there is nothing to promote`);
  }
  const cooldownEnds = facts.lease?.lastChangeAt ? Date.parse(facts.lease.lastChangeAt) + db.failover.cooldownMinutes * 60_000 : NaN;
  const inCooldown = Number.isFinite(cooldownEnds) && cooldownEnds > now;

  const writerId = siteIdentifier(current.primary) ?? facts.writer.id;
  const standbyId = siteIdentifier(current.standby) ?? facts.standby.id;
  const from = facts.record?.value ?? null;
  const to = endpointOf(current.standby, facts.standby);
  const back = endpointOf(current.primary, facts.writer);
  const dns = { record: db.dns.recordName, zone: db.dns.hostedZoneId, type: 'CNAME', from, to, ttl: db.dns.ttlSeconds };
  const table = facts.control.tableName;
  const key = databaseStateKey(db.name);
  const control = facts.control.region;

  // ---------------------------------------------------------------- failover
  const failover: PlanStep[] = [];
  failover.push({
    title: 'Take the lease (one incident at a time)',
    calls: [
      call('dynamodb:UpdateItem', control, {
        TableName: table,
        Key: `${key.pk}/${key.sk}`,
        epoch: `${epoch} → ${next}`,
        holder: 'the failover execution',
        condition: 'no holder, and no failover or failback within the cooldown',
      }),
    ],
    notes: [
      inCooldown
        ? `in the cooldown until ${new Date(cooldownEnds).toISOString()}: an automatic run takes nothing until then; \`failover start\` (an operator) is not held back`
        : `cooldown: ${db.failover.cooldownMinutes} min after each failover or failback (none now)`,
    ],
  });
  const vantage = db.detection.vantagePoints.map((v) =>
    call('lambda:Invoke', v.region, { FunctionName: `${config.prefix}-probe`, vantagePoint: v.name, target: `${writerId} via ${db.dns.recordName}` }),
  );
  if (db.detection.includeControlPlane)
    vantage.push(call('rds:DescribeDBInstances', current.primary.region, { DBInstanceIdentifier: writerId, vantagePoint: 'rds-api' }));
  failover.push({
    title: `Verify the writer is down: ${db.detection.probeRounds} rounds ${db.detection.probeIntervalSeconds} s apart from ${vantage.length} vantage points, quorum ${db.detection.quorum}`,
    calls: vantage,
    asks: 'promote: an ambiguous verdict (fewer than the quorum see it down) always asks',
    notes: ['a healthy verdict ends the run as a false alarm, nothing changed'],
  });
  const lagMetric = isAurora(db.engine)
    ? 'AuroraGlobalDBRPOLag'
    : current.standby.readiness === 'cold'
      ? 'the latest restorable time'
      : db.engine === 'postgres'
        ? 'ReplicaLag (0 when OldestReplicationSlotLag is 0 bytes)'
        : 'ReplicaLag';
  failover.push({
    title: `Check the data-loss budget (${db.failover.rpoBudgetSeconds} s)`,
    calls: [call('cloudwatch:GetMetricData', current.standby.region, { metric: lagMetric, of: standbyId, period: '60 s, as of the failure onset' })],
    asks: `accept-data-loss: when the standby is more than ${db.failover.rpoBudgetSeconds} s behind (or the figure cannot be known)`,
  });
  if (db.failover.mode === 'manual')
    failover.push({
      title: 'Ask a human (mode "manual")',
      calls: [call('sns:Publish', control, { TopicArn: 'the notification topic', approval: 'promote' })],
      asks: `promote: always (failover.mode "manual"), within ${db.failover.approvalTimeoutMinutes} min or the run escalates`,
    });
  failover.push(fenceSteps(db, current.primary, facts.writer, facts, 'the writer'));
  const promote: PlannedCall[] = [];
  const promoteNotes: string[] = [];
  if (isAurora(db.engine)) {
    promote.push(
      call('rds:FailoverGlobalCluster', current.standby.region, {
        GlobalClusterIdentifier: current.standby.globalClusterId,
        TargetDbClusterIdentifier: facts.standby.arn ?? standbyId,
        AllowDataLoss: true,
      }),
    );
  } else if (current.standby.readiness === 'cold' && db.standby.coldStandby && writerSite === 'primary') {
    const cold = db.standby.coldStandby;
    promote.push(
      call('cloudformation:UpdateStack', current.standby.region, {
        StackName: cold.stackName,
        UsePreviousTemplate: true,
        [cold.parameterName]: `${facts.coldStack?.value ?? '?'} → ${cold.activeValue}`,
        RoleARN: cold.serviceRoleArn,
      }),
    );
    promoteNotes.push('the stack restores the database (tens of minutes) as its service role');
  } else {
    promote.push(call('rds:PromoteReadReplica', current.standby.region, { DBInstanceIdentifier: standbyId, BackupRetentionPeriod: 7 }));
    if ((facts.standby.backupRetentionPeriod ?? 0) === 0)
      promoteNotes.push(
        'the replica has no automated backups: RDS backs it up as part of the promotion (long on a large, busy database); DNS follows it as soon as it takes writes',
      );
    if (current.standby.readiness === 'warm' && db.standby.promotedInstanceClass) {
      promote.push(
        call('rds:ModifyDBInstance', current.standby.region, {
          DBInstanceIdentifier: standbyId,
          DBInstanceClass: db.standby.promotedInstanceClass,
          ApplyImmediately: true,
        }),
      );
    }
  }
  failover.push({
    title: `Promote the standby ${standbyId} (${current.standby.region})`,
    calls: promote,
    notes: [...promoteNotes, `waits at most ${db.failover.promotionTimeoutMinutes} min for it to take writes`],
  });
  failover.push({
    title: `Point ${db.dns.recordName} at the new writer`,
    calls: [
      call('route53:ChangeResourceRecordSets', 'global', {
        HostedZoneId: db.dns.hostedZoneId,
        Action: 'UPSERT',
        Name: db.dns.recordName,
        Type: 'CNAME',
        TTL: db.dns.ttlSeconds,
        Value: `${from ?? '(not found)'} → ${to ?? '(the promoted endpoint)'}`,
      }),
    ],
  });
  failover.push({
    title: `Verify writes through ${db.dns.recordName}`,
    calls: [call('sql', current.standby.region, { connect: db.dns.recordName, write: 'a heartbeat row' })],
  });
  failover.push({
    title: 'Record the failover and release the lease',
    calls: [
      call('dynamodb:UpdateItem', control, {
        TableName: table,
        Key: `${key.pk}/${key.sk}`,
        writer: `${writerSite} → ${standbyConfigured}`,
        standbyNotReadySince: 'now',
        lastChangeAt: 'now (the cooldown starts)',
        holder: 'removed',
      }),
    ],
  });
  failover.push({
    title:
      db.failback.policy === 'never'
        ? 'Start the failback workflow (policy "never": it only rebuilds a standby)'
        : `Start the failback workflow (policy "${db.failback.policy}")`,
    calls: [call('states:StartExecution', control, { stateMachineArn: facts.control.failbackArn, name: `<incident>-failback` })],
  });

  // ---------------------------------------------------------------- failback (after that failover)
  const failback: PlanStep[] = [];
  const original = current.primary; // the site writing now is the one the failback brings back
  const promoted = current.standby;
  const originalId = siteIdentifier(original) ?? facts.writer.id;
  const promotedId = siteIdentifier(promoted) ?? facts.standby.id;
  failback.push({
    title: `Wait for ${originalId} (${original.region}) to answer again (at most ${db.failback.maxWaitHours} h)`,
    calls: [call('rds:DescribeDBInstances', original.region, { DBInstanceIdentifier: originalId })],
  });
  failback.push({
    title: 'Take the lease',
    calls: [
      call('dynamodb:UpdateItem', control, { TableName: table, Key: `${key.pk}/${key.sk}`, epoch: `${next} → ${next + 1}`, holder: 'the failback execution' }),
    ],
  });
  if (!isAurora(db.engine)) {
    failback.push({
      ...fenceSteps(db, original, facts.writer, facts, 'the original site'),
      asks: undefined,
      notes: ['an unconfirmed fence escalates (nothing is preserved or rebuilt while it may take writes)'],
    });
    failback.push({
      title: `Preserve the old writer ${originalId}: snapshot, rename, stop (never deleted)`,
      calls: [
        call('rds:CreateDBSnapshot', original.region, { DBInstanceIdentifier: originalId, DBSnapshotIdentifier: preFailbackSnapshotId(originalId, next + 1) }),
        call('rds:ModifyDBInstance', original.region, {
          DBInstanceIdentifier: originalId,
          NewDBInstanceIdentifier: preservedInstanceId(originalId, next + 1),
          ApplyImmediately: true,
        }),
        call('rds:StopDBInstance', original.region, { DBInstanceIdentifier: preservedInstanceId(originalId, next + 1) }),
      ],
    });
    failback.push({
      title: `Rebuild ${originalId} (${original.region}) as a cross-Region replica of ${promotedId}`,
      calls: [
        call('rds:CreateDBInstanceReadReplica', original.region, {
          DBInstanceIdentifier: originalId,
          SourceDBInstanceIdentifier: facts.standby.arn ?? `arn of ${promotedId}`,
          VpcSecurityGroupIds: original.securityGroupIds ?? '(the groups the fence recorded)',
        }),
      ],
      notes: [
        `waits until it has caught up (≤ ${db.failback.maxLagSeconds} s behind), at most ${db.failback.rebuildTimeoutMinutes} min; then records it as the standby again`,
      ],
    });
  }
  failback.push({
    title: `Hold for the stability window (${db.failback.stabilityMinutes} min of continuous health)`,
    calls: [call('cloudwatch:GetMetricData', original.region, { metric: lagMetric, of: originalId })],
  });
  if (db.failback.policy === 'never') {
    failback.push({ title: 'Policy "never": stop here; the roles stay swapped for good (the rebuilt site is the standby)', calls: [] });
  } else {
    failback.push({
      title: db.failback.policy === 'manual-approval' ? 'Ask a human to fail back' : 'Policy "automatic": go on without asking',
      calls: db.failback.policy === 'manual-approval' ? [call('sns:Publish', control, { TopicArn: 'the notification topic', approval: 'fail-back' })] : [],
      ...(db.failback.policy === 'manual-approval'
        ? { asks: `fail-back: always (policy "manual-approval"), within ${db.failback.approvalTimeoutHours} h (unanswered: nothing changes)` }
        : {}),
    });
    if (db.traffic)
      failback.push({
        title: `Drain traffic back to ${original.region} in steps of ${db.traffic.drainSteps.join(', ')} %`,
        calls: [
          call('route53:ChangeResourceRecordSets', 'global', {
            HostedZoneId: db.traffic.hostedZoneId,
            Name: db.traffic.recordName,
            weights: 'step by step, gated on alarms',
          }),
        ],
      });
    if (isAurora(db.engine)) {
      failback.push({
        title: `Planned switchover back to ${originalId} (zero data loss)`,
        calls: [
          call('rds:SwitchoverGlobalCluster', original.region, {
            GlobalClusterIdentifier: original.globalClusterId,
            TargetDbClusterIdentifier: facts.writer.arn ?? originalId,
          }),
        ],
      });
    } else {
      failback.push({
        ...fenceSteps(db, promoted, facts.standby, { ...facts, isolationGroupId: undefined, ingressRules: undefined }, 'the current writer'),
        asks: undefined,
        notes: ['an unconfirmed fence, or lag not at 0 within 10 minutes, calls the switchover off before any promotion'],
      });
      failback.push({
        title: `Promote ${originalId} (${original.region})`,
        calls: [call('rds:PromoteReadReplica', original.region, { DBInstanceIdentifier: originalId, BackupRetentionPeriod: 7 })],
      });
    }
    failback.push({
      title: `Point ${db.dns.recordName} back`,
      calls: [
        call('route53:ChangeResourceRecordSets', 'global', {
          HostedZoneId: db.dns.hostedZoneId,
          Action: 'UPSERT',
          Name: db.dns.recordName,
          Type: 'CNAME',
          TTL: db.dns.ttlSeconds,
          Value: `${to ?? '(the promoted endpoint)'} → ${back ?? `(the endpoint of the rebuilt ${originalId})`}`,
        }),
      ],
    });
    if (!isAurora(db.engine))
      failback.push({
        title: `Rebuild ${promotedId} (${promoted.region}) as the new standby (preserved first)`,
        calls: [
          call('rds:CreateDBInstanceReadReplica', promoted.region, {
            DBInstanceIdentifier: promotedId,
            SourceDBInstanceIdentifier: facts.writer.arn ?? `arn of ${originalId}`,
          }),
        ],
      });
  }
  failback.push({
    title: 'Release the lease',
    calls: [call('dynamodb:UpdateItem', control, { TableName: table, Key: `${key.pk}/${key.sk}`, holder: 'removed' })],
  });

  const humans = [...failover, ...failback].filter((s) => s.asks).map((s) => `${s.title}: ${s.asks}`);
  return {
    database: db.name,
    engine: db.engine,
    at: facts.now,
    writer: { configured: writerSite, region: current.primary.region, id: writerId },
    standby: { configured: standbyConfigured, region: current.standby.region, id: standbyId, readiness: current.standby.readiness },
    blockers,
    dns,
    failover,
    failback,
    humans,
  };
}

/** Reads what one site shows now (instances or clusters). */
async function siteFacts(env: OpsEnv, db: DatabaseConfig, site: SiteConfig): Promise<SiteFacts> {
  const id = siteIdentifier(site) ?? '(unnamed)';
  const rds = env.clients(site.region).rds;
  const missing = (err: unknown): boolean => /NotFound/.test((err as { awsError?: string }).awsError ?? '');
  try {
    if (isAurora(db.engine)) {
      const out = await readCall(env, 'rds:DescribeDBClusters', site.region, `cluster ${id}`, () =>
        rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
      );
      const c = out.DBClusters?.[0];
      return {
        region: site.region,
        id,
        exists: Boolean(c),
        status: c?.Status,
        endpoint: c?.Endpoint,
        arn: c?.DBClusterArn,
        ...(c?.ReplicationSourceIdentifier ? { replicaOf: c.ReplicationSourceIdentifier } : {}),
        securityGroupIds: (c?.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean),
        backupRetentionPeriod: c?.BackupRetentionPeriod,
      };
    }
    const out = await readCall(env, 'rds:DescribeDBInstances', site.region, `instance ${id}`, () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    );
    const i = out.DBInstances?.[0];
    return {
      region: site.region,
      id,
      exists: Boolean(i),
      status: i?.DBInstanceStatus,
      endpoint: i?.Endpoint?.Address,
      arn: i?.DBInstanceArn,
      ...(i?.ReadReplicaSourceDBInstanceIdentifier ? { replicaOf: i.ReadReplicaSourceDBInstanceIdentifier } : {}),
      replicas: i?.ReadReplicaDBInstanceIdentifiers ?? [],
      vpcId: i?.DBSubnetGroup?.VpcId,
      securityGroupIds: (i?.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean),
      backupRetentionPeriod: i?.BackupRetentionPeriod,
    };
  } catch (err) {
    if (missing(err)) return { region: site.region, id, exists: false };
    // A Region that does not answer (an outage) or a refused call: the plan is still made, saying so.
    return { region: site.region, id, exists: true, error: (err as Error).message };
  }
}

/** Reads the facts of the plan (read-only calls only). */
export async function readPlanFacts(config: FailoverConfig, env: OpsEnv, db: DatabaseConfig): Promise<PlanFacts> {
  const control = await locateControl(config, env);
  const lease = await readLeaseItem(env, control, db.name);
  const current = currentRoles(db, lease?.writer ?? 'primary');
  const writer = await siteFacts(env, db, current.primary);
  const standby =
    current.standby.readiness === 'cold'
      ? { region: current.standby.region, id: siteIdentifier(current.standby) ?? '(cold)', exists: false }
      : await siteFacts(env, db, current.standby);
  const zone = db.dns.hostedZoneId;
  const rr = await readCall(env, 'route53:ListResourceRecordSets', 'global', `zone ${zone} record ${db.dns.recordName}`, () =>
    env
      .clients(current.primary.region)
      .route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone, StartRecordName: db.dns.recordName, MaxItems: 1 })),
  );
  const set = rr.ResourceRecordSets?.[0];
  const norm = (n: string | undefined): string => (n ?? '').toLowerCase().replace(/\.$/, '');
  const record =
    set && norm(set.Name) === norm(db.dns.recordName)
      ? {
          type: set.Type ?? '?',
          ...(set.TTL !== undefined ? { ttl: set.TTL } : {}),
          ...(set.ResourceRecords?.[0]?.Value ? { value: set.ResourceRecords[0].Value } : {}),
        }
      : undefined;
  let isolationGroupId: string | undefined;
  let ingressRules: Record<string, number> | undefined;
  const ec2 = env.clients(current.primary.region).ec2;
  const method = isAurora(db.engine) ? 'revoke-ingress' : db.failover.fenceMethod;
  if (method !== 'revoke-ingress' && writer.vpcId) {
    const out = await readCall(env, 'ec2:DescribeSecurityGroups', current.primary.region, `isolation group of ${writer.vpcId}`, () =>
      ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [writer.vpcId!] },
            { Name: 'group-name', Values: [ISOLATION_GROUP_NAME] },
          ],
        }),
      ),
    );
    isolationGroupId = out.SecurityGroups?.[0]?.GroupId;
  }
  const groups = current.primary.securityGroupIds ?? [];
  if (method === 'revoke-ingress' && groups.length > 0) {
    const out = await readCall(env, 'ec2:DescribeSecurityGroups', current.primary.region, `groups ${groups.join(', ')}`, () =>
      ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [...groups] })),
    );
    ingressRules = Object.fromEntries(
      (out.SecurityGroups ?? []).map((g) => [
        g.GroupId!,
        (g.IpPermissions ?? []).reduce(
          (n, p) =>
            n + Math.max(1, (p.IpRanges ?? []).length + (p.Ipv6Ranges ?? []).length + (p.UserIdGroupPairs ?? []).length + (p.PrefixListIds ?? []).length),
          0,
        ),
      ]),
    );
  }
  let coldStack: PlanFacts['coldStack'];
  const cold = db.standby.coldStandby;
  if (current.standby.readiness === 'cold' && cold) {
    const out = await readCall(env, 'cloudformation:DescribeStacks', db.standby.region, `stack ${cold.stackName}`, () =>
      env.clients(db.standby.region).cfn.send(new DescribeStacksCommand({ StackName: cold.stackName })),
    );
    const s = out.Stacks?.[0];
    coldStack = {
      ...(s?.StackStatus ? { status: s.StackStatus } : {}),
      ...(s?.Parameters?.find((p) => p.ParameterKey === cold.parameterName)?.ParameterValue
        ? { value: s!.Parameters!.find((p) => p.ParameterKey === cold.parameterName)!.ParameterValue! }
        : {}),
    };
  }
  return {
    lease,
    control: { tableName: control.tableName, region: control.region, failoverArn: control.failoverArn, failbackArn: control.failbackArn },
    writer,
    standby,
    ...(record ? { record } : {}),
    ...(isolationGroupId ? { isolationGroupId } : {}),
    ...(ingressRules ? { ingressRules } : {}),
    ...(coldStack ? { coldStack } : {}),
    now: env.now().toISOString(),
  };
}

const params = (p: Record<string, unknown>): string =>
  Object.entries(p)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');

/** The plan as lines for people (pure). */
export function formatPlan(plan: Plan, where: 'aws' | 'twin'): string[] {
  const lines: string[] = [];
  lines.push(`plan for ${plan.database} (${plan.engine}) at ${plan.at}${where === 'twin' ? ' (cloud twin)' : ''}: a dry run, nothing was changed`);
  lines.push(`  writer now:  ${plan.writer.id} (${plan.writer.region}); standby: ${plan.standby.id} (${plan.standby.region}, ${plan.standby.readiness})`);
  lines.push(
    `  DNS change:  ${plan.dns.record} (${plan.dns.type}, TTL ${plan.dns.ttl} s, zone ${plan.dns.zone}): ${plan.dns.from ?? '(not found)'} → ${plan.dns.to ?? '(the promoted endpoint)'}`,
  );
  for (const b of plan.blockers) lines.push(`  BLOCKED:     ${b}`);
  const steps = (title: string, list: PlanStep[]): void => {
    lines.push('');
    lines.push(title);
    list.forEach((s, i) => {
      lines.push(`  ${i + 1}. ${s.title}`);
      for (const c of s.calls) lines.push(`       ${c.api} (${c.region}) ${params(c.params)}`);
      if (s.asks) lines.push(`       asks a human: ${s.asks}`);
      for (const n of s.notes ?? []) lines.push(`       note: ${n}`);
    });
  };
  steps('Next failover:', plan.failover);
  steps('Then the failback:', plan.failback);
  lines.push('');
  lines.push(plan.humans.length ? 'Would ask a human:' : 'Would ask no human.');
  for (const h of plan.humans) lines.push(`  - ${h}`);
  return lines;
}
