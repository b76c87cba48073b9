/**
 * RDS: DB instances (PostgreSQL/MySQL, primaries and read replicas, same- and cross-Region),
 * snapshots, automated backups, Aurora clusters and global clusters. Every asynchronous change
 * runs on the virtual clock with durations drawn from the seeded RNG within the ranges of
 * docs/design.md "Timing model" and docs/aws-behaviour.md §1. Emits "RDS DB Instance Event"s into EventBridge and publishes
 * AWS/RDS ReplicaLag (and, for PostgreSQL sources, OldestReplicationSlotLag) every 60 s.
 */
import { TwinUnsupportedError, awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import { arn, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';
import { DEFAULT_TWIN_VPC } from './ec2.js';
import {
  PROMOTION_BACKUP_SECONDS_PER_GIB,
  PROMOTION_BACKUP_SLOWDOWN_PER_WRITE_PER_SECOND,
  defaultParameterGroup,
  instanceEndpoint,
  replicaMayNameParameterGroup,
  type DbInstance,
  type InstanceSpec,
  type PromotionRecord,
} from './rds-model.js';
import { NOT_AVAILABLE, badState, key, notFound, type RdsWorld } from './rds-state.js';
import { RdsBackups } from './rds-backups.js';

export * from './rds-model.js';
export type { RdsWorld } from './rds-state.js';

/**
 * The RDS service model, behind one facade: this class answers the SDK and the setup API. Its
 * parts, each a layer the next one extends: rds-state.ts (state and shared helpers),
 * rds-replication.ts (crash, lag, metrics), rds-clusters.ts (Aurora), rds-backups.ts (snapshots,
 * backups, deletion); here, the instance commands (create, describe, promote, modify, reboot,
 * stop, start, read replicas) and IAM authorization. Types and constants: rds-model.ts.
 */
export class RdsService extends RdsBackups implements ServiceModel {
  readonly key = 'rds' as const;
  constructor(world: RdsWorld) {
    super(world);
    // AWS/RDS metrics in 1-minute periods, published mid-minute (docs/aws-behaviour.md §1 "Replication metrics").
    const first = Math.floor(world.clock.now() / 60_000) * 60_000 + 30_000;
    world.clock.every(60_000, first, () => this.publishMetrics(), 'rds metrics');
  }

  readonly operations: Record<string, OpHandler> = {
    DescribeDBInstances: (i, c) => this.describeDBInstances(i, c),
    PromoteReadReplica: (i, c) => this.promoteReadReplica(i, c),
    ModifyDBInstance: (i, c) => this.modifyDBInstance(i, c),
    RebootDBInstance: (i, c) => this.rebootDBInstance(i, c),
    StopDBInstance: (i, c) => this.stopDBInstance(i, c),
    StartDBInstance: (i, c) => this.startDBInstance(i, c),
    CreateDBInstanceReadReplica: (i, c) => this.createDBInstanceReadReplica(i, c),
    CreateDBSnapshot: (i, c) => this.createDBSnapshot(i, c),
    DeleteDBInstance: (i, c) => this.deleteDBInstance(i, c),
    DescribeDBSnapshots: (i, c) => this.describeDBSnapshots(i, c),
    DescribeDBInstanceAutomatedBackups: (i, c) => this.describeDBInstanceAutomatedBackups(i, c),
    DescribeDBClusters: (i, c) => this.describeDBClusters(i, c),
    DescribeGlobalClusters: (i, c) => this.describeGlobalClusters(i, c),
    FailoverGlobalCluster: (i, c) => this.failoverGlobalCluster(i, c),
    SwitchoverGlobalCluster: (i, c) => this.switchoverGlobalCluster(i, c),
    FailoverDBCluster: (i, c) => this.failoverDBCluster(i, c),
  };

  authorization(operation: string, input: Record<string, string | undefined>, ctx: CallCtx): Authorization {
    const action = `rds:${operation}`;
    const db = (id: string | undefined) => (id?.startsWith('arn:') ? id : arn.db(ctx.region, id ?? '*'));
    const requested = { 'aws:RequestedRegion': ctx.region };
    switch (operation) {
      case 'DescribeDBInstances':
        return { action, resources: [db(input.DBInstanceIdentifier)], context: requested };
      case 'ModifyDBInstance':
      case 'CreateDBInstanceReadReplica': {
        const resources = [db(input.DBInstanceIdentifier)];
        if (operation === 'CreateDBInstanceReadReplica')
          resources.push(input.SourceDBInstanceIdentifier?.startsWith('arn:') ? input.SourceDBInstanceIdentifier : db(input.SourceDBInstanceIdentifier));
        // Naming a parameter group also needs the action on the group (`pg` resource type).
        if (input.DBParameterGroupName !== undefined) resources.push(`arn:aws:rds:${ctx.region}:${this.world.accountId}:pg:${input.DBParameterGroupName}`);
        return { action, resources, context: requested };
      }
      case 'DescribeDBSnapshots':
        return { action, resources: [arn.snapshot(ctx.region, input.DBSnapshotIdentifier ?? '*')], context: requested };
      case 'DescribeDBInstanceAutomatedBackups':
        // SAR: resource types `auto-backup` and `db`, both optional: the backups are what is listed
        // (a cold standby's replicated backups live in the standby Region under auto-backup ARNs).
        return { action, resources: [`arn:aws:rds:${ctx.region}:${this.world.accountId}:auto-backup:*`], context: requested };
      case 'DescribeDBClusters':
      case 'FailoverDBCluster':
        return {
          action,
          resources: [input.DBClusterIdentifier?.startsWith('arn:') ? input.DBClusterIdentifier : arn.cluster(ctx.region, input.DBClusterIdentifier ?? '*')],
          context: requested,
        };
      case 'DescribeGlobalClusters':
        return { action, resources: [arn.globalCluster(input.GlobalClusterIdentifier ?? '*')], context: requested };
      case 'FailoverGlobalCluster':
      case 'SwitchoverGlobalCluster': {
        const target = input.TargetDbClusterIdentifier ?? '*';
        return {
          action,
          resources: [target.startsWith('arn:') ? target : arn.cluster(ctx.region, target), arn.globalCluster(input.GlobalClusterIdentifier ?? '*')],
          context: requested,
        };
      }
      default:
        // Resource keys of the `db` resource type (SAR): the engine of the instance (or of the Aurora cluster it belongs to).
        return {
          action,
          resources: [db(input.DBInstanceIdentifier)],
          context: { ...requested, ...this.dbResourceKeys(input.DBInstanceIdentifier, ctx.region) },
        };
    }
  }

  /** Creates an instance in its final state (available by default), e.g. the drill topology. */
  createInstance(spec: InstanceSpec): DbInstance {
    const id = spec.id.toLowerCase();
    if (this.instances.has(key(spec.region, id))) throw new Error(`twin: instance ${id} already exists in ${spec.region}`);
    const source = spec.replicaOf ? this.mustGet(spec.replicaOf.id, spec.replicaOf.region) : undefined;
    const engine = spec.engine ?? source?.engine ?? 'postgres';
    const inst: DbInstance = {
      id,
      region: spec.region,
      engine,
      engineVersion: spec.engineVersion ?? source?.engineVersion ?? (engine.includes('postgres') ? '16.4' : '8.0.39'),
      instanceClass: spec.instanceClass ?? source?.instanceClass ?? 'db.r6g.large',
      status: spec.status ?? 'available',
      dbiResourceId: `db-${this.world.rng.stream('rds.ids').chars(26)}`,
      port: spec.port ?? source?.port ?? (engine.includes('postgres') ? 5432 : 3306),
      vpcSecurityGroups: (spec.securityGroupIds ?? []).map((g) => ({ VpcSecurityGroupId: g, Status: 'active' as const })),
      vpcId: spec.vpcId ?? DEFAULT_TWIN_VPC,
      subnetGroupName: `db-subnets-${spec.vpcId ?? DEFAULT_TWIN_VPC}`,
      replicas: [],
      lagSeconds: spec.lagSeconds ?? 0,
      backupRetentionPeriod: spec.backupRetentionPeriod ?? (source ? 0 : 7),
      multiAZ: spec.multiAZ ?? false,
      deletionProtection: spec.deletionProtection ?? false,
      allocatedStorage: spec.allocatedStorage ?? source?.allocatedStorage ?? 100,
      storageType: 'gp3',
      masterUsername: spec.masterUsername ?? source?.masterUsername ?? 'postgres',
      masterPassword: spec.masterPassword ?? source?.masterPassword,
      dbName: spec.dbName ?? source?.dbName,
      createdAt: this.world.clock.now(),
      crashed: false,
      pending: {},
      gen: 0,
      outage: false,
      parameterGroup: '',
      parameterApplyStatus: 'in-sync',
    };
    inst.parameterGroup = spec.parameterGroup ?? source?.parameterGroup ?? defaultParameterGroup(engine, inst.engineVersion);
    inst.liveAddress = inst.status === 'creating' ? undefined : instanceEndpoint(id, spec.region);
    this.world.ec2.declareVpc(spec.region, inst.vpcId);
    if (source) this.attach(inst, source);
    this.lineage.set(inst.dbiResourceId, source?.dbiResourceId);
    this.instances.set(key(spec.region, id), inst);
    if (inst.backupRetentionPeriod > 0) this.ensureBackup(inst);
    this.onConnectivityChange();
    return inst;
  }

  describeDBInstances(
    input: { DBInstanceIdentifier?: string; Filters?: { Name: string; Values: string[] }[]; MaxRecords?: number; Marker?: string },
    ctx: CallCtx,
  ) {
    supportOnly('rds', 'DescribeDBInstances', input, ['DBInstanceIdentifier', 'Filters', 'MaxRecords']);
    if (input.DBInstanceIdentifier) {
      const member = this.clusterOfMember(input.DBInstanceIdentifier, ctx.region);
      if (member) return { DBInstances: [this.memberShape(member, input.DBInstanceIdentifier.toLowerCase())] };
      return { DBInstances: [this.shape(this.find(input.DBInstanceIdentifier, ctx.region))] };
    }
    let list = [...this.instances.values()].filter((i) => i.region === ctx.region);
    for (const f of input.Filters ?? []) {
      if (f.Name === 'db-instance-id') list = list.filter((i) => f.Values.some((v) => v === i.id || v === arn.db(i.region, i.id)));
      else if (f.Name === 'engine') list = list.filter((i) => f.Values.includes(i.engine));
      else throw new TwinUnsupportedError(`twin rds:DescribeDBInstances does not model the filter ${f.Name}`);
    }
    return { DBInstances: list.sort((a, b) => a.id.localeCompare(b.id)).map((i) => this.shape(i)) };
  }

  promoteReadReplica(input: { DBInstanceIdentifier?: string; BackupRetentionPeriod?: number; PreferredBackupWindow?: string }, ctx: CallCtx) {
    supportOnly('rds', 'PromoteReadReplica', input, ['DBInstanceIdentifier', 'BackupRetentionPeriod', 'PreferredBackupWindow']);
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (!inst.source) throw badState('DB Instance is not a read replica.');
    if (inst.status !== 'available') throw badState(NOT_AVAILABLE); // includes backing-up (docs/aws-behaviour.md §1)
    const retention = input.BackupRetentionPeriod;
    if (retention !== undefined && (retention < 0 || retention > 35)) {
      throw awsError('rds', 'InvalidParameterValue', `Invalid backup retention period: ${retention}. Valid values are 0-35.`);
    }
    const now = this.world.clock.now();
    // Replication stops now: the replica keeps what it has applied so far.
    const record: PromotionRecord = {
      instanceId: inst.id,
      region: inst.region,
      resourceId: inst.dbiResourceId,
      sourceId: inst.source.id,
      sourceResourceId: this.instances.get(key(inst.source.region, inst.source.id))?.dbiResourceId,
      startedAt: now,
      dataUpToMs: this.replicaDataUpTo(inst),
    };
    this.promotions.push(record);
    this.setStatus(inst, 'modifying');
    const response = { DBInstance: this.shape(inst) };
    const total = this.draw('promote', 60, 120);
    const reboot = total - this.draw('promote.reboot', 15, 30);
    this.world.log('cloud', `promotion of ${inst.id} started (${Math.round(total / 1000)}s)`, { instanceId: inst.id, region: inst.region });
    this.later(inst, reboot, 'promotion reboot', () => {
      this.setStatus(inst, 'rebooting');
      inst.outage = true;
      this.world.network.dropSessions(inst, 'reboot');
    });
    // A replica without automated backups that gets them at promotion (BackupRetentionPeriod > 0,
    // the default 1) is backed up as part of the promotion: it is standalone and writable once the
    // reboot is over, `backing-up` until that backup is done, then `available`
    // (docs/aws-behaviour.md, "Promotion and its backup").
    const backupMs = (retention ?? 1) > 0 && inst.backupRetentionPeriod === 0 ? this.promotionBackupMs() : 0;
    this.later(inst, total, 'promotion done', () => {
      const src = inst.source ? this.instances.get(key(inst.source.region, inst.source.id)) : undefined;
      if (src) this.world.network.inheritData(inst, src, record.dataUpToMs);
      this.detach(inst);
      inst.outage = false;
      inst.backupRetentionPeriod = retention ?? 1;
      if (inst.backupRetentionPeriod > 0) this.ensureBackup(inst);
      this.setStatus(inst, backupMs > 0 ? 'backing-up' : 'available');
      record.completedAt = this.world.clock.now();
      if (backupMs === 0) record.backupCompletedAt = record.completedAt;
      this.world.log('cloud', `${inst.id} promoted: standalone and writable${backupMs > 0 ? `, backing up (${Math.round(backupMs / 1000)}s)` : ''}`, {
        instanceId: inst.id,
        region: inst.region,
      });
      this.event(inst, 'RDS-EVENT-0006', ['availability'], 'DB instance restarted');
      this.onConnectivityChange();
      if (backupMs === 0) return;
      this.event(inst, 'RDS-EVENT-0001', ['backup'], 'Backing up DB instance');
      this.later(inst, backupMs, 'promotion backup done', () => {
        if (this.effectiveStatus(inst) === 'backing-up') this.setStatus(inst, 'available');
        record.backupCompletedAt = this.world.clock.now();
        this.world.log('cloud', `${inst.id}: the promotion's backup is done (available)`, { instanceId: inst.id, region: inst.region });
        this.event(inst, 'RDS-EVENT-0002', ['backup'], 'Finished DB Instance backup');
      });
    });
    return response;
  }

  /**
   * How long the backup taken during a promotion lasts: the whole database (the replica had no
   * earlier backup to start from) at {@link PROMOTION_BACKUP_SECONDS_PER_GIB}, slowed by the write
   * rate. 0 for a database of 0 GiB.
   */
  private promotionBackupMs(): number {
    const { dataSizeGiB, writesPerSecond } = this.workload;
    if (dataSizeGiB <= 0) return 0;
    const perGiB = this.world.rng.stream('rds.promote.backup').uniform(PROMOTION_BACKUP_SECONDS_PER_GIB.min, PROMOTION_BACKUP_SECONDS_PER_GIB.max);
    return Math.round(dataSizeGiB * perGiB * (1 + PROMOTION_BACKUP_SLOWDOWN_PER_WRITE_PER_SECOND * writesPerSecond) * 1000);
  }

  modifyDBInstance(
    input: {
      DBInstanceIdentifier?: string;
      DBInstanceClass?: string;
      ApplyImmediately?: boolean;
      VpcSecurityGroupIds?: string[];
      NewDBInstanceIdentifier?: string;
      BackupRetentionPeriod?: number;
      DeletionProtection?: boolean;
      MultiAZ?: boolean;
      DBParameterGroupName?: string;
    },
    ctx: CallCtx,
  ) {
    supportOnly('rds', 'ModifyDBInstance', input, [
      'DBInstanceIdentifier',
      'DBInstanceClass',
      'ApplyImmediately',
      'VpcSecurityGroupIds',
      'NewDBInstanceIdentifier',
      'BackupRetentionPeriod',
      'DeletionProtection',
      'MultiAZ',
      'DBParameterGroupName',
    ]);
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    const status = inst.status;
    if (status === 'stopped' || status === 'stopping' || status === 'starting')
      throw badState(`DB instance ${inst.id} is not in available state: ${status}. You can't modify a stopped DB instance.`);
    if (!['available', 'storage-optimization'].includes(status)) throw badState(NOT_AVAILABLE);
    const now = this.world.clock.now();
    const immediate = input.ApplyImmediately === true;
    let newId: string | undefined;
    if (input.NewDBInstanceIdentifier) {
      newId = input.NewDBInstanceIdentifier.toLowerCase();
      if (newId !== inst.id && this.instances.has(key(inst.region, newId))) throw awsError('rds', 'DBInstanceAlreadyExistsFault', 'DB instance already exists');
    }
    if (input.BackupRetentionPeriod !== undefined) {
      if (input.BackupRetentionPeriod < 0 || input.BackupRetentionPeriod > 35)
        throw awsError('rds', 'InvalidParameterValue', `Invalid backup retention period: ${input.BackupRetentionPeriod}. Valid values are 0-35.`);
      inst.backupRetentionPeriod = input.BackupRetentionPeriod;
      if (inst.backupRetentionPeriod > 0) this.ensureBackup(inst);
    }
    if (input.DeletionProtection !== undefined) inst.deletionProtection = input.DeletionProtection;
    if (input.MultiAZ !== undefined) inst.multiAZ = input.MultiAZ;

    if (input.VpcSecurityGroupIds) {
      // Applied asynchronously whatever ApplyImmediately says; no downtime (docs/aws-behaviour.md §1). Groups
      // must be in the instance's VPC (groups the twin's EC2 does not know are a setup convenience).
      const next = [...new Set(input.VpcSecurityGroupIds)];
      if (next.length === 0) throw awsError('rds', 'InvalidParameterValue', 'VpcSecurityGroupIds must contain at least one security group.');
      for (const g of next) {
        const vpc = this.world.ec2.vpcOf(inst.region, g);
        if (vpc !== undefined && vpc !== inst.vpcId) {
          throw awsError(
            'rds',
            'InvalidParameterCombination',
            `The DB instance and EC2 security group are in different VPCs. The DB instance is in ${inst.vpcId} and the EC2 security group is in ${vpc}`,
          );
        }
      }
      const current = inst.vpcSecurityGroups.map((g) => g.VpcSecurityGroupId);
      inst.vpcSecurityGroups = [
        ...current.map((g) => ({ VpcSecurityGroupId: g, Status: next.includes(g) ? ('active' as const) : ('removing' as const) })),
        ...next.filter((g) => !current.includes(g)).map((g) => ({ VpcSecurityGroupId: g, Status: 'adding' as const })),
      ];
      this.later(inst, this.draw('modify.sg', 5, 20), 'security groups applied', () => {
        inst.vpcSecurityGroups = next.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' as const }));
        // Tracked sessions survive the change; untracked flows no longer admitted are cut (docs/aws-behaviour.md §7).
        this.world.network.onInstanceGroupsChange(inst);
      });
    }
    let modifying = false;
    if (input.DBParameterGroupName !== undefined && input.DBParameterGroupName !== inst.parameterGroup) {
      // The group is associated at once (whatever ApplyImmediately says): `applying`, then
      // `pending-reboot` until the next reboot (docs/aws-behaviour.md, "Parameter groups of read replicas").
      if (!input.DBParameterGroupName) throw awsError('rds', 'InvalidParameterValue', 'DBParameterGroupName must not be empty');
      inst.parameterGroup = input.DBParameterGroupName;
      inst.parameterApplyStatus = 'applying';
      modifying = true;
      this.later(inst, this.draw('modify.pg', 10, 40), 'parameter group associated', () => {
        inst.parameterApplyStatus = 'pending-reboot';
        if (inst.status === 'modifying' && !inst.outage) this.setStatus(inst, 'available');
      });
    }
    if (input.DBInstanceClass && input.DBInstanceClass !== inst.instanceClass) {
      if (!immediate) inst.pending.DBInstanceClass = input.DBInstanceClass;
      else {
        modifying = true;
        const total = this.draw('modify.class', 240, 600);
        const outageAt = total - this.draw('modify.class.outage', 20, 60);
        const cls = input.DBInstanceClass;
        this.later(inst, outageAt, 'class change outage', () => {
          inst.outage = true;
          this.world.network.dropSessions(inst, 'reboot');
        });
        this.later(inst, total, 'class change done', () => {
          inst.instanceClass = cls;
          inst.outage = false;
          delete inst.pending.DBInstanceClass;
          this.setStatus(inst, 'available');
        });
      }
    }
    if (newId && newId !== inst.id) {
      if (!immediate) inst.pending.DBInstanceIdentifier = newId;
      else this.rename(inst, newId, now);
    } else if (modifying) {
      this.setStatus(inst, 'modifying');
    }
    return { DBInstance: this.shape(inst) };
  }

  /**
   * Rename: status `renaming`, the old DNS name is deleted at once, the instance reboots, the new
   * name resolves after about 10 minutes (docs/aws-behaviour.md §1). Replicas stay attached.
   */
  private rename(inst: DbInstance, newId: string, now: number): void {
    inst.pending.DBInstanceIdentifier = newId;
    this.setStatus(inst, 'renaming');
    inst.liveAddress = undefined;
    const applyAt = this.draw('rename.apply', 30, 60);
    const dnsAt = this.draw('rename.dns', 540, 660);
    this.later(inst, applyAt, 'rename applied', () => {
      const oldId = inst.id;
      this.instances.delete(key(inst.region, oldId));
      inst.id = newId;
      this.instances.set(key(inst.region, newId), inst);
      delete inst.pending.DBInstanceIdentifier;
      for (const r of inst.replicas) {
        const rep = this.instances.get(key(r.region, r.id));
        if (rep) {
          rep.source = { region: inst.region, id: newId };
          rep.sourceReported = rep.region === inst.region ? newId : arn.db(inst.region, newId);
        }
      }
      if (inst.source) {
        const src = this.instances.get(key(inst.source.region, inst.source.id));
        const me = src?.replicas.find((r) => r.region === inst.region && r.id === oldId);
        if (me) me.id = newId;
      }
      for (const b of this.backups) if (b.dbiResourceId === inst.dbiResourceId) b.instanceId = newId;
      this.setStatus(inst, 'rebooting');
      inst.outage = true;
      this.world.network.dropSessions(inst, 'reboot');
      this.world.log('cloud', `${oldId} renamed to ${newId}`, { from: oldId, to: newId, region: inst.region });
      this.later(inst, this.draw('rename.reboot', 20, 40), 'rename reboot done', () => {
        inst.outage = false;
        this.setStatus(inst, 'available');
      });
    });
    this.world.clock.schedule(
      dnsAt,
      () => {
        if (inst.id === newId) inst.liveAddress = instanceEndpoint(newId, inst.region);
      },
      `rds ${newId}: new DNS name live`,
    );
    void now;
  }

  rebootDBInstance(input: { DBInstanceIdentifier?: string; ForceFailover?: boolean }, ctx: CallCtx) {
    supportOnly('rds', 'RebootDBInstance', input, ['DBInstanceIdentifier', 'ForceFailover']);
    const member = input.DBInstanceIdentifier ? this.clusterOfMember(input.DBInstanceIdentifier, ctx.region) : undefined;
    if (member) return this.rebootMember(member, input.DBInstanceIdentifier!.toLowerCase());
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (!['available', 'storage-optimization', 'storage-full'].includes(inst.status)) throw badState(NOT_AVAILABLE);
    if (input.ForceFailover && !inst.multiAZ) {
      throw awsError('rds', 'InvalidParameterCombination', 'Reboot with failover can only be performed on a Multi-AZ DB instance.');
    }
    this.setStatus(inst, 'rebooting');
    inst.outage = true;
    this.world.network.dropSessions(inst, 'reboot');
    this.event(inst, 'RDS-EVENT-0004', ['availability'], 'DB instance shutdown');
    this.later(inst, this.draw('reboot', 30, 60), 'reboot done', () => {
      inst.outage = false;
      if (inst.parameterApplyStatus === 'pending-reboot') inst.parameterApplyStatus = 'in-sync';
      this.setStatus(inst, 'available');
      this.event(inst, 'RDS-EVENT-0006', ['availability'], 'DB instance restarted');
    });
    return { DBInstance: this.shape(inst) };
  }

  stopDBInstance(input: { DBInstanceIdentifier?: string; DBSnapshotIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'StopDBInstance', input, ['DBInstanceIdentifier', 'DBSnapshotIdentifier']);
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (inst.source) throw badState('Cannot stop or start a Read Replica instance');
    if (inst.replicas.length > 0) throw badState(`Cannot stop DB instance ${inst.id} because it has read replicas.`);
    if (inst.status !== 'available') throw badState(`DB Instance ${inst.id} is not in available state.`);
    if (input.DBSnapshotIdentifier) this.takeSnapshot(inst, input.DBSnapshotIdentifier, 'manual');
    this.setStatus(inst, 'stopping');
    this.world.network.dropSessions(inst, 'stop');
    this.later(inst, this.draw('stop', 60, 180), 'stopped', () => {
      this.setStatus(inst, 'stopped');
      this.event(inst, 'RDS-EVENT-0087', ['notification'], 'DB instance stopped');
      this.onConnectivityChange();
    });
    this.onConnectivityChange();
    return { DBInstance: this.shape(inst) };
  }

  startDBInstance(input: { DBInstanceIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'StartDBInstance', input, ['DBInstanceIdentifier']);
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (inst.status !== 'stopped') throw badState(`DB Instance ${inst.id} is not stopped.`);
    this.setStatus(inst, 'starting');
    this.later(inst, this.draw('start', 180, 420), 'started', () => {
      this.setStatus(inst, 'available');
      this.event(inst, 'RDS-EVENT-0088', ['notification'], 'DB instance started');
      this.onConnectivityChange();
    });
    return { DBInstance: this.shape(inst) };
  }

  createDBInstanceReadReplica(
    input: {
      DBInstanceIdentifier?: string;
      SourceDBInstanceIdentifier?: string;
      DBInstanceClass?: string;
      VpcSecurityGroupIds?: string[];
      Port?: number;
      MultiAZ?: boolean;
      PreSignedUrl?: string;
      SourceRegion?: string;
      KmsKeyId?: string;
      DBSubnetGroupName?: string;
      Tags?: unknown;
      DeletionProtection?: boolean;
      DBParameterGroupName?: string;
    },
    ctx: CallCtx,
  ) {
    supportOnly('rds', 'CreateDBInstanceReadReplica', input, [
      'DBInstanceIdentifier',
      'SourceDBInstanceIdentifier',
      'DBInstanceClass',
      'VpcSecurityGroupIds',
      'Port',
      'MultiAZ',
      'PreSignedUrl',
      'SourceRegion',
      'KmsKeyId',
      'DBSubnetGroupName',
      'Tags',
      'DeletionProtection',
      'DBParameterGroupName',
    ]);
    if (!input.DBInstanceIdentifier) throw awsError('rds', 'MissingParameter', 'The request must contain the parameter DBInstanceIdentifier');
    if (!input.SourceDBInstanceIdentifier) throw awsError('rds', 'MissingParameter', 'The request must contain the parameter SourceDBInstanceIdentifier');
    const id = input.DBInstanceIdentifier.toLowerCase();
    let srcRegion = ctx.region;
    let srcId = input.SourceDBInstanceIdentifier;
    if (srcId.startsWith('arn:')) {
      const p = parseArn(srcId);
      if (!p || !p.resource.startsWith('db:')) throw awsError('rds', 'InvalidParameterValue', `Invalid source identifier: ${srcId}`);
      srcRegion = p.region;
      srcId = p.resource.slice(3);
    }
    const cross = srcRegion !== ctx.region;
    if (cross && this.world.isRegionOut(srcRegion)) throw badState(`The source DB instance ${srcId} cannot be reached in ${srcRegion}.`);
    const source = this.instances.get(key(srcRegion, srcId.toLowerCase()));
    if (!source) throw notFound(srcId);
    if (this.instances.has(key(ctx.region, id))) throw awsError('rds', 'DBInstanceAlreadyExistsFault', 'DB instance already exists');
    if (cross && input.DBSubnetGroupName === undefined) {
      // fine: default subnet group
    }
    if (!cross && input.DBSubnetGroupName !== undefined) {
      throw awsError(
        'rds',
        'DBSubnetGroupNotAllowedFault',
        'DbSubnetGroupName should not be specified for read replicas that are created in the same region as the master',
      );
    }
    if (source.backupRetentionPeriod === 0) {
      throw badState(
        'Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.',
      );
    }
    if (cross && source.source) throw badState('Cannot create a cross-Region read replica of a read replica.');
    if (input.DBParameterGroupName !== undefined && !replicaMayNameParameterGroup(source.engine, cross)) {
      throw awsError(
        'rds',
        'InvalidParameterCombination',
        `A parameter group can't be specified during Read Replica creation for the following DB engine: ${source.engine}`,
      );
    }
    if (!['available', 'modifying', 'backing-up'].includes(source.status) || source.crashed) throw badState(NOT_AVAILABLE);
    const max = /oracle|sqlserver/.test(source.engine) ? 5 : 15;
    if (source.replicas.length >= max) throw badState(`The source DB instance already has the maximum of ${max} read replicas.`);
    const replica = this.createInstance({
      id,
      region: ctx.region,
      replicaOf: { region: srcRegion, id: source.id },
      instanceClass: input.DBInstanceClass,
      port: input.Port,
      securityGroupIds: input.VpcSecurityGroupIds,
      multiAZ: input.MultiAZ,
      deletionProtection: input.DeletionProtection,
      status: 'creating',
      // A cross-Region replica gets the engine's default group unless it may name one.
      parameterGroup: input.DBParameterGroupName ?? (cross ? defaultParameterGroup(source.engine, source.engineVersion) : source.parameterGroup),
    });
    replica.backupRetentionPeriod = 0;
    replica.creatingUpToMs = this.world.clock.now(); // it holds what the snapshot holds until it is available
    // 1. source modifying while its snapshot is taken; 2. replica created from it; 3. catch up.
    const prevSourceStatus = source.status;
    if (prevSourceStatus === 'available') {
      this.setStatus(source, 'modifying');
      this.later(source, this.draw('replica.snapshot', 60, 180), 'replica snapshot taken', () => {
        if (this.effectiveStatus(source) === 'modifying') this.setStatus(source, 'available');
      });
    }
    const total = cross ? this.draw('replica.cross', 20 * 60, 45 * 60) : this.draw('replica.same', 8 * 60, 20 * 60);
    this.world.log('cloud', `read replica ${id} of ${source.id} creating (${Math.round(total / 60000)} min)`, {
      replica: id,
      source: source.id,
      region: ctx.region,
    });
    this.later(replica, total, 'replica available', () => {
      replica.liveAddress = instanceEndpoint(replica.id, replica.region);
      replica.catchUp = {
        fromSeconds: this.draw('replica.lag', 30, 300) / 1000,
        startMs: this.world.clock.now(),
        durationMs: this.draw('replica.catchup', 300, 900),
      };
      // Built from a snapshot taken at the request (at least 8 min ago): at most 5 min behind now, never back.
      replica.creatingUpToMs = undefined;
      this.setStatus(replica, 'available');
      this.world.log('cloud', `read replica ${replica.id} available`, { replica: replica.id, region: replica.region });
      this.onConnectivityChange();
    });
    return { DBInstance: this.shape(replica) };
  }
}
