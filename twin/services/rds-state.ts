/**
 * RDS, part 1 of the service (twin/services/rds.ts is the facade): the state every part shares
 * (instances, clusters, global clusters, snapshots, backups, promotion and deletion records) and
 * the helpers over it (lookups, status changes, scheduled changes, events, replica links, shapes).
 */
import { awsError } from '../errors.js';
import type { AwsEventSink, Ec2View, MetricsView, NetworkView, TwinCore } from '../ports.js';
import { arn, clone, parseArn } from './base.js';
import {
  ENDPOINT_SUFFIX,
  instanceEndpoint,
  type AutomatedBackup,
  type DbCluster,
  type DbInstance,
  type DeletionRecord,
  type GlobalCluster,
  type PromotionRecord,
  type RdsWorkload,
  type Snapshot,
} from './rds-model.js';

export const key = (region: string, id: string) => `${region}/${id}`;
export const notFound = (id: string) => awsError('rds', 'DBInstanceNotFoundFault', `DBInstance ${id} not found.`);
export const badState = (msg: string) => awsError('rds', 'InvalidDBInstanceStateFault', msg);
export const NOT_AVAILABLE = 'DB Instance is not in available state.';

/** What the RDS model needs of the world (twin/ports.ts). */
export type RdsWorld = TwinCore & {
  readonly cloudwatch: Pick<MetricsView, 'putInternal'>;
  readonly ec2: Pick<Ec2View, 'declareVpc' | 'vpcOf'>;
  readonly events: AwsEventSink;
  readonly network: Pick<NetworkView, 'dropSessions' | 'inheritData' | 'onInstanceGroupsChange' | 'writes'>;
};

/** What a crash suspends: an instance's or a cluster's status. */
type Crashable = Pick<DbInstance, 'crashed' | 'status' | 'statusBeforeCrash'>;

export abstract class RdsState {
  constructor(protected readonly world: RdsWorld) {}

  protected readonly instances = new Map<string, DbInstance>(); // region/id
  protected readonly snapshots = new Map<string, Snapshot>(); // region/id
  protected readonly backups: AutomatedBackup[] = [];
  protected readonly clusters = new Map<string, DbCluster>();
  protected readonly globals = new Map<string, GlobalCluster>();
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

  /** `rds:DatabaseEngine` of an existing instance or Aurora cluster member (none for an unknown one). */
  protected dbResourceKeys(idOrArn: string | undefined, region: string): Record<string, string> {
    if (!idOrArn) return {};
    const parsed = idOrArn.startsWith('arn:') ? parseArn(idOrArn) : undefined;
    const id = parsed ? (idOrArn.split(':db:')[1] ?? '') : idOrArn;
    const r = parsed?.region ?? region;
    const engine = this.getInstance(id, r)?.engine ?? this.clusterOfMember(id, r)?.engine;
    return engine ? { 'rds:DatabaseEngine': engine } : {};
  }

  // ------------------------------------------------------------------ setup API (no IAM, instant)

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

  protected mustGet(id: string, region: string): DbInstance {
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

  protected find(idOrArn: string | undefined, region: string): DbInstance {
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

  protected attach(replica: DbInstance, source: DbInstance): void {
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

  protected detach(replica: DbInstance): void {
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

  /** Sets the status of an instance or a cluster, or, while it is crashed, the status it returns to when it recovers. */
  protected setStatus(target: Crashable, status: string): void {
    if (target.crashed) target.statusBeforeCrash = status;
    else target.status = status;
  }

  /** The status an instance or a cluster has, or returns to when it recovers from a crash. */
  protected effectiveStatus(target: Crashable): string {
    return target.crashed ? (target.statusBeforeCrash ?? 'available') : target.status;
  }

  /** Schedules a transition that is skipped if a superseding operation bumped `gen` or the instance is gone. */
  protected later(inst: DbInstance, delayMs: number, label: string, fn: () => void): void {
    const gen = inst.gen;
    this.world.clock.schedule(
      delayMs,
      () => {
        if (inst.gen !== gen || !this.instances.has(key(inst.region, inst.id))) return;
        fn();
      },
      `rds ${inst.id}: ${label}`,
    );
  }

  protected draw(purpose: string, minS: number, maxS: number): number {
    return Math.round(this.world.rng.stream(`rds.${purpose}`).uniform(minS, maxS) * 1000);
  }

  protected event(inst: DbInstance, eventId: string, categories: string[], message: string): void {
    const a = arn.db(inst.region, inst.id);
    this.world.events.emitAws(inst.region, {
      source: 'aws.rds',
      detailType: 'RDS DB Instance Event',
      resources: [a],
      detail: {
        EventCategories: categories,
        SourceType: 'DB_INSTANCE',
        SourceArn: a,
        Date: new Date(this.world.clock.now()).toISOString(),
        Message: message,
        SourceIdentifier: inst.id,
        EventID: eventId,
      },
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
    this.backups.push({
      region: destinationRegion,
      instanceId: inst.id,
      dbiResourceId: inst.dbiResourceId,
      engine: inst.engine,
      retention: inst.backupRetentionPeriod,
      status: 'active',
      earliest: this.world.clock.now() - 86_400_000,
      port: inst.port,
      replicatedFrom: region,
    });
  }

  protected ensureBackup(inst: DbInstance): void {
    if (this.backups.some((b) => b.dbiResourceId === inst.dbiResourceId)) return;
    this.backups.push({
      region: inst.region,
      instanceId: inst.id,
      dbiResourceId: inst.dbiResourceId,
      engine: inst.engine,
      retention: inst.backupRetentionPeriod,
      status: 'active',
      earliest: this.world.clock.now(),
      port: inst.port,
    });
  }

  /** DescribeDBInstances shape of one instance. */
  shape(inst: DbInstance) {
    const statusInfos = inst.source
      ? [
          inst.replication === 'replicating'
            ? { StatusType: 'read replication', Normal: true, Status: 'replicating' }
            : inst.replication === 'terminated'
              ? { StatusType: 'read replication', Normal: false, Status: 'terminated', Message: 'Replication has been terminated.' }
              : {
                  StatusType: 'read replication',
                  Normal: false,
                  Status: inst.replication ?? 'error',
                  Message: 'Replication has stopped: the source DB instance is not reachable.',
                },
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
      DBSubnetGroup: {
        DBSubnetGroupName: inst.subnetGroupName,
        DBSubnetGroupDescription: `subnets of ${inst.vpcId}`,
        VpcId: inst.vpcId,
        SubnetGroupStatus: 'Complete',
      },
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

  /** The Aurora cluster (in `region`) whose member instance is `id` (e.g. `<cluster>-instance-1`), if any. */
  protected clusterOfMember(id: string, region: string): DbCluster | undefined {
    const lower = id.toLowerCase();
    if (this.instances.has(key(region, lower))) return undefined;
    return [...this.clusters.values()].find((c) => c.region === region && c.instances.includes(lower));
  }

  /**
   * DescribeDBInstances shape of an Aurora member instance. Members are not modelled one by one:
   * the writer (first member) and readers take their status and endpoint family from the cluster.
   */
  protected memberShape(c: DbCluster, id: string) {
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

  protected findCluster(idOrArn: string | undefined, region: string): DbCluster {
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
}
