/**
 * Rebuilding a site as a cross-Region read replica of the other site (the current primary), under
 * the site's configured identifier. The replica takes the current primary's class and the network
 * settings of the old instance it replaces (subnet group, security groups, parameter group (at
 * creation for MySQL, afterwards for PostgreSQL: {@link decideParameterGroup}), Multi-AZ, port, deletion protection, KMS key in its Region; storage type and public access take
 * the replica defaults: private, the source's storage), read from the preserved instance `<id>-old-<epoch>`; the
 * site's configured security groups win.
 */
import { isSourceOf } from '../preserve-old-primary/core.js';

/** What the create needs to know about the current primary (the replica's source). */
export interface SourceFacts {
  region: string;
  id: string;
  arn: string;
  status: string;
  instanceClass?: string;
  encrypted: boolean;
  /** The engine (RDS `Engine`), e.g. postgres. */
  engine?: string;
}

/** The preserved old instance's settings, copied to the replica. */
export interface PreservedSettings {
  subnetGroup?: string;
  securityGroupIds?: string[];
  parameterGroup?: string;
  multiAz?: boolean;
  kmsKeyId?: string;
  port?: number;
  deletionProtection?: boolean;
}

/** What is at the site's identifier now. */
export interface ExistingFacts {
  found: boolean;
  status?: string;
  source?: string;
}

export type RebuildDecision =
  { kind: 'create'; detail: string } | { kind: 'done'; detail: string } | { kind: 'busy'; detail: string } | { kind: 'fail'; detail: string };

/** Source states in which a replica can be created now, or will be after waiting. */
const SOURCE_BUSY = new Set(['backing-up', 'modifying', 'rebooting', 'configuring-enhanced-monitoring', 'configuring-log-exports', 'storage-optimization']);

/** Create, done (the replica exists already), busy (try later) or fail. */
export function decideRebuild(siteId: string, existing: ExistingFacts, source: SourceFacts): RebuildDecision {
  if (existing.found) {
    if (existing.source && isSourceOf(existing.source, source))
      return { kind: 'done', detail: `${siteId} already exists as a replica of ${source.id} (${existing.status ?? 'unknown'})` };
    return {
      kind: 'fail',
      detail: existing.source
        ? `${siteId} exists as a replica of ${existing.source}, not of the current primary ${source.id}`
        : `${siteId} exists and is not a replica (${existing.status ?? 'unknown'}): the old primary must be preserved (renamed) first`,
    };
  }
  if (source.status === 'available') return { kind: 'create', detail: `creating ${siteId} as a cross-Region replica of ${source.arn}` };
  if (SOURCE_BUSY.has(source.status)) return { kind: 'busy', detail: `the current primary ${source.id} is ${source.status}: the replica must wait` };
  return { kind: 'fail', detail: `the current primary ${source.id} is ${source.status}: no replica can be made from it` };
}

/** CreateDBInstanceReadReplica parameters (called in the replica's Region), or why not. */
export function replicaParameters(
  siteId: string,
  siteSecurityGroups: readonly string[] | undefined,
  source: SourceFacts,
  preserved: PreservedSettings | undefined,
): { ok: true; params: Record<string, unknown>; notes: string[] } | { ok: false; detail: string } {
  const notes: string[] = [];
  if (source.encrypted && !preserved?.kmsKeyId) {
    return {
      ok: false,
      detail: `the current primary ${source.id} is encrypted and no KMS key of the replica's Region is known (the preserved instance is missing): create the replica by hand`,
    };
  }
  if (!preserved) notes.push('no preserved instance to copy the network settings from: the replica gets the Region defaults (default subnet group)');
  const securityGroups = siteSecurityGroups?.length ? [...siteSecurityGroups] : preserved?.securityGroupIds;
  const params: Record<string, unknown> = {
    DBInstanceIdentifier: siteId,
    SourceDBInstanceIdentifier: source.arn,
    ...(source.instanceClass ? { DBInstanceClass: source.instanceClass } : {}),
    ...(securityGroups?.length ? { VpcSecurityGroupIds: securityGroups } : {}),
    ...(preserved?.subnetGroup ? { DBSubnetGroupName: preserved.subnetGroup } : {}),
    // Only a MySQL cross-Region replica may name its parameter group at creation; PostgreSQL is
    // refused (InvalidParameterCombination): the settle step applies it afterwards
    // (docs/aws-behaviour.md, "Parameter groups of read replicas").
    ...(preserved?.parameterGroup && source.engine === 'mysql' ? { DBParameterGroupName: preserved.parameterGroup } : {}),
    ...(preserved?.multiAz !== undefined ? { MultiAZ: preserved.multiAz } : {}),
    ...(source.encrypted && preserved?.kmsKeyId ? { KmsKeyId: preserved.kmsKeyId } : {}),
    ...(preserved?.port !== undefined ? { Port: preserved.port } : {}),
    ...(preserved?.deletionProtection !== undefined ? { DeletionProtection: preserved.deletionProtection } : {}),
  };
  return { ok: true, params, notes };
}

/** The rebuilt replica as DescribeDBInstances shows it (the fields the settle step reads). */
export interface ReplicaFacts {
  found: boolean;
  status?: string;
  parameterGroup?: string;
  /** in-sync, applying, pending-reboot. */
  parameterApplyStatus?: string;
}

export type SettleDecision =
  | { kind: 'settled'; detail: string }
  | { kind: 'wait'; detail: string }
  | { kind: 'modify'; parameterGroup: string; detail: string }
  | { kind: 'reboot'; detail: string }
  | { kind: 'fail'; detail: string };

/**
 * The next step to give the rebuilt replica the preserved instance's parameter group: wait until
 * it is available, associate the group (ModifyDBInstance), wait while it is applied, reboot when
 * it is pending a reboot, done when in sync. Decided from what is there on each call, so a retried
 * or redriven call repeats nothing (docs/aws-behaviour.md, "Parameter groups of read replicas").
 */
export function decideParameterGroup(siteId: string, replica: ReplicaFacts, wanted: string | undefined): SettleDecision {
  if (!replica.found) return { kind: 'fail', detail: `the rebuilt replica ${siteId} does not exist` };
  if (replica.status !== 'available') return { kind: 'wait', detail: `${siteId} is ${replica.status ?? 'unknown'}: waiting until it is available` };
  if (!wanted) return { kind: 'settled', detail: `${siteId} is available (no parameter group to carry over from the preserved instance)` };
  if (replica.parameterGroup !== wanted)
    return { kind: 'modify', parameterGroup: wanted, detail: `giving ${siteId} the parameter group ${wanted} (it has ${replica.parameterGroup ?? 'none'})` };
  if (replica.parameterApplyStatus === 'pending-reboot') return { kind: 'reboot', detail: `rebooting ${siteId} to apply the parameter group ${wanted}` };
  if (replica.parameterApplyStatus && replica.parameterApplyStatus !== 'in-sync')
    return { kind: 'wait', detail: `${siteId}: parameter group ${wanted} is ${replica.parameterApplyStatus}` };
  return { kind: 'settled', detail: `${siteId} is available with its parameter group ${wanted} in sync` };
}
