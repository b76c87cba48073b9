/**
 * RDS: DB instances (PostgreSQL/MySQL, primaries and read replicas, same- and cross-Region),
 * snapshots, automated backups, Aurora clusters and global clusters. Every asynchronous change
 * runs on the virtual clock with durations drawn from the seeded RNG within the ranges of
 * docs/design.md "Timing model" and docs/aws-behaviour.md §1. Emits "RDS DB Instance Event"s into EventBridge and publishes
 * AWS/RDS ReplicaLag (and, for PostgreSQL sources, OldestReplicationSlotLag) every 60 s.
 */
import { TwinUnsupportedError, awsError } from '../errors.js';
import type { Authorization } from '../iam.js';
import type { AwsEventSink, Ec2View, MetricsView, NetworkView, TwinCore } from '../ports.js';
import { arn, clone, parseArn, supportOnly, type CallCtx, type OpHandler, type ServiceModel } from './base.js';
import { DEFAULT_TWIN_VPC } from './ec2.js';
import {
  ENDPOINT_SUFFIX, PROMOTION_BACKUP_SECONDS_PER_GIB, PROMOTION_BACKUP_SLOWDOWN_PER_WRITE_PER_SECOND, RUNNING_STATUSES, WAL_BYTES_PER_WRITE, WAL_SWITCH_MS,
  defaultParameterGroup, instanceEndpoint, replicaMayNameParameterGroup,
  type AutomatedBackup, type DbCluster, type DbInstance, type DeletionRecord, type GlobalCluster, type InstanceSpec, type PromotionRecord, type RdsWorkload, type Snapshot,
} from './rds-model.js';

export * from './rds-model.js';

const key = (region: string, id: string) => `${region}/${id}`;
const notFound = (id: string) => awsError('rds', 'DBInstanceNotFoundFault', `DBInstance ${id} not found.`);
const badState = (msg: string) => awsError('rds', 'InvalidDBInstanceStateFault', msg);
const NOT_AVAILABLE = 'DB Instance is not in available state.';

/** What the rds model needs of the world (twin/ports.ts). */
export type RdsWorld = TwinCore & {
  readonly cloudwatch: Pick<MetricsView, 'putInternal'>;
  readonly ec2: Pick<Ec2View, 'declareVpc' | 'vpcOf'>;
  readonly events: AwsEventSink;
  readonly network: Pick<NetworkView, 'dropSessions' | 'inheritData' | 'onInstanceGroupsChange' | 'writes'>;
};

export class RdsService implements ServiceModel {
  readonly key = 'rds' as const;
  private readonly instances = new Map<string, DbInstance>(); // region/id
  private readonly snapshots = new Map<string, Snapshot>(); // region/id
  private readonly backups: AutomatedBackup[] = [];
  private readonly clusters = new Map<string, DbCluster>();
  private readonly globals = new Map<string, GlobalCluster>();
  readonly promotions: PromotionRecord[] = [];
  readonly deletions: DeletionRecord[] = [];
  /**
   * Every instance ever created, by resource id, with the resource id of the instance it was
   * created from (a read replica's source; undefined for an instance made from nothing). Kept
   * after promotions, renames and deletions: the drill judges each database's instances apart.
   */
  readonly lineage = new Map<string, string | undefined>();
  /** What a promotion's backup depends on (set by the drill from the scenario's `world`). */
  workload: RdsWorkload = { dataSizeGiB: 0, writesPerSecond: 1 };

  constructor(private readonly world: RdsWorld) {
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
        if (operation === 'CreateDBInstanceReadReplica') resources.push(input.SourceDBInstanceIdentifier?.startsWith('arn:') ? input.SourceDBInstanceIdentifier : db(input.SourceDBInstanceIdentifier));
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
        return { action, resources: [input.DBClusterIdentifier?.startsWith('arn:') ? input.DBClusterIdentifier : arn.cluster(ctx.region, input.DBClusterIdentifier ?? '*')], context: requested };
      case 'DescribeGlobalClusters':
        return { action, resources: [arn.globalCluster(input.GlobalClusterIdentifier ?? '*')], context: requested };
      case 'FailoverGlobalCluster':
      case 'SwitchoverGlobalCluster': {
        const target = input.TargetDbClusterIdentifier ?? '*';
        return { action, resources: [target.startsWith('arn:') ? target : arn.cluster(ctx.region, target), arn.globalCluster(input.GlobalClusterIdentifier ?? '*')], context: requested };
      }
      default:
        // Resource keys of the `db` resource type (SAR): the engine of the instance (or of the Aurora cluster it belongs to).
        return { action, resources: [db(input.DBInstanceIdentifier)], context: { ...requested, ...this.dbResourceKeys(input.DBInstanceIdentifier, ctx.region) } };
    }
  }

  /** `rds:DatabaseEngine` of an existing instance or Aurora cluster member (none for an unknown one). */
  private dbResourceKeys(idOrArn: string | undefined, region: string): Record<string, string> {
    if (!idOrArn) return {};
    const parsed = idOrArn.startsWith('arn:') ? parseArn(idOrArn) : undefined;
    const id = parsed ? idOrArn.split(':db:')[1] ?? '' : idOrArn;
    const r = parsed?.region ?? region;
    const engine = this.getInstance(id, r)?.engine ?? this.clusterOfMember(id, r)?.engine;
    return engine ? { 'rds:DatabaseEngine': engine } : {};
  }

  // ------------------------------------------------------------------ setup API (no IAM, instant)

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

  /** Creates an Aurora global database with one cluster per site (the first is the writer). */
  createGlobalCluster(spec: { id: string; engine: string; clusters: { region: string; id: string; port?: number; securityGroupIds?: string[] }[] }): GlobalCluster {
    const g: GlobalCluster = { id: spec.id, engine: spec.engine, members: [], writer: { region: spec.clusters[0]!.region, id: spec.clusters[0]!.id }, status: 'available', pendingResync: new Set() };
    for (const c of spec.clusters) {
      const cl: DbCluster = {
        id: c.id,
        region: c.region,
        engine: spec.engine,
        status: 'available',
        port: c.port ?? (spec.engine.includes('postgres') ? 5432 : 3306),
        globalClusterId: spec.id,
        instances: [`${c.id}-instance-1`],
        crashed: false,
        lagMs: 0,
        securityGroupIds: c.securityGroupIds ?? [],
        createdAt: this.world.clock.now(),
      };
      this.clusters.set(key(c.region, c.id), cl);
      g.members.push({ region: c.region, id: c.id });
    }
    this.globals.set(spec.id, g);
    return g;
  }

  /** Internal lookup (no error shape). */
  getInstance(id: string, region?: string): DbInstance | undefined {
    const lower = id.toLowerCase();
    if (region) return this.instances.get(key(region, lower));
    const found = [...this.instances.values()].filter((i) => i.id === lower);
    if (found.length > 1) throw new Error(`twin: instance id ${id} exists in several Regions (${found.map((f) => f.region).join(', ')}); name the Region`);
    return found[0];
  }

  getCluster(id: string, region?: string): DbCluster | undefined {
    if (region) return this.clusters.get(key(region, id));
    return [...this.clusters.values()].find((c) => c.id === id);
  }

  getGlobalCluster(id: string): GlobalCluster | undefined {
    return this.globals.get(id);
  }

  /** Every instance (for the network model and reports). */
  allInstances(): DbInstance[] {
    return [...this.instances.values()];
  }

  allClusters(): DbCluster[] {
    return [...this.clusters.values()];
  }

  private mustGet(id: string, region: string): DbInstance {
    const inst = this.instances.get(key(region, id.toLowerCase()));
    if (!inst) throw new Error(`twin: no instance ${id} in ${region}`);
    return inst;
  }

  /** Cluster endpoint addresses. */
  clusterEndpoint(c: DbCluster, reader = false): string {
    return `${c.id}.cluster-${reader ? 'ro-' : ''}${ENDPOINT_SUFFIX}.${c.region}.rds.amazonaws.com`;
  }

  /** True when the cluster takes writes (standalone or the global writer). */
  clusterIsWriter(c: DbCluster): boolean {
    if (!c.globalClusterId) return true;
    const g = this.globals.get(c.globalClusterId);
    return !!g && g.writer.region === c.region && g.writer.id === c.id;
  }

  /**
   * Does the cluster accept writes now? Its global cluster's writer, except while a switchover (no
   * data loss) runs: the old writer takes no writes while the secondaries synchronize and the roles
   * swap (the brief write outage of docs/aws-behaviour.md), so the new writer holds every acknowledged write.
   */
  clusterTakesWrites(c: DbCluster): boolean {
    if (!this.clusterIsWriter(c)) return false;
    const g = c.globalClusterId ? this.globals.get(c.globalClusterId) : undefined;
    return !(g?.failoverState && !g.failoverState.IsDataLossAllowed);
  }

  // ------------------------------------------------------------------ faults

  /** Crash: the instance (or Aurora cluster) reports `failed`, drops every session, refuses connections. */
  crash(id: string, region?: string): void {
    const inst = this.getInstance(id, region);
    if (inst) {
      if (inst.crashed) return;
      inst.crashed = true;
      inst.statusBeforeCrash = inst.status;
      inst.status = 'failed';
      this.world.network.dropSessions(inst, 'crash');
      this.world.log('fault', `instance ${inst.id} crashed`, { instanceId: inst.id, region: inst.region });
      this.event(inst, 'RDS-EVENT-0031', ['failure'], 'The DB instance has failed. We recommend that you begin a point-in-time-restore for the DB instance.');
      this.onConnectivityChange();
      return;
    }
    const c = this.getCluster(id, region);
    if (!c) throw new Error(`twin: no instance or cluster ${id}`);
    if (c.crashed) return;
    c.crashed = true;
    c.statusBeforeCrash = c.status;
    c.status = 'failed';
    this.world.network.dropSessions(c, 'crash');
    this.world.log('fault', `cluster ${c.id} crashed`, { clusterId: c.id, region: c.region });
    this.onConnectivityChange();
  }

  /** Recover: back as it was (status before the crash, or what scheduled changes made of it meanwhile). */
  recover(id: string, region?: string): void {
    const inst = this.getInstance(id, region);
    if (inst) {
      if (!inst.crashed) return;
      inst.crashed = false;
      inst.status = inst.statusBeforeCrash ?? 'available';
      inst.statusBeforeCrash = undefined;
      this.world.log('fault', `instance ${inst.id} recovered (${inst.status})`, { instanceId: inst.id, region: inst.region });
      this.event(inst, 'RDS-EVENT-0006', ['availability'], 'DB instance restarted');
      this.onConnectivityChange();
      return;
    }
    const c = this.getCluster(id, region);
    if (!c) throw new Error(`twin: no instance or cluster ${id}`);
    if (!c.crashed) return;
    c.crashed = false;
    c.status = c.statusBeforeCrash ?? 'available';
    this.world.log('fault', `cluster ${c.id} recovered`, { clusterId: c.id, region: c.region });
    this.onConnectivityChange();
  }

  /**
   * Sets a replica's apply delay (or an Aurora secondary cluster's), in seconds. A replica cannot
   * lose what it has applied: above its current lag, the lag grows at most as fast as time passes
   * (1 s per second, from the point it holds now) until it reaches `seconds`; below it, the replica
   * catches up: at once, or along the catch-up a new replica is still making (docs/aws-behaviour.md,
   * "Replication lag"). The point up to which it holds its source's data never moves back.
   */
  setLag(id: string, seconds: number, region?: string): void {
    const inst = this.getInstance(id, region);
    if (inst) {
      const now = this.world.clock.now();
      if (inst.catchUp && seconds < this.currentLag(inst, now)) {
        inst.lagSeconds = seconds; // the catch-up goes on, down to the new lag
        return;
      }
      inst.lagFromMs = this.replicaDataUpTo(inst);
      inst.lagSeconds = seconds;
      inst.catchUp = undefined;
      return;
    }
    const c = this.getCluster(id, region);
    if (!c) throw new Error(`twin: no instance or cluster ${id}`);
    c.lagFromMs = this.clusterDataUpTo(c);
    c.lagMs = seconds * 1000;
  }

  /**
   * Up to which moment (ms) an Aurora cluster holds its global database's writes: all of them (a
   * writer, or not in a global database), else now minus the secondary's lag, never before the
   * point it held when its lag was last set (lag grows at most as fast as time passes).
   */
  clusterDataUpTo(c: DbCluster): number {
    const now = this.world.clock.now();
    if (this.clusterIsWriter(c)) return now;
    if (c.writerDown) return c.writerDown.upToMs; // nothing reaches it
    return Math.max(c.lagFromMs ?? Number.NEGATIVE_INFINITY, now - c.lagMs);
  }

  /**
   * An Aurora secondary's replication lag (ms), as its metrics report it: how far behind the
   * writer's writes it holds now; 0 for a writer. While it cannot reach the writer, the lag it had
   * when it lost it (AWS does not document the figure then; the twin keeps the last one).
   */
  clusterLagMs(c: DbCluster): number {
    if (c.writerDown && !this.clusterIsWriter(c)) return c.writerDown.lagMs;
    return this.world.clock.now() - this.clusterDataUpTo(c);
  }

  /** Can the secondary receive its global database's writer's writes now? */
  private writerReachable(c: DbCluster): boolean {
    const g = c.globalClusterId ? this.globals.get(c.globalClusterId) : undefined;
    const w = g ? this.clusters.get(key(g.writer.region, g.writer.id)) : undefined;
    return !!w && !w.crashed && !this.world.isRegionOut(w.region) && !this.world.isRegionOut(c.region);
  }

  /** The source of a replica can deliver data right now. */
  sourceReachable(inst: DbInstance): boolean {
    if (!inst.source) return false;
    const src = this.instances.get(key(inst.source.region, inst.source.id));
    return !!src && !src.crashed && RUNNING_STATUSES.has(src.status) && !this.world.isRegionOut(src.region) && !this.world.isRegionOut(inst.region);
  }

  /** Recomputes which replicas lost their source (called on crash/recover/outage). */
  onConnectivityChange(): void {
    const now = this.world.clock.now();
    for (const inst of this.instances.values()) {
      if (!inst.source || inst.replication !== 'replicating' && inst.replication !== 'error') continue;
      const ok = this.sourceReachable(inst);
      if (!ok && inst.sourceDownSince === undefined) {
        inst.lagAtSourceDown = this.currentLag(inst, now);
        inst.sourceDownSince = now;
        inst.replication = 'error';
      } else if (ok && inst.sourceDownSince !== undefined) {
        inst.sourceDownSince = undefined;
        inst.lagAtSourceDown = undefined;
        inst.replication = 'replicating';
      }
    }
    for (const c of this.clusters.values()) {
      if (!c.globalClusterId || this.clusterIsWriter(c)) {
        c.writerDown = undefined;
        continue;
      }
      const ok = this.writerReachable(c);
      if (!ok && !c.writerDown) c.writerDown = { upToMs: this.clusterDataUpTo(c), lagMs: this.clusterLagMs(c) };
      else if (ok && c.writerDown) c.writerDown = undefined;
    }
  }

  /** The replica's lag while its source delivers (apply delay, growth since a lag fault, catch-up after creation), seconds. */
  private currentLag(inst: DbInstance, now: number): number {
    return (now - this.appliedUpTo(inst, now)) / 1000;
  }

  /**
   * Up to which moment (ms) the replica would hold its source's writes now if its source kept
   * delivering: now minus its apply delay (or the catch-up of a new replica, whichever is larger),
   * never before the point it held when its lag was last set. Non-decreasing in time.
   */
  private appliedUpTo(inst: DbInstance, now: number): number {
    if (inst.creatingUpToMs !== undefined) return inst.creatingUpToMs;
    let lag = inst.lagSeconds;
    if (inst.catchUp) {
      const f = (now - inst.catchUp.startMs) / inst.catchUp.durationMs;
      if (f >= 1) inst.catchUp = undefined;
      else lag = Math.max(inst.lagSeconds, inst.catchUp.fromSeconds * (1 - f));
    }
    return Math.max(inst.lagFromMs ?? Number.NEGATIVE_INFINITY, now - lag * 1000);
  }

  /**
   * The ReplicaLag value RDS would publish now (docs/aws-behaviour.md "Replication lag"): -1 when
   * replication is not active. MySQL/MariaDB: Seconds_Behind_Master, the configured lag; NULL
   * (-1) while the source is unreachable (inferred). PostgreSQL: `now() -
   * pg_last_xact_replay_timestamp()`, the time since the source's last commit the replica has
   * replayed: it grows between commits (on a quiet source up to the 5-minute WAL switch) and keeps
   * growing while the source is unreachable. It is not the data behind.
   */
  replicaLagMetric(inst: DbInstance): number | undefined {
    if (!inst.source) return undefined;
    if (inst.replication !== 'replicating' && inst.replication !== 'error') return -1;
    if (inst.status === 'creating') return undefined;
    const now = this.world.clock.now();
    if (inst.engine.includes('postgres')) {
      const src = this.instances.get(key(inst.source.region, inst.source.id));
      const replayed = this.lastCommitAtOrBefore(src, inst.source.id, this.replicaDataUpTo(inst));
      return Math.round(Math.max(0, now - replayed)) / 1000;
    }
    if (inst.sourceDownSince !== undefined) return -1;
    return Math.round(this.currentLag(inst, now) * 1000) / 1000;
  }

  /**
   * The time (ms) of the source's last commit at or before `t`: the newest write it accepted, or
   * the 5-minute WAL switch RDS makes on a PostgreSQL source (archive_timeout), which the
   * documentation says resets a quiet source's ReplicaLag; whichever is later.
   */
  lastCommitAtOrBefore(src: DbInstance | undefined, sourceId: string, t: number): number {
    const walSwitch = Math.floor(t / WAL_SWITCH_MS) * WAL_SWITCH_MS;
    const writes = this.world.network.writes;
    // writes are appended in time order: binary search for the last one at or before t
    let lo = 0;
    let hi = writes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (writes[mid]!.at <= t) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const w = writes[i]!;
      if (w.at <= walSwitch) break;
      if (w.target === sourceId && (!src || !w.resourceId || w.resourceId === src.dbiResourceId)) return w.at;
    }
    return walSwitch;
  }

  /**
   * OldestReplicationSlotLag of a PostgreSQL source (bytes): the WAL its slowest replica has not
   * received, modelled as {@link WAL_BYTES_PER_WRITE} per write the source took after the point
   * up to which that replica holds its data; 0 when every replica has it all. Undefined for an
   * instance with no replica (no slot) or one that is not PostgreSQL.
   */
  replicationSlotLagMetric(src: DbInstance): number | undefined {
    if (!src.engine.includes('postgres')) return undefined;
    const replicas = src.replicas
      .map((r) => this.instances.get(key(r.region, r.id)))
      .filter((r): r is DbInstance => !!r && (r.replication === 'replicating' || r.replication === 'error') && r.status !== 'creating');
    if (replicas.length === 0) return undefined;
    const oldest = Math.min(...replicas.map((r) => this.replicaDataUpTo(r)));
    const writes = this.world.network.writes;
    let bytes = 0;
    for (let i = writes.length - 1; i >= 0 && writes[i]!.at > oldest; i--) {
      const w = writes[i]!;
      if (w.target === src.id && (!w.resourceId || w.resourceId === src.dbiResourceId)) bytes += WAL_BYTES_PER_WRITE;
    }
    return bytes;
  }

  /**
   * Up to which moment (ms) the replica holds its source's writes: frozen while its source cannot
   * deliver, else {@link appliedUpTo}. It never moves back (a replica cannot lose what it applied).
   */
  replicaDataUpTo(inst: DbInstance): number {
    if (inst.sourceDownSince !== undefined) return inst.sourceDownSince - (inst.lagAtSourceDown ?? 0) * 1000;
    return this.appliedUpTo(inst, this.world.clock.now());
  }

  /**
   * Publishes `minutes` one-minute datapoints before now, each with the values of now: the
   * metrics a running account already has when a drill starts (the world before t = 0 is taken
   * to be the world at t = 0).
   */
  publishHistory(minutes: number): void {
    const first = Math.floor(this.world.clock.now() / 60_000) * 60_000 + 30_000;
    for (let m = minutes; m >= 1; m--) this.publishMetrics(first - m * 60_000);
  }

  private publishMetrics(at = this.world.clock.now()): void {
    for (const inst of [...this.instances.values()].sort((a, b) => key(a.region, a.id).localeCompare(key(b.region, b.id)))) {
      if (this.world.isRegionOut(inst.region) || inst.crashed) continue;
      const v = this.replicaLagMetric(inst);
      if (v !== undefined) this.world.cloudwatch.putInternal(inst.region, 'AWS/RDS', 'ReplicaLag', [{ Name: 'DBInstanceIdentifier', Value: inst.id }], v, at);
      const slot = RUNNING_STATUSES.has(inst.status) ? this.replicationSlotLagMetric(inst) : undefined;
      if (slot !== undefined) this.world.cloudwatch.putInternal(inst.region, 'AWS/RDS', 'OldestReplicationSlotLag', [{ Name: 'DBInstanceIdentifier', Value: inst.id }], slot, at);
    }
    for (const c of this.clusters.values()) {
      if (!c.globalClusterId || this.clusterIsWriter(c) || this.world.isRegionOut(c.region) || c.crashed) continue;
      const dims = [{ Name: 'DBClusterIdentifier', Value: c.id }];
      const lagMs = this.clusterLagMs(c);
      this.world.cloudwatch.putInternal(c.region, 'AWS/RDS', 'AuroraGlobalDBReplicationLag', dims, lagMs, at);
      this.world.cloudwatch.putInternal(c.region, 'AWS/RDS', 'AuroraGlobalDBRPOLag', dims, lagMs, at);
    }
  }

  // ------------------------------------------------------------------ helpers

  private find(idOrArn: string | undefined, region: string): DbInstance {
    if (!idOrArn) throw awsError('rds', 'MissingParameter', 'The request must contain the parameter DBInstanceIdentifier');
    let id = idOrArn;
    if (idOrArn.startsWith('arn:')) {
      const p = parseArn(idOrArn);
      if (!p || p.region !== region || !p.resource.startsWith('db:')) throw notFound(idOrArn);
      id = p.resource.slice(3);
    }
    const inst = this.instances.get(key(region, id.toLowerCase()));
    if (!inst) throw notFound(id);
    return inst;
  }

  private attach(replica: DbInstance, source: DbInstance): void {
    const cross = replica.region !== source.region;
    replica.source = { region: source.region, id: source.id };
    replica.sourceReported = cross ? arn.db(source.region, source.id) : source.id;
    replica.replication = 'replicating';
    source.replicas.push({ region: replica.region, id: replica.id });
  }

  /**
   * Setup: the read replica becomes a standalone instance at once, as if someone had promoted it
   * before (its source keeps running and no longer lists it). To rehearse a standby that is not a
   * replica (`failover preflight`).
   */
  makeStandalone(id: string, region?: string): void {
    const inst = this.getInstance(id, region);
    if (!inst) throw new Error(`twin: no instance ${id}${region ? ` in ${region}` : ''}`);
    this.detach(inst);
  }

  private detach(replica: DbInstance): void {
    if (!replica.source) return;
    const src = this.instances.get(key(replica.source.region, replica.source.id));
    if (src) src.replicas = src.replicas.filter((r) => !(r.region === replica.region && r.id === replica.id));
    replica.source = undefined;
    replica.sourceReported = undefined;
    replica.replication = undefined;
    replica.sourceDownSince = undefined;
    replica.lagAtSourceDown = undefined;
    replica.catchUp = undefined;
    replica.creatingUpToMs = undefined;
    replica.lagFromMs = undefined;
    replica.lagSeconds = 0;
  }

  /** Sets the status, or the status to return to after a crash. */
  private setStatus(inst: DbInstance, status: string): void {
    if (inst.crashed) inst.statusBeforeCrash = status;
    else inst.status = status;
  }

  private effectiveStatus(inst: DbInstance): string {
    return inst.crashed ? inst.statusBeforeCrash ?? 'available' : inst.status;
  }

  /** Schedules a transition that is skipped if a superseding operation bumped `gen` or the instance is gone. */
  private later(inst: DbInstance, delayMs: number, label: string, fn: () => void): void {
    const gen = inst.gen;
    this.world.clock.schedule(delayMs, () => {
      if (inst.gen !== gen || !this.instances.has(key(inst.region, inst.id))) return;
      fn();
    }, `rds ${inst.id}: ${label}`);
  }

  private draw(purpose: string, minS: number, maxS: number): number {
    return Math.round(this.world.rng.stream(`rds.${purpose}`).uniform(minS, maxS) * 1000);
  }

  private event(inst: DbInstance, eventId: string, categories: string[], message: string): void {
    const a = arn.db(inst.region, inst.id);
    this.world.events.emitAws(inst.region, {
      source: 'aws.rds',
      detailType: 'RDS DB Instance Event',
      resources: [a],
      detail: { EventCategories: categories, SourceType: 'DB_INSTANCE', SourceArn: a, Date: new Date(this.world.clock.now()).toISOString(), Message: message, SourceIdentifier: inst.id, EventID: eventId },
    });
  }

  /**
   * Cross-Region automated backup replication (StartDBInstanceAutomatedBackupsReplication), set up
   * before the drill: `destinationRegion` holds a replica of the instance's automated backups, as a
   * cold standby's restore needs. Its latest restorable time trails the source's last write by the
   * 5-minute log upload, and stops moving when the source stops taking writes.
   */
  replicateAutomatedBackups(instanceId: string, region: string, destinationRegion: string): void {
    const inst = this.getInstance(instanceId, region);
    if (!inst) throw new Error(`twin rds: no instance ${instanceId} in ${region} to replicate backups of`);
    if (this.backups.some((b) => b.dbiResourceId === inst.dbiResourceId && b.region === destinationRegion)) return;
    // A database with a history: its replicated restore window opened a day before the drill.
    this.backups.push({ region: destinationRegion, instanceId: inst.id, dbiResourceId: inst.dbiResourceId, engine: inst.engine, retention: inst.backupRetentionPeriod, status: 'active', earliest: this.world.clock.now() - 86_400_000, port: inst.port, replicatedFrom: region });
  }

  private ensureBackup(inst: DbInstance): void {
    if (this.backups.some((b) => b.dbiResourceId === inst.dbiResourceId)) return;
    this.backups.push({ region: inst.region, instanceId: inst.id, dbiResourceId: inst.dbiResourceId, engine: inst.engine, retention: inst.backupRetentionPeriod, status: 'active', earliest: this.world.clock.now(), port: inst.port });
  }

  /** DescribeDBInstances shape of one instance. */
  shape(inst: DbInstance) {
    const statusInfos = inst.source
      ? [
          inst.replication === 'replicating'
            ? { StatusType: 'read replication', Normal: true, Status: 'replicating' }
            : inst.replication === 'terminated'
              ? { StatusType: 'read replication', Normal: false, Status: 'terminated', Message: 'Replication has been terminated.' }
              : { StatusType: 'read replication', Normal: false, Status: inst.replication ?? 'error', Message: 'Replication has stopped: the source DB instance is not reachable.' },
        ]
      : undefined;
    const latestRestorable = inst.backupRetentionPeriod > 0 ? Math.floor((this.world.clock.now() - 5 * 60_000) / 60_000) * 60_000 : undefined;
    return {
      DBInstanceIdentifier: inst.id,
      DBInstanceClass: inst.instanceClass,
      Engine: inst.engine,
      EngineVersion: inst.engineVersion,
      DBInstanceStatus: inst.status,
      MasterUsername: inst.masterUsername,
      DBName: inst.dbName,
      ...(inst.status === 'creating' ? {} : { Endpoint: { Address: instanceEndpoint(inst.id, inst.region), Port: inst.port } }),
      AllocatedStorage: inst.allocatedStorage,
      InstanceCreateTime: new Date(inst.createdAt),
      BackupRetentionPeriod: inst.backupRetentionPeriod,
      VpcSecurityGroups: inst.vpcSecurityGroups.map((g) => ({ ...g })),
      DBSubnetGroup: { DBSubnetGroupName: inst.subnetGroupName, DBSubnetGroupDescription: `subnets of ${inst.vpcId}`, VpcId: inst.vpcId, SubnetGroupStatus: 'Complete' },
      AvailabilityZone: `${inst.region}a`,
      MultiAZ: inst.multiAZ,
      PendingModifiedValues: clone(inst.pending),
      LatestRestorableTime: latestRestorable !== undefined ? new Date(latestRestorable) : undefined,
      ReadReplicaSourceDBInstanceIdentifier: inst.sourceReported,
      ReadReplicaDBInstanceIdentifiers: inst.replicas.map((r) => (r.region === inst.region ? r.id : arn.db(r.region, r.id))),
      StatusInfos: statusInfos,
      StorageType: inst.storageType,
      DbInstancePort: 0,
      DBInstanceArn: arn.db(inst.region, inst.id),
      DbiResourceId: inst.dbiResourceId,
      DeletionProtection: inst.deletionProtection,
      PubliclyAccessible: false,
      DBClusterIdentifier: inst.clusterId,
      ...(inst.clusterId ? {} : { DBParameterGroups: [{ DBParameterGroupName: inst.parameterGroup, ParameterApplyStatus: inst.parameterApplyStatus }] }),
    };
  }

  // ------------------------------------------------------------------ instance operations

  describeDBInstances(input: { DBInstanceIdentifier?: string; Filters?: { Name: string; Values: string[] }[]; MaxRecords?: number; Marker?: string }, ctx: CallCtx) {
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
    const record: PromotionRecord = { instanceId: inst.id, region: inst.region, resourceId: inst.dbiResourceId, sourceId: inst.source.id, sourceResourceId: this.instances.get(key(inst.source.region, inst.source.id))?.dbiResourceId, startedAt: now, dataUpToMs: this.replicaDataUpTo(inst) };
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
      this.world.log('cloud', `${inst.id} promoted: standalone and writable${backupMs > 0 ? `, backing up (${Math.round(backupMs / 1000)}s)` : ''}`, { instanceId: inst.id, region: inst.region });
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

  modifyDBInstance(input: { DBInstanceIdentifier?: string; DBInstanceClass?: string; ApplyImmediately?: boolean; VpcSecurityGroupIds?: string[]; NewDBInstanceIdentifier?: string; BackupRetentionPeriod?: number; DeletionProtection?: boolean; MultiAZ?: boolean; DBParameterGroupName?: string }, ctx: CallCtx) {
    supportOnly('rds', 'ModifyDBInstance', input, ['DBInstanceIdentifier', 'DBInstanceClass', 'ApplyImmediately', 'VpcSecurityGroupIds', 'NewDBInstanceIdentifier', 'BackupRetentionPeriod', 'DeletionProtection', 'MultiAZ', 'DBParameterGroupName']);
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    const status = inst.status;
    if (status === 'stopped' || status === 'stopping' || status === 'starting') throw badState(`DB instance ${inst.id} is not in available state: ${status}. You can't modify a stopped DB instance.`);
    if (!['available', 'storage-optimization'].includes(status)) throw badState(NOT_AVAILABLE);
    const now = this.world.clock.now();
    const immediate = input.ApplyImmediately === true;
    let newId: string | undefined;
    if (input.NewDBInstanceIdentifier) {
      newId = input.NewDBInstanceIdentifier.toLowerCase();
      if (newId !== inst.id && this.instances.has(key(inst.region, newId))) throw awsError('rds', 'DBInstanceAlreadyExistsFault', 'DB instance already exists');
    }
    if (input.BackupRetentionPeriod !== undefined) {
      if (input.BackupRetentionPeriod < 0 || input.BackupRetentionPeriod > 35) throw awsError('rds', 'InvalidParameterValue', `Invalid backup retention period: ${input.BackupRetentionPeriod}. Valid values are 0-35.`);
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
          throw awsError('rds', 'InvalidParameterCombination', `The DB instance and EC2 security group are in different VPCs. The DB instance is in ${inst.vpcId} and the EC2 security group is in ${vpc}`);
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
    this.world.clock.schedule(dnsAt, () => {
      if (inst.id === newId) inst.liveAddress = instanceEndpoint(newId, inst.region);
    }, `rds ${newId}: new DNS name live`);
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

  createDBInstanceReadReplica(input: { DBInstanceIdentifier?: string; SourceDBInstanceIdentifier?: string; DBInstanceClass?: string; VpcSecurityGroupIds?: string[]; Port?: number; MultiAZ?: boolean; PreSignedUrl?: string; SourceRegion?: string; KmsKeyId?: string; DBSubnetGroupName?: string; Tags?: unknown; DeletionProtection?: boolean; DBParameterGroupName?: string }, ctx: CallCtx) {
    supportOnly('rds', 'CreateDBInstanceReadReplica', input, ['DBInstanceIdentifier', 'SourceDBInstanceIdentifier', 'DBInstanceClass', 'VpcSecurityGroupIds', 'Port', 'MultiAZ', 'PreSignedUrl', 'SourceRegion', 'KmsKeyId', 'DBSubnetGroupName', 'Tags', 'DeletionProtection', 'DBParameterGroupName']);
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
      throw awsError('rds', 'DBSubnetGroupNotAllowedFault', 'DbSubnetGroupName should not be specified for read replicas that are created in the same region as the master');
    }
    if (source.backupRetentionPeriod === 0) {
      throw badState('Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.');
    }
    if (cross && source.source) throw badState('Cannot create a cross-Region read replica of a read replica.');
    if (input.DBParameterGroupName !== undefined && !replicaMayNameParameterGroup(source.engine, cross)) {
      throw awsError('rds', 'InvalidParameterCombination', `A parameter group can't be specified during Read Replica creation for the following DB engine: ${source.engine}`);
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
    this.world.log('cloud', `read replica ${id} of ${source.id} creating (${Math.round(total / 60000)} min)`, { replica: id, source: source.id, region: ctx.region });
    this.later(replica, total, 'replica available', () => {
      replica.liveAddress = instanceEndpoint(replica.id, replica.region);
      replica.catchUp = { fromSeconds: this.draw('replica.lag', 30, 300) / 1000, startMs: this.world.clock.now(), durationMs: this.draw('replica.catchup', 300, 900) };
      // Built from a snapshot taken at the request (at least 8 min ago): at most 5 min behind now, never back.
      replica.creatingUpToMs = undefined;
      this.setStatus(replica, 'available');
      this.world.log('cloud', `read replica ${replica.id} available`, { replica: replica.id, region: replica.region });
      this.onConnectivityChange();
    });
    return { DBInstance: this.shape(replica) };
  }

  private takeSnapshot(inst: DbInstance, snapId: string, type: 'manual' | 'automated'): Snapshot {
    const k = key(inst.region, snapId);
    if (this.snapshots.has(k)) throw awsError('rds', 'DBSnapshotAlreadyExistsFault', `Cannot create the snapshot because a snapshot with the identifier ${snapId} already exists.`);
    const snap: Snapshot = {
      id: snapId, region: inst.region, instanceId: inst.id, dbiResourceId: inst.dbiResourceId, engine: inst.engine, engineVersion: inst.engineVersion,
      type, status: 'creating', createdAt: this.world.clock.now(), port: inst.port, allocatedStorage: inst.allocatedStorage, masterUsername: inst.masterUsername,
    };
    this.snapshots.set(k, snap);
    return snap;
  }

  private snapshotShape(s: Snapshot) {
    return {
      DBSnapshotIdentifier: s.id, DBInstanceIdentifier: s.instanceId, SnapshotCreateTime: new Date(s.createdAt), Engine: s.engine, EngineVersion: s.engineVersion,
      AllocatedStorage: s.allocatedStorage, Status: s.status, Port: s.port, MasterUsername: s.masterUsername, SnapshotType: s.type,
      DBSnapshotArn: arn.snapshot(s.region, s.id), DbiResourceId: s.dbiResourceId, PercentProgress: s.status === 'available' ? 100 : 0,
    };
  }

  createDBSnapshot(input: { DBSnapshotIdentifier?: string; DBInstanceIdentifier?: string; Tags?: unknown }, ctx: CallCtx) {
    supportOnly('rds', 'CreateDBSnapshot', input, ['DBSnapshotIdentifier', 'DBInstanceIdentifier', 'Tags']);
    if (!input.DBSnapshotIdentifier) throw awsError('rds', 'MissingParameter', 'The request must contain the parameter DBSnapshotIdentifier');
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (this.snapshots.has(key(inst.region, input.DBSnapshotIdentifier))) {
      throw awsError('rds', 'DBSnapshotAlreadyExistsFault', `Cannot create the snapshot because a snapshot with the identifier ${input.DBSnapshotIdentifier} already exists.`);
    }
    if (!['available', 'storage-optimization'].includes(inst.status)) throw badState(NOT_AVAILABLE);
    const snap = this.takeSnapshot(inst, input.DBSnapshotIdentifier, 'manual');
    const wasAvailable = inst.status === 'available';
    if (wasAvailable) this.setStatus(inst, 'backing-up');
    const done = this.draw('snapshot', 120, 300);
    this.world.clock.schedule(done, () => {
      snap.status = 'available';
      if (this.instances.get(key(inst.region, inst.id)) === inst && this.effectiveStatus(inst) === 'backing-up') this.setStatus(inst, 'available');
    }, `rds snapshot ${snap.id} available`);
    return { DBSnapshot: this.snapshotShape(snap) };
  }

  deleteDBInstance(input: { DBInstanceIdentifier?: string; SkipFinalSnapshot?: boolean; FinalDBSnapshotIdentifier?: string; DeleteAutomatedBackups?: boolean }, ctx: CallCtx) {
    supportOnly('rds', 'DeleteDBInstance', input, ['DBInstanceIdentifier', 'SkipFinalSnapshot', 'FinalDBSnapshotIdentifier', 'DeleteAutomatedBackups']);
    const inst = this.find(input.DBInstanceIdentifier, ctx.region);
    if (inst.deletionProtection) throw awsError('rds', 'InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
    const skip = input.SkipFinalSnapshot === true;
    const finalId = input.FinalDBSnapshotIdentifier;
    if (inst.source && finalId) throw awsError('rds', 'InvalidParameterCombination', 'FinalDBSnapshotIdentifier can not be specified when deleting a replica instance');
    if (skip && finalId) throw awsError('rds', 'InvalidParameterCombination', 'Cannot specify both FinalDBSnapshotIdentifier and SkipFinalSnapshot.');
    if (!skip && !finalId && !inst.source) throw awsError('rds', 'InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.');
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

  private remove(inst: DbInstance, keepBackups: boolean, finalSnapshot: string | undefined): void {
    if (this.instances.get(key(inst.region, inst.id)) !== inst) return;
    this.detach(inst);
    this.instances.delete(key(inst.region, inst.id));
    for (const b of this.backups.filter((x) => x.dbiResourceId === inst.dbiResourceId)) {
      if (keepBackups) {
        b.status = 'retained';
        b.latest = this.world.clock.now();
      } else this.backups.splice(this.backups.indexOf(b), 1);
    }
    this.deletions.push({ instanceId: inst.id, resourceId: inst.dbiResourceId, region: inst.region, t: this.world.clock.now(), finalSnapshot, retainedAutomatedBackups: keepBackups });
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
        this.promotions.push({ instanceId: rep.id, region: rep.region, resourceId: rep.dbiResourceId, sourceId: inst.id, sourceResourceId: inst.dbiResourceId, startedAt: this.world.clock.now(), completedAt: this.world.clock.now(), dataUpToMs: upTo });
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
  private replicatedLatest(b: AutomatedBackup, now: number): number {
    const last = this.world.network.writes.filter((w) => w.target === b.instanceId && w.region === b.replicatedFrom && w.at <= now).reduce((m, w) => Math.max(m, w.at), Number.NEGATIVE_INFINITY);
    return Math.min(now, Number.isFinite(last) ? last : now) - 5 * 60_000;
  }

  describeDBInstanceAutomatedBackups(input: { DBInstanceIdentifier?: string; DbiResourceId?: string }, ctx: CallCtx) {
    supportOnly('rds', 'DescribeDBInstanceAutomatedBackups', input, ['DBInstanceIdentifier', 'DbiResourceId', 'MaxRecords']);
    const now = this.world.clock.now();
    const list = this.backups.filter(
      (b) => b.region === ctx.region && (!input.DBInstanceIdentifier || b.instanceId === input.DBInstanceIdentifier.toLowerCase()) && (!input.DbiResourceId || b.dbiResourceId === input.DbiResourceId),
    );
    return {
      DBInstanceAutomatedBackups: list.map((b) => {
        const inst = [...this.instances.values()].find((i) => i.dbiResourceId === b.dbiResourceId);
        // Transaction logs upload every 5 minutes, so LatestRestorableTime lags (docs/aws-behaviour.md §1).
        const latest = b.latest ?? (b.replicatedFrom ? this.replicatedLatest(b, now) : inst?.crashed ? Math.min(now, this.world.clock.now()) : now - 5 * 60_000);
        return {
          DBInstanceArn: arn.db(b.region, b.instanceId), DbiResourceId: b.dbiResourceId, Region: b.region, DBInstanceIdentifier: b.instanceId,
          RestoreWindow: { EarliestTime: new Date(b.earliest), LatestTime: new Date(Math.max(b.earliest, latest)) },
          Status: b.status, Engine: b.engine, Port: b.port, BackupRetentionPeriod: b.retention,
          DBInstanceAutomatedBackupsArn: `arn:aws:rds:${b.region}:${this.world.accountId}:auto-backup:ab-${b.dbiResourceId.slice(3).toLowerCase()}`,
        };
      }),
    };
  }

  // ------------------------------------------------------------------ Aurora

  /** The Aurora cluster (in `region`) whose member instance is `id` (e.g. `<cluster>-instance-1`), if any. */
  private clusterOfMember(id: string, region: string): DbCluster | undefined {
    const lower = id.toLowerCase();
    if (this.instances.has(key(region, lower))) return undefined;
    return [...this.clusters.values()].find((c) => c.region === region && c.instances.includes(lower));
  }

  /**
   * DescribeDBInstances shape of an Aurora member instance. Members are not modelled one by one:
   * the writer (first member) and readers take their status and endpoint family from the cluster.
   */
  private memberShape(c: DbCluster, id: string) {
    const status = c.crashed ? 'failed' : c.status;
    return {
      DBInstanceIdentifier: id,
      DBInstanceClass: 'db.r6g.large',
      Engine: c.engine,
      DBInstanceStatus: status,
      Endpoint: { Address: `${id}.${ENDPOINT_SUFFIX}.${c.region}.rds.amazonaws.com`, Port: c.port },
      AvailabilityZone: `${c.region}a`,
      MultiAZ: false,
      DBClusterIdentifier: c.id,
      DBInstanceArn: arn.db(c.region, id),
      VpcSecurityGroups: c.securityGroupIds.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
      PubliclyAccessible: false,
      StatusInfos: [],
      ReadReplicaDBInstanceIdentifiers: [],
      PendingModifiedValues: {},
    };
  }

  /** Rebooting the writer of an Aurora cluster: the cluster's sessions drop, it is `rebooting` for 30–60 s. */
  /**
   * FailoverDBCluster: the cluster's writer moves to a reader (docs/aws-behaviour.md, "Fault
   * Injection Service"). The twin does not model the members one by one: the cluster drops its
   * sessions and refuses connections while the endpoint moves (RDS-EVENT-0070 ... 0071), 30–60 s.
   */
  failoverDBCluster(input: { DBClusterIdentifier?: string; TargetDBInstanceIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'FailoverDBCluster', input, ['DBClusterIdentifier', 'TargetDBInstanceIdentifier']);
    const c = this.findCluster(input.DBClusterIdentifier, ctx.region);
    if (c.crashed || c.status !== 'available') throw awsError('rds', 'InvalidDBClusterStateFault', `DB cluster ${c.id} is not in a valid state: ${c.crashed ? 'failed' : c.status}`);
    c.status = 'failing-over';
    this.world.network.dropSessions(c, 'cluster failover');
    this.world.log('cloud', `cluster ${c.id} failing over`, { clusterId: c.id, region: c.region });
    this.world.clock.schedule(this.draw('cluster.failover', 30, 60), () => {
      if (c.status !== 'failing-over') return;
      c.status = 'available';
      this.world.log('cloud', `cluster ${c.id} failover complete`, { clusterId: c.id, region: c.region });
    }, `rds ${c.id}: cluster failover done`);
    return { DBCluster: this.clusterShape(c) };
  }

  private rebootMember(c: DbCluster, id: string) {
    if (c.crashed || c.status !== 'available') throw badState(NOT_AVAILABLE);
    c.status = 'rebooting';
    this.world.network.dropSessions(c, 'reboot');
    this.world.clock.schedule(this.draw('reboot', 30, 60), () => {
      if (c.status === 'rebooting') c.status = 'available';
    }, `rds ${id}: reboot done`);
    return { DBInstance: this.memberShape(c, id) };
  }

  private clusterShape(c: DbCluster) {
    const writer = this.clusterIsWriter(c);
    return {
      DBClusterIdentifier: c.id, DBClusterArn: arn.cluster(c.region, c.id), Engine: c.engine, Status: c.status, Port: c.port,
      Endpoint: this.clusterEndpoint(c), ReaderEndpoint: this.clusterEndpoint(c, true), GlobalClusterIdentifier: c.globalClusterId,
      MultiAZ: false, ClusterCreateTime: new Date(c.createdAt),
      // Aurora always keeps automated backups, 1 to 35 days (1 by default); the twin reports the default.
      BackupRetentionPeriod: 1,
      DBClusterMembers: c.instances.map((i, n) => ({ DBInstanceIdentifier: i, IsClusterWriter: writer && n === 0, PromotionTier: 1 })),
      VpcSecurityGroups: c.securityGroupIds.map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
    };
  }

  private findCluster(idOrArn: string | undefined, region: string): DbCluster {
    let id = idOrArn ?? '';
    let r = region;
    if (id.startsWith('arn:')) {
      const p = parseArn(id);
      r = p?.region ?? region;
      id = p?.resource.replace(/^cluster:/, '') ?? id;
    }
    const c = this.clusters.get(key(r, id));
    if (!c) throw awsError('rds', 'DBClusterNotFoundFault', `DBCluster ${idOrArn ?? ''} not found.`);
    return c;
  }

  describeDBClusters(input: { DBClusterIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'DescribeDBClusters', input, ['DBClusterIdentifier', 'MaxRecords']);
    if (input.DBClusterIdentifier) return { DBClusters: [this.clusterShape(this.findCluster(input.DBClusterIdentifier, ctx.region))] };
    return { DBClusters: [...this.clusters.values()].filter((c) => c.region === ctx.region).map((c) => this.clusterShape(c)) };
  }

  private globalShape(g: GlobalCluster) {
    return {
      GlobalClusterIdentifier: g.id, GlobalClusterArn: arn.globalCluster(g.id), Status: g.status, Engine: g.engine,
      GlobalClusterMembers: g.members.map((m) => {
        const isWriter = m.region === g.writer.region && m.id === g.writer.id;
        return {
          DBClusterArn: arn.cluster(m.region, m.id),
          Readers: isWriter ? g.members.filter((x) => x !== m).map((x) => arn.cluster(x.region, x.id)) : [],
          IsWriter: isWriter,
          GlobalWriteForwardingStatus: 'disabled',
          SynchronizationStatus: g.pendingResync.has(key(m.region, m.id)) ? 'pending-resync' : 'connected',
        };
      }),
      ...(g.failoverState ? { FailoverState: { ...g.failoverState } } : {}),
    };
  }

  describeGlobalClusters(input: { GlobalClusterIdentifier?: string }, _ctx: CallCtx) {
    supportOnly('rds', 'DescribeGlobalClusters', input, ['GlobalClusterIdentifier', 'MaxRecords']);
    if (input.GlobalClusterIdentifier) {
      const g = this.globals.get(input.GlobalClusterIdentifier);
      if (!g) throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${input.GlobalClusterIdentifier} not found.`);
      return { GlobalClusters: [this.globalShape(g)] };
    }
    return { GlobalClusters: [...this.globals.values()].map((g) => this.globalShape(g)) };
  }

  failoverGlobalCluster(input: { GlobalClusterIdentifier?: string; TargetDbClusterIdentifier?: string; AllowDataLoss?: boolean; Switchover?: boolean }, ctx: CallCtx) {
    supportOnly('rds', 'FailoverGlobalCluster', input, ['GlobalClusterIdentifier', 'TargetDbClusterIdentifier', 'AllowDataLoss', 'Switchover']);
    if (input.AllowDataLoss && input.Switchover) {
      throw awsError('rds', 'InvalidParameterCombination', 'AllowDataLoss and Switchover cannot both be set.');
    }
    return this.globalMove(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier, input.AllowDataLoss === true, ctx, 'FailoverGlobalCluster');
  }

  switchoverGlobalCluster(input: { GlobalClusterIdentifier?: string; TargetDbClusterIdentifier?: string }, ctx: CallCtx) {
    supportOnly('rds', 'SwitchoverGlobalCluster', input, ['GlobalClusterIdentifier', 'TargetDbClusterIdentifier']);
    return this.globalMove(input.GlobalClusterIdentifier, input.TargetDbClusterIdentifier, false, ctx, 'SwitchoverGlobalCluster');
  }

  /**
   * Failover (AllowDataLoss) or switchover of a global cluster: FailoverState is set while it
   * runs (1–2 min); a switchover needs the old writer reachable to sync first, and fails
   * otherwise (RDS-EVENT-0187). The old writer becomes a read-only secondary.
   */
  private globalMove(gid: string | undefined, target: string | undefined, dataLoss: boolean, ctx: CallCtx, op: string) {
    const g = gid ? this.globals.get(gid) : undefined;
    if (!g) throw awsError('rds', 'GlobalClusterNotFoundFault', `Global cluster ${gid ?? ''} not found.`);
    const t = this.findCluster(target, ctx.region);
    const member = g.members.find((m) => m.region === t.region && m.id === t.id);
    if (!member) throw awsError('rds', 'DBClusterNotFoundFault', `DBCluster ${target ?? ''} is not a member of global cluster ${g.id}.`);
    if (g.failoverState) throw awsError('rds', 'InvalidGlobalClusterStateFault', `Global cluster ${g.id} already has an operation in progress.`);
    if (g.writer.region === t.region && g.writer.id === t.id) throw awsError('rds', 'InvalidGlobalClusterStateFault', `DB cluster ${t.id} is already the primary cluster of global cluster ${g.id}.`);
    if (t.status !== 'available' || t.crashed) throw awsError('rds', 'InvalidDBClusterStateFault', `DB cluster ${t.id} is not in available state.`);
    const from = this.clusters.get(key(g.writer.region, g.writer.id))!;
    g.failoverState = { Status: 'pending', FromDbClusterArn: arn.cluster(from.region, from.id), ToDbClusterArn: arn.cluster(t.region, t.id), IsDataLossAllowed: dataLoss };
    const emit = (id: string, msg: string) =>
      this.world.events.emitAws(t.region, {
        source: 'aws.rds', detailType: 'RDS DB Cluster Event', resources: [arn.cluster(t.region, t.id)],
        detail: { EventCategories: ['global-failover'], SourceType: 'CLUSTER', SourceArn: arn.cluster(t.region, t.id), Date: new Date(this.world.clock.now()).toISOString(), Message: msg, SourceIdentifier: t.id, EventID: id },
      });
    emit('RDS-EVENT-0181', `Global ${dataLoss ? 'failover' : 'switchover'} to DB cluster ${t.id} started.`);
    const total = this.draw('global', 60, 120);
    const appliedAtStart = this.clusterDataUpTo(t);
    this.world.clock.schedule(this.draw('global.pending', 5, 15), () => {
      if (g.failoverState) g.failoverState.Status = dataLoss ? 'failing-over' : 'switching-over';
    }, `rds global ${g.id} in progress`);
    this.world.log('cloud', `${op} ${g.id} -> ${t.id} started`, { globalClusterId: g.id, target: t.id, allowDataLoss: dataLoss });
    this.world.clock.schedule(total, () => {
      const fromReachable = !from.crashed && !this.world.isRegionOut(from.region);
      if (!dataLoss && !fromReachable) {
        g.failoverState = undefined;
        emit('RDS-EVENT-0187', `Global switchover to DB cluster ${t.id} failed: the primary cluster ${from.id} could not be synchronized.`);
        this.world.log('cloud', `${op} ${g.id} failed: old primary unreachable`, { globalClusterId: g.id });
        return;
      }
      if (!fromReachable) g.pendingResync.add(key(from.region, from.id));
      // A failover keeps what the target had applied when it started; a switchover synchronized
      // everything first (the old writer took no writes meanwhile: clusterTakesWrites).
      const dataUpToMs = dataLoss ? appliedAtStart : this.world.clock.now();
      this.promotions.push({ instanceId: t.id, region: t.region, sourceId: from.id, startedAt: this.world.clock.now() - total, completedAt: this.world.clock.now(), dataUpToMs });
      this.world.network.inheritData(t, from, dataUpToMs);
      g.writer = { region: t.region, id: t.id };
      t.lagMs = 0;
      t.lagFromMs = undefined;
      g.failoverState = undefined;
      this.onConnectivityChange();
      this.world.network.dropSessions(from, 'reboot');
      emit('RDS-EVENT-0185', `Global ${dataLoss ? 'failover' : 'switchover'} to DB cluster ${t.id} completed.`);
      this.world.log('cloud', `${op} ${g.id} -> ${t.id} completed`, { globalClusterId: g.id, writer: t.id });
    }, `rds global ${g.id} done`);
    return { GlobalCluster: this.globalShape(g) };
  }
}
