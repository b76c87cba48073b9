/**
 * rebuild-replica: creates one site as a cross-Region read replica of the other site (the current
 * primary) under the site's configured identifier: CreateDBInstanceReadReplica in the site's
 * Region with the source's ARN (SDK v3 signs the cross-Region PreSignedUrl itself), the source's
 * class, and the network settings of the preserved old instance. Idempotent: a replica of the
 * right source already there is success; anything else at that identifier is an error (never
 * overwritten). `action: settle` then gives the replica the preserved instance's parameter group
 * (a PostgreSQL replica cannot be created with it): ModifyDBInstance, then RebootDBInstance, one
 * step per call, each decided from what is there; the workflow calls it until `settled`.
 *
 * Env: none beyond AWS_REGION. Clients: RDS in both sites' Regions (explicit).
 */
import {
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
  type CreateDBInstanceReadReplicaCommandInput,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type * as z from 'zod/mini';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { isAurora } from '../shared/config-values.js';
import { rebuildReplicaInput, rebuildReplicaOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { FailbackStepFailedError, InvalidInputError, ResourceBusyError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { preservedInstanceId } from '../shared/names.js';
import { otherRole } from '../shared/roles.js';
import { decideParameterGroup, decideRebuild, replicaParameters, type PreservedSettings, type SourceFacts } from './core.js';

type RebuildOutput = z.output<typeof rebuildReplicaOutput>;

const NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound']);
const BUSY = new Set(['InvalidDBInstanceStateFault', 'InvalidDBInstanceState']);

async function describe(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if (NOT_FOUND.has(awsErrorName(err))) return undefined;
    throw toFailoverError(err, `DescribeDBInstances ${id}`);
  }
}

const settingsOf = (i: DBInstance): PreservedSettings => ({
  subnetGroup: i.DBSubnetGroup?.DBSubnetGroupName,
  securityGroupIds: (i.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId).filter((g): g is string => !!g),
  parameterGroup: i.DBParameterGroups?.[0]?.DBParameterGroupName,
  multiAz: i.MultiAZ,
  kmsKeyId: i.KmsKeyId,
  port: i.Endpoint?.Port ?? (i.DbInstancePort || undefined),
  deletionProtection: i.DeletionProtection,
});

export const handler = defineHandler('rebuild-replica', { input: rebuildReplicaInput, output: rebuildReplicaOutput }, async (input) => {
  const db = input.database;
  if (isAurora(db.engine)) throw new InvalidInputError('rebuild-replica: Aurora global databases are not rebuilt (the old primary rejoins as a secondary)');
  const site = db[input.site];
  const other = db[otherRole(input.site)];
  if (!site.instanceId || !other.instanceId) throw new InvalidInputError('rebuild-replica: both sites need an instanceId');
  const rds = regional(RDSClient, site.region);
  const sourceRds = regional(RDSClient, other.region);

  if (input.action === 'settle') {
    const replica = { region: site.region, id: site.instanceId };
    const now = await describe(rds, site.instanceId);
    return settle(rds, site.instanceId, input.epoch, replica, now?.ReadReplicaSourceDBInstanceIdentifier ?? '', now);
  }
  const src = await describe(sourceRds, other.instanceId);
  if (!src?.DBInstanceArn)
    throw new FailbackStepFailedError(`the current primary ${other.instanceId} (${other.region}) does not exist: nothing to replicate from`);
  const source: SourceFacts = {
    region: other.region,
    id: other.instanceId,
    arn: src.DBInstanceArn,
    status: src.DBInstanceStatus ?? 'unknown',
    instanceClass: src.DBInstanceClass,
    encrypted: src.StorageEncrypted === true,
    engine: src.Engine,
  };
  const replica = { region: site.region, id: site.instanceId };
  const existing = await describe(rds, site.instanceId);
  const decision = decideRebuild(
    site.instanceId,
    existing ? { found: true, status: existing.DBInstanceStatus, source: existing.ReadReplicaSourceDBInstanceIdentifier || undefined } : { found: false },
    source,
  );
  if (decision.kind === 'done') return { started: false, replica, sourceArn: source.arn, detail: decision.detail };
  if (decision.kind === 'busy') throw new ResourceBusyError(decision.detail, { source: source.id });
  if (decision.kind === 'fail') throw new FailbackStepFailedError(decision.detail, { replica: site.instanceId });

  const preserved = await describe(rds, preservedInstanceId(site.instanceId, input.epoch));
  const recorded = input.restore?.securityGroupIds ?? [];
  const groups = site.securityGroupIds?.length ? site.securityGroupIds : recorded.length ? recorded : undefined;
  const planned = replicaParameters(site.instanceId, groups, source, preserved ? settingsOf(preserved) : undefined);
  if (!planned.ok) throw new FailbackStepFailedError(planned.detail, { replica: site.instanceId });
  try {
    await rds.send(new CreateDBInstanceReadReplicaCommand(planned.params as unknown as CreateDBInstanceReadReplicaCommandInput));
  } catch (err) {
    const name = awsErrorName(err);
    if (name === 'DBInstanceAlreadyExistsFault' || name === 'DBInstanceAlreadyExists') {
      // Created meanwhile (a retried call): decide again from what is there.
      const now = await describe(rds, site.instanceId);
      const again = decideRebuild(
        site.instanceId,
        now ? { found: true, status: now.DBInstanceStatus, source: now.ReadReplicaSourceDBInstanceIdentifier || undefined } : { found: false },
        source,
      );
      if (again.kind === 'done') return { started: false, replica, sourceArn: source.arn, detail: again.detail };
      throw new FailbackStepFailedError(again.detail, { replica: site.instanceId });
    }
    if (BUSY.has(name)) throw new ResourceBusyError(`CreateDBInstanceReadReplica ${site.instanceId}: ${name}`, { replica: site.instanceId });
    throw toFailoverError(err, `CreateDBInstanceReadReplica ${site.instanceId}`);
  }
  const detail = [decision.detail, ...planned.notes].join('; ');
  logger.info('replica rebuild started', { database: db.name, incidentId: input.incidentId, epoch: input.epoch, replica, sourceArn: source.arn, detail });
  return { started: true, replica, sourceArn: source.arn, detail };
});

/** One step of giving the rebuilt replica its parameter group (see decideParameterGroup). */
async function settle(
  rds: RDSClient,
  id: string,
  epoch: number,
  replica: { region: string; id: string },
  sourceArn: string,
  now: DBInstance | undefined,
): Promise<RebuildOutput> {
  const preserved = await describe(rds, preservedInstanceId(id, epoch));
  const wanted = preserved?.DBParameterGroups?.[0]?.DBParameterGroupName;
  const group = now?.DBParameterGroups?.[0];
  const decision = decideParameterGroup(
    id,
    now
      ? { found: true, status: now.DBInstanceStatus, parameterGroup: group?.DBParameterGroupName, parameterApplyStatus: group?.ParameterApplyStatus }
      : { found: false },
    wanted,
  );
  const out = (settled: boolean, detail: string): RebuildOutput => ({ started: false, replica, sourceArn, detail, settled });
  switch (decision.kind) {
    case 'fail':
      throw new FailbackStepFailedError(decision.detail, { replica: id });
    case 'settled':
      return out(true, decision.detail);
    case 'wait':
      return out(false, decision.detail);
    case 'modify':
    case 'reboot':
      try {
        await rds.send(
          decision.kind === 'modify'
            ? new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DBParameterGroupName: decision.parameterGroup, ApplyImmediately: true })
            : new RebootDBInstanceCommand({ DBInstanceIdentifier: id }),
        );
      } catch (err) {
        // Busy (e.g. a backup started meanwhile): the next call decides again.
        if (BUSY.has(awsErrorName(err))) return out(false, `${decision.detail}: ${awsErrorName(err)}, trying again on the next check`);
        throw toFailoverError(err, `${decision.kind === 'modify' ? 'ModifyDBInstance' : 'RebootDBInstance'} ${id}`);
      }
      logger.info('rebuilt replica settling', { replica, step: decision.kind, detail: decision.detail });
      return out(false, decision.detail);
  }
}
