/**
 * Preserving an old primary before its identifier is reused (safety rule 6: never destroy data).
 * One step per call, decided from what RDS shows now, so every call is idempotent and a crashed
 * run simply calls again:
 *   1. snapshot it (`<id>-pre-failback-<epoch>`) and wait until the snapshot is available;
 *   2. rename it to `<id>-old-<epoch>` (it reboots; its old endpoint disappears at once);
 *   3. stop it. It is kept, never deleted (RDS starts a stopped instance again after 7 days: it
 *      then answers only at its renamed endpoint).
 * An instance at the original identifier that is already a replica of the other site is the
 * rebuilt replica of an earlier run: nothing to preserve.
 */

/** What DescribeDBInstances said about an identifier. */
export interface InstanceFacts {
  found: boolean;
  status?: string;
  /** ReadReplicaSourceDBInstanceIdentifier (id, or ARN for cross-Region). */
  source?: string;
}

/** What DescribeDBSnapshots said about the pre-failback snapshot. */
export interface SnapshotFacts {
  found: boolean;
  status?: string;
}

export interface PreserveFacts {
  siteId: string;
  preservedId: string;
  snapshotId: string;
  original: InstanceFacts;
  preserved: InstanceFacts;
  snapshot: SnapshotFacts;
  /** The other site (the source of a rebuilt replica). */
  otherSite: { region: string; id: string };
}

/** Whether a replica's source (an id, or an ARN for cross-Region replicas) is this instance. */
export function isSourceOf(source: string, instance: { region: string; id: string }): boolean {
  if (source === instance.id) return true;
  const arn = /^arn:[a-z-]+:rds:([a-z0-9-]+):\d{12}:db:(.+)$/.exec(source);
  return arn !== null && arn[1] === instance.region && arn[2] === instance.id;
}

export type PreserveDecision =
  | { kind: 'call'; action: 'CreateDBSnapshot' | 'ModifyDBInstance' | 'StopDBInstance'; detail: string }
  | { kind: 'wait'; detail: string }
  | { kind: 'done'; detail: string }
  | { kind: 'fail'; detail: string };

/** States in which an instance can be snapshotted, renamed or stopped. */
const WORKABLE = new Set(['available', 'storage-optimization']);
/** States that end by themselves (the instance is mid-change). */
const TRANSITIONAL = new Set([
  'backing-up',
  'creating',
  'modifying',
  'rebooting',
  'renaming',
  'starting',
  'stopping',
  'maintenance',
  'upgrading',
  'resetting-master-credentials',
  'converting-to-vpc',
  'moving-to-vpc',
]);
const isTransitional = (status: string): boolean => TRANSITIONAL.has(status) || status.startsWith('configuring-');
/** States in which an instance serves nobody and cannot be stopped: kept as it is. */
const DOWN = (status: string): boolean =>
  ['failed', 'storage-full', 'restore-error', 'insufficient-capacity'].includes(status) ||
  status.startsWith('incompatible-') ||
  status.startsWith('inaccessible-');

/** The next step of the preservation. */
export function decidePreservation(f: PreserveFacts): PreserveDecision {
  if (f.preserved.found) {
    const status = f.preserved.status ?? 'unknown';
    if (status === 'stopped') return { kind: 'done', detail: `${f.preservedId} is stopped and kept (snapshot ${f.snapshotId})` };
    if (WORKABLE.has(status)) return { kind: 'call', action: 'StopDBInstance', detail: `stopping ${f.preservedId} (kept, never deleted)` };
    if (status === 'deleting' || status === 'delete-precheck')
      return { kind: 'fail', detail: `${f.preservedId} is being deleted by someone else: the failback never deletes a preserved instance` };
    if (DOWN(status))
      return { kind: 'done', detail: `${f.preservedId} is ${status}: it cannot be stopped but serves nothing; kept as it is (snapshot ${f.snapshotId})` };
    return { kind: 'wait', detail: `${f.preservedId} is ${status}` };
  }
  if (!f.original.found) {
    return {
      kind: 'done',
      detail: `neither ${f.siteId} nor ${f.preservedId} exists: there is nothing to preserve${f.snapshot.found ? ` (snapshot ${f.snapshotId} exists)` : ''}`,
    };
  }
  const status = f.original.status ?? 'unknown';
  if (f.original.source) {
    return isSourceOf(f.original.source, f.otherSite)
      ? { kind: 'done', detail: `${f.siteId} is already a replica of ${f.original.source} (rebuilt earlier): nothing to preserve` }
      : { kind: 'fail', detail: `${f.siteId} is a replica of ${f.original.source}, not of the current primary: an operator must look at it` };
  }
  const stuck = (what: string): PreserveDecision => ({
    kind: 'fail',
    detail: `${f.siteId} is ${status}: it cannot be ${what} now; make it available (start it) or preserve it by hand, then redrive the failback`,
  });
  if (!f.snapshot.found) {
    if (WORKABLE.has(status)) return { kind: 'call', action: 'CreateDBSnapshot', detail: `snapshotting ${f.siteId} as ${f.snapshotId} before touching it` };
    return isTransitional(status) ? { kind: 'wait', detail: `${f.siteId} is ${status}: the snapshot must wait` } : stuck('snapshotted');
  }
  const snapshot = f.snapshot.status ?? 'unknown';
  if (snapshot === 'failed' || snapshot === 'error')
    return { kind: 'fail', detail: `snapshot ${f.snapshotId} is ${snapshot}: the old primary is not renamed without a retained copy` };
  if (snapshot !== 'available') return { kind: 'wait', detail: `snapshot ${f.snapshotId} is ${snapshot}` };
  if (WORKABLE.has(status))
    return { kind: 'call', action: 'ModifyDBInstance', detail: `renaming ${f.siteId} to ${f.preservedId} (snapshot ${f.snapshotId} is available)` };
  return isTransitional(status) ? { kind: 'wait', detail: `${f.siteId} is ${status}: the rename must wait` } : stuck('renamed');
}
