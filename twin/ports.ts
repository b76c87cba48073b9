/**
 * The small interfaces the twin's pieces depend on, instead of the whole `World`: the clock, the
 * timeline log, randomness, Region state and the API pipeline, plus the narrow view each service
 * has of the others (what RDS needs of the network, what the network needs of RDS and EC2, ...).
 *
 * `World` (twin/world.ts) implements all of them. This module only names types, and imports
 * only modules that import nothing of the world or of a service class, so the import graph of
 * twin/ has no cycle, type-only imports included (test/tooling/import-cycles.test.ts).
 */
import type { VirtualClock } from './clock.js';
import type { ServiceKey } from './errors.js';
import type { IamRegistry } from './iam.js';
import type { RngStreams } from './random.js';
import type { CallCtx } from './services/base.js';
import type { DbCluster, DbInstance, InstanceSpec } from './services/rds-model.js';

export type TimelineSource = 'fault' | 'alarm' | 'workflow' | 'operator' | 'cloud';

/** One line of the run's story. `t` is virtual seconds since the world started (docs/scenarios.md). */
export interface TimelineEntry {
  readonly t: number;
  readonly at: string;
  readonly source: TimelineSource;
  readonly event: string;
  readonly detail: Record<string, unknown>;
}

/** Appends to the timeline at the current virtual time. */
export interface TimelineLog {
  log(source: TimelineSource, event: string, detail?: Record<string, unknown>): TimelineEntry;
}

/** The account, virtual time and its start, the seeded randomness. */
export interface TwinClockAndRandomness {
  readonly accountId: string;
  readonly startMs: number;
  readonly clock: VirtualClock;
  readonly rng: RngStreams;
}

/** Which Regions are out. */
export interface RegionState {
  /** True while the Region is out (no instance, vantage point or API endpoint there answers). */
  isRegionOut(region: string | undefined): boolean;
}

/** What every service model gets: clock, randomness, log and Region state. */
export interface TwinCore extends TwinClockAndRandomness, TimelineLog, RegionState {}

/** The single API pipeline (count, outage, faults, quotas, IAM, model): for services that call others as a principal. */
export interface ApiCaller {
  call(service: ServiceKey, operation: string, input: unknown, ctx: CallCtx): Promise<unknown>;
}

/** IAM roles, for services that act as a role (CloudFormation, FIS). */
export type RoleRegistry = Pick<IamRegistry, 'hasRole' | 'assumeRole'>;

// ------------------------------------------------------------------ views of one service by another

/** Where a connection comes from (for rule matching); undefined fields match any rule source. */
export interface ConnectionSource {
  readonly ip?: string;
  readonly securityGroupId?: string;
}

/** One accepted write. */
export interface WriteRecord {
  /** Instance (or cluster) id at the time of the write. */
  readonly target: string;
  /** The instance's immutable resource id: tells a renamed instance from a new one with the old name. */
  readonly resourceId?: string;
  readonly region: string;
  /** Virtual ms since epoch, and seconds since the world started. */
  readonly at: number;
  readonly t: number;
  readonly vantage?: string;
  readonly callerRegion?: string;
  readonly functionName?: string;
  readonly sql: string;
}

/** RDS as the network, EC2, FIS and CloudFormation see it. */
export interface RdsView {
  getInstance(id: string, region?: string): DbInstance | undefined;
  getCluster(id: string, region?: string): DbCluster | undefined;
  allInstances(): DbInstance[];
  allClusters(): DbCluster[];
  clusterEndpoint(c: DbCluster, reader?: boolean): string;
  clusterTakesWrites(c: DbCluster): boolean;
  replicaDataUpTo(inst: DbInstance): number;
  createInstance(spec: InstanceSpec): DbInstance;
}

/** EC2's VPCs, subnets and security groups as the network, RDS and FIS see them. */
export interface Ec2View {
  declareVpc(region: string, vpcId: string): void;
  vpcOf(region: string, id: string): string | undefined;
  hasSubnet(region: string, id: string): boolean;
  subnetVpc(region: string, id: string): string | undefined;
  subnetDatabases(region: string, id: string): string[];
  hasGroup(region: string, id: string): boolean;
  allowsIngress(region: string, groupIds: readonly string[], port: number, source?: ConnectionSource): { allowed: boolean; untracked: boolean };
}

/** The network as RDS, EC2 and FIS see it: sessions, data inheritance, disruptions. */
export interface NetworkView {
  readonly writes: WriteRecord[];
  dropSessions(target: object, reason: string): void;
  inheritData(promoted: object, source: object, upToMs: number): void;
  onInstanceGroupsChange(inst: DbInstance): void;
  onSecurityGroupChange(region: string, groupId: string): void;
  /** Cuts a database's network; the returned function ends that cut (twin/network.ts). */
  disrupt(id: string): () => void;
}

/** Route 53's resolver as the network sees it. */
export interface DnsResolver {
  resolve(name: string): { chain: string[]; final: string; ttl: number } | undefined;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** CloudWatch as RDS (metrics) and FIS (stop alarms) see it. */
export interface MetricsView {
  putInternal(region: string, namespace: string, name: string, dimensions: { Name: string; Value: string }[], value: number, t?: number): void;
  onAlarmStateChange(listener: (region: string, name: string, value: AlarmStateValue) => void): void;
  hasAlarm(region: string, name: string): boolean;
  alarmState(region: string, name: string): AlarmStateValue | undefined;
}

/** EventBridge's default bus as the services that emit AWS events see it. */
export interface AwsEventSink {
  emitAws(region: string, e: { source: string; detailType: string; detail: unknown; resources?: string[]; daemon?: boolean }): unknown;
}

/** SNS as CloudWatch and EventBridge see it (deliveries to a topic). */
export interface TopicPublisher {
  publishInternal(topicArn: string, message: string, subject?: string, attributes?: Record<string, unknown>): unknown;
}

/** Lambda as EventBridge sees it (a target invocation). */
export interface FunctionInvoker {
  invokeInternal(region: string, functionName: string, event: unknown, type: 'Event' | 'RequestResponse'): Promise<unknown>;
}
