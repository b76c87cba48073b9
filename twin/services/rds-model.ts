/**
 * RDS's data model: the state of DB instances, clusters, global clusters, snapshots and backups,
 * the records the drill judges (promotions, deletions) and the constants of endpoints, statuses,
 * WAL and promotion backups. Types and constants only, so that the network and the other
 * services can name them without importing the RDS service (twin/services/rds.ts).
 */
/** Statuses in which the database process runs and accepts connections. */
export const RUNNING_STATUSES: ReadonlySet<string> = new Set([
  'available',
  'backing-up',
  'modifying',
  'storage-optimization',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'renaming',
  'resetting-master-credentials',
  'storage-full',
  'maintenance',
]);

/** The fixed "cluster id" part of every twin endpoint: <id>.c0abcdefghij.<region>.rds.amazonaws.com */
export const ENDPOINT_SUFFIX = 'c0abcdefghij';
export const instanceEndpoint = (id: string, region: string): string => `${id}.${ENDPOINT_SUFFIX}.${region}.rds.amazonaws.com`;

export interface Ref {
  region: string;
  id: string;
}

/** Internal state of one DB instance. */
export interface DbInstance {
  id: string;
  region: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  status: string;
  dbiResourceId: string;
  port: number;
  /** Address that resolves in DNS now (undefined: no DNS name, e.g. creating or just renamed). */
  liveAddress?: string;
  vpcSecurityGroups: { VpcSecurityGroupId: string; Status: 'active' | 'adding' | 'removing' }[];
  /** The VPC the instance lives in (its DB subnet group's VPC): its security groups must be of that VPC. */
  vpcId: string;
  subnetGroupName: string;
  /** Source as DescribeDBInstances reports it: the id (same Region) or the ARN (cross-Region). */
  sourceReported?: string;
  source?: Ref;
  replicas: Ref[];
  replication?: 'replicating' | 'error' | 'stopped' | 'terminated';
  /**
   * The replica's apply delay, seconds: it holds its source's writes up to now minus this, but
   * never less than `lagFromMs` (a lag fault slows replication, it cannot un-apply data).
   */
  lagSeconds: number;
  /** Up to which moment (ms) the replica held its source's writes when its lag was last set: its data never goes back before it. */
  lagFromMs?: number;
  catchUp?: { fromSeconds: number; startMs: number; durationMs: number };
  /** While CreateDBInstanceReadReplica builds it: it holds its source's writes up to the request (ms), no later. */
  creatingUpToMs?: number;
  /** When the data flow from the source stopped (source unreachable, promotion), for lag and data loss. */
  sourceDownSince?: number;
  lagAtSourceDown?: number;
  backupRetentionPeriod: number;
  multiAZ: boolean;
  deletionProtection: boolean;
  allocatedStorage: number;
  storageType: string;
  masterUsername: string;
  masterPassword?: string;
  dbName?: string;
  createdAt: number;
  crashed: boolean;
  statusBeforeCrash?: string;
  pending: Record<string, unknown>;
  /** Bumped by operations that supersede scheduled transitions (delete). */
  gen: number;
  /** Refuse connections while an outage step of a change runs (class change, reboot inside promotion). */
  outage: boolean;
  clusterId?: string;
  /** The DB parameter group and whether its parameters are applied (docs/aws-behaviour.md, "Parameter groups of read replicas"). */
  parameterGroup: string;
  parameterApplyStatus: 'in-sync' | 'applying' | 'pending-reboot';
}

export interface InstanceSpec {
  readonly id: string;
  readonly region: string;
  readonly engine?: string;
  readonly engineVersion?: string;
  readonly instanceClass?: string;
  readonly port?: number;
  readonly securityGroupIds?: readonly string[];
  /** VPC of the instance. @default the twin's database VPC of the Region */
  readonly vpcId?: string;
  readonly backupRetentionPeriod?: number;
  readonly multiAZ?: boolean;
  readonly deletionProtection?: boolean;
  readonly masterUsername?: string;
  readonly masterPassword?: string;
  readonly dbName?: string;
  readonly allocatedStorage?: number;
  /** Make it a read replica of this instance (any Region), available and replicating. */
  readonly replicaOf?: { readonly region: string; readonly id: string };
  /** Initial replica lag in seconds. @default 0 */
  readonly lagSeconds?: number;
  /** Initial status. @default available */
  readonly status?: string;
  /** DB parameter group. @default the source's (a replica), else the engine's default group `default.<family>` */
  readonly parameterGroup?: string;
}

/** The engine's default DB parameter group, e.g. `default.postgres16`, `default.mysql8.0`. */
export function defaultParameterGroup(engine: string, engineVersion: string): string {
  const major = engine.includes('postgres') ? engineVersion.split('.')[0] : engineVersion.split('.').slice(0, 2).join('.');
  return `default.${engine}${major}`;
}

/**
 * May CreateDBInstanceReadReplica name a parameter group? Only MySQL cross-Region replicas, Oracle
 * and Db2 (and Multi-AZ DB cluster replicas, not modelled); PostgreSQL and the rest are refused
 * with InvalidParameterCombination (docs/aws-behaviour.md, "Parameter groups of read replicas").
 */
export const replicaMayNameParameterGroup = (engine: string, crossRegion: boolean): boolean =>
  (engine === 'mysql' && crossRegion) || engine.startsWith('oracle') || engine.startsWith('db2');

export interface Snapshot {
  id: string;
  region: string;
  instanceId: string;
  dbiResourceId: string;
  engine: string;
  engineVersion: string;
  type: 'manual' | 'automated';
  status: 'creating' | 'available';
  createdAt: number;
  port: number;
  allocatedStorage: number;
  masterUsername: string;
}

export interface AutomatedBackup {
  region: string;
  instanceId: string;
  dbiResourceId: string;
  engine: string;
  retention: number;
  status: 'active' | 'retained';
  earliest: number;
  latest?: number;
  port: number;
  /** A replica of the source Region's automated backups (cross-Region backup replication): its Region. */
  replicatedFrom?: string;
}

/** A finished promotion: who, when, and up to which moment of the source's writes it holds. */
export interface PromotionRecord {
  instanceId: string;
  region: string;
  /** The promoted instance's resource id (instances only). */
  resourceId?: string;
  sourceId?: string;
  /** The source's resource id (its identity across renames). */
  sourceResourceId?: string;
  startedAt: number;
  /** When the instance became standalone and writable (the replication link broken, the reboot over). */
  completedAt?: number;
  /** When the backup RDS takes during the promotion finished and the instance became `available` (none taken: the same as `completedAt`). */
  backupCompletedAt?: number;
  /** Source writes after this time (ms) are missing from the promoted instance. */
  dataUpToMs: number;
}

/** A deletion, for the `no-data-destroyed` invariant. */
export interface DeletionRecord {
  instanceId: string;
  /** The deleted instance's resource id. */
  resourceId?: string;
  region: string;
  t: number;
  finalSnapshot?: string;
  retainedAutomatedBackups: boolean;
}

export interface DbCluster {
  id: string;
  region: string;
  engine: string;
  status: string;
  port: number;
  globalClusterId?: string;
  instances: string[];
  crashed: boolean;
  statusBeforeCrash?: string;
  /** Aurora global replication lag of a secondary (its apply delay), ms: see {@link RdsService.clusterDataUpTo}. */
  lagMs: number;
  /** Up to which moment (ms) the secondary held the writer's writes when its lag was last set: its data never goes back before it. */
  lagFromMs?: number;
  /** While the secondary cannot reach the writer (crashed, a Region out): what it held, and its lag (ms), when it lost it. */
  writerDown?: { upToMs: number; lagMs: number };
  securityGroupIds: string[];
  createdAt: number;
}

export interface GlobalCluster {
  id: string;
  engine: string;
  members: Ref[];
  writer: Ref;
  status: string;
  failoverState?: { Status: string; FromDbClusterArn: string; ToDbClusterArn: string; IsDataLossAllowed: boolean };
  /** Members waiting to resync after a failover with data loss. */
  pendingResync: Set<string>;
}

/** RDS switches the WAL segment of a PostgreSQL instance every 5 minutes (archive_timeout 300 s). */
export const WAL_SWITCH_MS = 5 * 60_000;
/** WAL bytes one modelled write produces (OldestReplicationSlotLag counts bytes, not writes). */
export const WAL_BYTES_PER_WRITE = 256;

/**
 * The database behind the instances, as far as the time of a promotion depends on it
 * (docs/aws-behaviour.md, "Promotion and its backup"): a scenario's `world.dataSizeGiB` and
 * `world.writesPerSecond`.
 */
export interface RdsWorkload {
  /** Data to back up, GiB. 0: a backup so small it takes no time (the promotion is its reboot only). */
  dataSizeGiB: number;
  /** Application writes per second (each simulated client). */
  writesPerSecond: number;
}

/** A first, full backup copies about 100 MiB/s: 8 to 12 s per GiB (drawn per promotion). */
export const PROMOTION_BACKUP_SECONDS_PER_GIB = { min: 8, max: 12 } as const;
/** Each application write per second slows the backup by this fraction (the changes it has to capture). */
export const PROMOTION_BACKUP_SLOWDOWN_PER_WRITE_PER_SECOND = 0.1;
