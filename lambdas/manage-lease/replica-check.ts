/**
 * Whether the site the record calls "no standby" is one in the world: a read replica of the
 * current writer, available. The record (`standbyNotReadySince`) is cleared by the failback when it
 * has rebuilt the former writer as a replica and recorded it; a failback that rebuilt it and then
 * stopped before recording (an escalation, a crash) leaves a replica the record does not know.
 * RDS is asked (DescribeDBInstances of the other site, in its Region): a replica whose source is the
 * current writer is a standby whatever the record says. Instances only (an Aurora cluster rejoins
 * its global cluster by the global failover itself); any error, or a Region that does not answer,
 * leaves the record's answer.
 */
import type { DatabaseConfig } from '../shared/config-schema.js';
import { awsErrorName } from '../shared/aws-errors.js';
import { regional } from '../shared/clients.js';
import { isAurora } from '../shared/config-values.js';
import { lazy } from '../shared/lazy.js';
import { logger } from '../shared/logger.js';

// Only read when the record says no standby (after a failover, until the failback records one).
const rdsSdk = lazy(() => import('@aws-sdk/client-rds'));

/** `arn:aws:rds:<region>:<account>:db:<id>` or a bare id: the instance id. */
const instanceIdOf = (source: string): string => source.split(':db:').pop() ?? source;

/** The statuses in which a replica can be promoted (RDS answers PromoteReadReplica). */
const PROMOTABLE = new Set(['available', 'storage-optimization', 'backing-up', 'modifying', 'configuring-enhanced-monitoring']);

export interface ReplicaFound {
  replica: string;
  source: string;
  status: string;
}

/** The other site as a replica of the writer, or undefined (not one, not found, not readable). */
export async function replicaOfWriter(current: DatabaseConfig): Promise<ReplicaFound | undefined> {
  if (isAurora(current.engine)) return undefined;
  const writer = current.primary.instanceId;
  const other = current.standby.instanceId;
  if (!writer || !other) return undefined;
  try {
    const { RDSClient, DescribeDBInstancesCommand } = await rdsSdk();
    const rds = regional(RDSClient, current.standby.region);
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: other }));
    const instance = out.DBInstances?.[0];
    const source = instance?.ReadReplicaSourceDBInstanceIdentifier;
    const status = instance?.DBInstanceStatus ?? '';
    if (!source || instanceIdOf(source) !== writer || !PROMOTABLE.has(status)) return undefined;
    const replication = instance?.StatusInfos?.find((s) => s.StatusType === 'read replication')?.Status;
    if (replication && replication !== 'replicating') return undefined;
    return { replica: other, source: writer, status };
  } catch (err) {
    logger.warn('the other site could not be described: the record stands', { instanceId: other, region: current.standby.region, error: awsErrorName(err) });
    return undefined;
  }
}
