/**
 * RDS, part 4: snapshots, automated backups and deletion (CreateDBSnapshot, DescribeDBSnapshots,
 * DescribeDBInstanceAutomatedBackups, DeleteDBInstance with its final-snapshot rules).
 */
import { awsError } from '../errors.js';
import { arn, supportOnly, type CallCtx } from './base.js';
import type { AutomatedBackup, DbInstance, Snapshot } from './rds-model.js';
import { NOT_AVAILABLE, badState, key } from './rds-state.js';
import { RdsClusters } from './rds-clusters.js';

export abstract class RdsBackups extends RdsClusters {
  protected takeSnapshot(inst: DbInstance, snapId: string, type: 'manual' | 'automated'): Snapshot {
    const k = key(inst.region, snapId);
    if (this.snapshots.has(k))
      throw awsError('rds', 'DBSnapshotAlreadyExistsFault', `Cannot create the snapshot because a snapshot with the identifier ${snapId} already exists.`);
    const snap: Snapshot = {
      id: snapId,
      region: inst.region,
      instanceId: inst.id,
      dbiResourceId: inst.dbiResourceId,
      engine: inst.engine,
      engineVersion: inst.engineVersion,
      type,
      status: 'creating',
      createdAt: this.world.clock.now(),
      port: inst.port,
      allocatedStorage: inst.allocatedStorage,
      masterUsername: inst.masterUsername,
    };
    this.snapshots.set(k, snap);
    return snap;
  }

  protected snapshotShape(s: Snapshot) {
    return {
      DBSnapshotIdentifier: s.id,
      DBInstanceIdentifier: s.instanceId,
      SnapshotCreateTime: new Date(s.createdAt),
      Engine: s.engine,
      EngineVersion: s.engineVersion,
      AllocatedStorage: s.allocatedStorage,
      Status: s.status,
      Port: s.port,
      MasterUsername: s.masterUsername,
      SnapshotType: s.type,
      DBSnapshotArn: arn.snapshot(s.region, s.id),
      DbiResourceId: s.dbiResourceId,
      PercentProgress: s.status === 'available' ? 100 : 0,
    };
  }

  createDBSnapshot(input: { DBSnapshotIdentifier?: string; DBInstanceIdentifier?: string; Tags?: unknown }, ctx: CallCtx) {
    supportOnly('rds', 'CreateDBSnapshot', input, ['DBSnapshotIdentifier', 'DBInstanceIdentifier', 'Tags']);
    if (!input.DBSnapshotIdentifier) throw awsError('rds', 'MissingParameter', 'The request must contain the parameter DBSnapshotIdentifier');
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (this.snapshots.has(key(inst.region, input.DBSnapshotIdentifier))) {
      throw awsError(
        'rds',
        'DBSnapshotAlreadyExistsFault',
        `Cannot create the snapshot because a snapshot with the identifier ${input.DBSnapshotIdentifier} already exists.`,
      );
    }
    if (!['available', 'storage-optimization'].includes(inst.status)) throw badState(NOT_AVAILABLE);
    const snap = this.takeSnapshot(inst, input.DBSnapshotIdentifier, 'manual');
    const wasAvailable = inst.status === 'available';
    if (wasAvailable) this.setStatus(inst, 'backing-up');
    const done = this.draw('snapshot', 120, 300);
    this.world.clock.schedule(
      done,
      () => {
        snap.status = 'available';
        if (this.instances.get(key(inst.region, inst.id)) === inst && this.effectiveStatus(inst) === 'backing-up') this.setStatus(inst, 'available');
      },
      `rds snapshot ${snap.id} available`,
    );
    return { DBSnapshot: this.snapshotShape(snap) };
  }

  deleteDBInstance(
    input: { DBInstanceIdentifier?: string; SkipFinalSnapshot?: boolean; FinalDBSnapshotIdentifier?: string; DeleteAutomatedBackups?: boolean },
    ctx: CallCtx,
  ) {
    supportOnly('rds', 'DeleteDBInstance', input, ['DBInstanceIdentifier', 'SkipFinalSnapshot', 'FinalDBSnapshotIdentifier', 'DeleteAutomatedBackups']);
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (inst.deletionProtection)
      throw awsError('rds', 'InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
    const skip = input.SkipFinalSnapshot === true;
    const finalId = input.FinalDBSnapshotIdentifier;
    if (inst.source && finalId)
      throw awsError('rds', 'InvalidParameterCombination', 'FinalDBSnapshotIdentifier can not be specified when deleting a replica instance');
    if (skip && finalId) throw awsError('rds', 'InvalidParameterCombination', 'Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.');
    if (!skip && !finalId && !inst.source)
      throw awsError('rds', 'InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
    if (['failed', 'incompatible-restore', 'incompatible-network'].includes(inst.status) && !skip) {
      throw badState(`Cannot take a final snapshot of DB instance ${inst.id} in status ${inst.status}; specify SkipFinalSnapshot.`);
    }
    if (inst.status === 'deleting') throw badState(`DB instance ${inst.id} is already being deleted.`);
    const snap = finalId ? this.takeSnapshot(inst, finalId, 'manual') : undefined;
    inst.gen++;
    inst.crashed = false;
    inst.status = 'deleting';
    inst.liveAddress = undefined;
    this.world.network.dropSessions(inst, 'delete');
    const keepBackups = input.DeleteAutomatedBackups === false;
    const snapDone = snap ? this.draw('snapshot', 120, 300) : 0;
    const gone = snapDone + this.draw('delete', 60, 240);
    const response = { DBInstance: this.shape(inst) };
    if (snap) this.world.clock.schedule(snapDone, () => (snap.status = 'available'), `rds final snapshot ${snap.id}`);
    this.world.clock.schedule(gone, () => this.remove(inst, keepBackups, snap?.id), `rds ${inst.id} deleted`);
    return response;
  }

  protected remove(inst: DbInstance, keepBackups: boolean, finalSnapshot: string | undefined): void {
    if (this.instances.get(key(inst.region, inst.id)) !== inst) return;
    this.detach(inst);
    this.instances.delete(key(inst.region, inst.id));
    for (const b of this.backups.filter((x) => x.dbiResourceId === inst.dbiResourceId)) {
      if (keepBackups) {
        b.status = 'retained';
        b.latest = this.world.clock.now();
      } else this.backups.splice(this.backups.indexOf(b), 1);
    }
    this.deletions.push({
      instanceId: inst.id,
      resourceId: inst.dbiResourceId,
      region: inst.region,
      t: this.world.clock.now(),
      finalSnapshot,
      retainedAutomatedBackups: keepBackups,
    });
    this.world.log('cloud', `instance ${inst.id} deleted`, { instanceId: inst.id, region: inst.region, finalSnapshot: finalSnapshot ?? null });
    // Replicas of a deleted source: same-Region ones are promoted; cross-Region MySQL/MariaDB/Oracle
    // are promoted, cross-Region PostgreSQL goes to `terminated` (docs/aws-behaviour.md §1).
    for (const r of [...inst.replicas]) {
      const rep = this.instances.get(key(r.region, r.id));
      if (!rep) continue;
      if (rep.region !== inst.region && rep.engine.includes('postgres')) {
        rep.replication = 'terminated';
      } else {
        const upTo = this.replicaDataUpTo(rep);
        this.promotions.push({
          instanceId: rep.id,
          region: rep.region,
          resourceId: rep.dbiResourceId,
          sourceId: inst.id,
          sourceResourceId: inst.dbiResourceId,
          startedAt: this.world.clock.now(),
          completedAt: this.world.clock.now(),
          dataUpToMs: upTo,
        });
        this.world.network.inheritData(rep, inst, upTo);
        this.detach(rep);
      }
    }
  }

  describeDBSnapshots(input: { DBInstanceIdentifier?: string; DBSnapshotIdentifier?: string; SnapshotType?: string; MaxRecords?: number }, ctx: CallCtx) {
    supportOnly('rds', 'DescribeDBSnapshots', input, ['DBInstanceIdentifier', 'DBSnapshotIdentifier', 'SnapshotType', 'MaxRecords']);
    let list = [...this.snapshots.values()].filter((s) => s.region === ctx.region);
    if (input.DBSnapshotIdentifier) {
      list = list.filter((s) => s.id === input.DBSnapshotIdentifier);
      if (list.length === 0) throw awsError('rds', 'DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`);
    }
    if (input.DBInstanceIdentifier) list = list.filter((s) => s.instanceId === input.DBInstanceIdentifier!.toLowerCase());
    if (input.SnapshotType) list = list.filter((s) => s.type === input.SnapshotType);
    return { DBSnapshots: list.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).map((s) => this.snapshotShape(s)) };
  }

  /** A replicated backup's latest restorable time: 5 minutes before the source's last accepted write (or now). */
  protected replicatedLatest(b: AutomatedBackup, now: number): number {
    const last = this.world.network.writes
      .filter((w) => w.target === b.instanceId && w.region === b.replicatedFrom && w.at <= now)
      .reduce((m, w) => Math.max(m, w.at), Number.NEGATIVE_INFINITY);
    return Math.min(now, Number.isFinite(last) ? last : now) - 5 * 60_000;
  }

  describeDBInstanceAutomatedBackups(input: { DBInstanceIdentifier?: string; DbiResourceId?: string }, ctx: CallCtx) {
    supportOnly('rds', 'DescribeDBInstanceAutomatedBackups', input, ['DBInstanceIdentifier', 'DbiResourceId', 'MaxRecords']);
    const now = this.world.clock.now();
    const list = this.backups.filter(
      (b) =>
        b.region === ctx.region &&
        (!input.DBInstanceIdentifier || b.instanceId === input.DBInstanceIdentifier.toLowerCase()) &&
        (!input.DbiResourceId || b.dbiResourceId === input.DbiResourceId),
    );
    return {
      DBInstanceAutomatedBackups: list.map((b) => {
        const inst = [...this.instances.values()].find((i) => i.dbiResourceId === b.dbiResourceId);
        // Transaction logs upload every 5 minutes, so LatestRestorableTime lags (docs/aws-behaviour.md §1).
        const latest =
          b.latest ?? (b.replicatedFrom ? this.replicatedLatest(b, now) : inst?.crashed ? Math.min(now, this.world.clock.now()) : now - 5 * 60_000);
        return {
          DBInstanceArn: arn.db(b.region, b.instanceId),
          DbiResourceId: b.dbiResourceId,
          Region: b.region,
          DBInstanceIdentifier: b.instanceId,
          RestoreWindow: { EarliestTime: new Date(b.earliest), LatestTime: new Date(Math.max(b.earliest, latest)) },
          Status: b.status,
          Engine: b.engine,
          Port: b.port,
          BackupRetentionPeriod: b.retention,
          DBInstanceAutomatedBackupsArn: `arn:aws:rds:${b.region}:${this.world.accountId}:auto-backup:ab-${b.dbiResourceId.slice(3).toLowerCase()}`,
        };
      }),
    };
  }

  // ------------------------------------------------------------------ Aurora
}
