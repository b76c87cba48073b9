/**
 * preserve-old-primary: snapshots, renames and stops the old instance of one site, one step per
 * call (the workflow calls again until `done`), so its identifier is free for the rebuilt replica
 * and nothing is ever deleted. Idempotent: each call decides from what RDS shows now.
 *
 * Env: none beyond AWS_REGION. Clients: RDS in the site's Region (explicit).
 */
import {
  CreateDBSnapshotCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { awsErrorName, toFailoverError } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { isAurora } from '../shared/config-values.js';
import { preserveInput, preserveOutput } from '../shared/contracts.js';
import { defineHandler } from '../shared/handler.js';
import { FailbackStepFailedError, InvalidInputError, ResourceBusyError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { preFailbackSnapshotId, preservedInstanceId } from '../shared/names.js';
import { otherRole } from '../shared/roles.js';
import { decidePreservation, type InstanceFacts, type SnapshotFacts } from './core.js';

const INSTANCE_NOT_FOUND = new Set(['DBInstanceNotFoundFault', 'DBInstanceNotFound']);
const SNAPSHOT_NOT_FOUND = new Set(['DBSnapshotNotFoundFault', 'DBSnapshotNotFound']);
const BUSY = new Set(['InvalidDBInstanceStateFault', 'InvalidDBInstanceState']);

async function describe(rds: RDSClient, id: string): Promise<InstanceFacts> {
  try {
    const found = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    if (!found) return { found: false };
    return { found: true, status: found.DBInstanceStatus ?? 'unknown', source: found.ReadReplicaSourceDBInstanceIdentifier || undefined };
  } catch (err) {
    if (INSTANCE_NOT_FOUND.has(awsErrorName(err))) return { found: false };
    throw toFailoverError(err, `DescribeDBInstances ${id}`);
  }
}

async function describeSnapshot(rds: RDSClient, id: string): Promise<SnapshotFacts> {
  try {
    const found = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0];
    return found ? { found: true, status: found.Status ?? 'unknown' } : { found: false };
  } catch (err) {
    if (SNAPSHOT_NOT_FOUND.has(awsErrorName(err))) return { found: false };
    throw toFailoverError(err, `DescribeDBSnapshots ${id}`);
  }
}

/** Busy (mid-change) is retried by the workflow; everything else as classified. */
const callError = (err: unknown, operation: string) =>
  BUSY.has(awsErrorName(err)) ? new ResourceBusyError(`${operation}: ${awsErrorName(err)}`, { operation }, { cause: err }) : toFailoverError(err, operation);

export const handler = defineHandler('preserve-old-primary', { input: preserveInput, output: preserveOutput }, async (input) => {
  const db = input.database;
  if (isAurora(db.engine))
    throw new InvalidInputError('preserve-old-primary: Aurora global databases are not rebuilt (the old primary rejoins as a secondary)');
  const site = db[input.site];
  const other = db[otherRole(input.site)];
  if (!site.instanceId || !other.instanceId) throw new InvalidInputError('preserve-old-primary: both sites need an instanceId');
  const siteId = site.instanceId;
  const snapshotId = preFailbackSnapshotId(siteId, input.epoch);
  const preservedId = preservedInstanceId(siteId, input.epoch);
  const rds = regional(RDSClient, site.region);

  const preserved = await describe(rds, preservedId);
  const original = preserved.found ? { found: false } : await describe(rds, siteId);
  const snapshot = preserved.found ? { found: true, status: 'available' } : await describeSnapshot(rds, snapshotId);
  const decision = decidePreservation({
    siteId,
    preservedId,
    snapshotId,
    original,
    preserved,
    snapshot,
    otherSite: { region: other.region, id: other.instanceId },
  });
  const base = { snapshotId, preservedId, status: (preserved.found ? preserved.status : original.status) ?? null };
  logger.info('preserve-old-primary', { database: db.name, incidentId: input.incidentId, epoch: input.epoch, site: input.site, decision });
  switch (decision.kind) {
    case 'fail':
      throw new FailbackStepFailedError(decision.detail, { site: siteId, preservedId, snapshotId });
    case 'done':
      return { done: true, action: 'none', detail: decision.detail, ...base };
    case 'wait':
      return { done: false, action: 'none', detail: decision.detail, ...base };
    case 'call':
      break;
  }
  try {
    if (decision.action === 'CreateDBSnapshot') {
      await rds.send(new CreateDBSnapshotCommand({ DBInstanceIdentifier: siteId, DBSnapshotIdentifier: snapshotId }));
    } else if (decision.action === 'ModifyDBInstance') {
      await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: siteId, NewDBInstanceIdentifier: preservedId, ApplyImmediately: true }));
    } else {
      await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: preservedId }));
    }
  } catch (err) {
    // A snapshot of this name is ours (an earlier call made it): wait for it.
    if (decision.action === 'CreateDBSnapshot' && ['DBSnapshotAlreadyExistsFault', 'DBSnapshotAlreadyExists'].includes(awsErrorName(err))) {
      return { done: false, action: 'none', detail: `snapshot ${snapshotId} already exists`, ...base };
    }
    throw callError(err, `${decision.action} ${decision.action === 'StopDBInstance' ? preservedId : siteId}`);
  }
  return { done: false, action: decision.action, detail: decision.detail, ...base };
});
