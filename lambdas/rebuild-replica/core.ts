/**
 * Rebuilding a site as a cross-Region read replica of the other site (the current primary), under
 * the site's configured identifier. The replica takes the current primary's class and the network
 * settings of the old instance it replaces (subnet group, security groups, parameter group,
 * Multi-AZ, port, deletion protection, KMS key in its Region; storage type and public access take
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

export type RebuildDecision = { kind: 'create'; detail: string } | { kind: 'done'; detail: string } | { kind: 'busy'; detail: string } | { kind: 'fail'; detail: string };

/** Source states in which a replica can be created now, or will be after waiting. */
const SOURCE_BUSY = new Set(['backing-up', 'modifying', 'rebooting', 'configuring-enhanced-monitoring', 'configuring-log-exports', 'storage-optimization']);

/** Create, done (the replica exists already), busy (try later) or fail. */
export function decideRebuild(siteId: string, existing: ExistingFacts, source: SourceFacts): RebuildDecision {
  if (existing.found) {
    if (existing.source && isSourceOf(existing.source, source)) return { kind: 'done', detail: `${siteId} already exists as a replica of ${source.id} (${existing.status ?? 'unknown'})` };
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
    return { ok: false, detail: `the current primary ${source.id} is encrypted and no KMS key of the replica's Region is known (the preserved instance is missing): create the replica by hand` };
  }
  if (!preserved) notes.push('no preserved instance to copy the network settings from: the replica gets the Region defaults (default subnet group)');
  const securityGroups = siteSecurityGroups?.length ? [...siteSecurityGroups] : preserved?.securityGroupIds;
  const params: Record<string, unknown> = {
    DBInstanceIdentifier: siteId,
    SourceDBInstanceIdentifier: source.arn,
    ...(source.instanceClass ? { DBInstanceClass: source.instanceClass } : {}),
    ...(securityGroups?.length ? { VpcSecurityGroupIds: securityGroups } : {}),
    ...(preserved?.subnetGroup ? { DBSubnetGroupName: preserved.subnetGroup } : {}),
    ...(preserved?.parameterGroup ? { DBParameterGroupName: preserved.parameterGroup } : {}),
    ...(preserved?.multiAz !== undefined ? { MultiAZ: preserved.multiAz } : {}),
    ...(source.encrypted && preserved?.kmsKeyId ? { KmsKeyId: preserved.kmsKeyId } : {}),
    ...(preserved?.port !== undefined ? { Port: preserved.port } : {}),
    ...(preserved?.deletionProtection !== undefined ? { DeletionProtection: preserved.deletionProtection } : {}),
  };
  return { ok: true, params, notes };
}
