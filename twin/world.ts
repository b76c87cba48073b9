/**
 * The cloud twin's world: one virtual clock, one seeded RNG, every simulated service, the network,
 * a timeline of what happened, API call counters and the fault-injection API.
 *
 * Every API call from the SDK twin goes through {@link World.call}: count it, fail it if its
 * Region is out (TimeoutError, as a real timed-out call), apply injected faults, check IAM, then
 * run the service model.
 */
import { VirtualClock, TWIN_EPOCH_MS } from './clock.js';
import { awsError, timeoutError, THROTTLING_ERROR, SERVICES, type ServiceKey } from './errors.js';
import { ACCOUNT_ID, IamRegistry, authorize } from './iam.js';
import { NetworkModel } from './network.js';
import { RngStreams } from './random.js';
import type { CallCtx, OpHandler, ServiceModel } from './services/base.js';
import { CloudFormationService } from './services/cloudformation.js';
import { CloudWatchService } from './services/cloudwatch.js';
import { DynamoDbService } from './services/dynamodb.js';
import { Ec2Service } from './services/ec2.js';
import { EventBridgeService, type TwinEvent } from './services/eventbridge.js';
import { FisService } from './services/fis.js';
import { LambdaService } from './services/lambda.js';
import { RdsService } from './services/rds.js';
import { SchedulerService } from './services/scheduler.js';
import { Route53Service } from './services/route53.js';
import { SecretsManagerService } from './services/secrets-manager.js';
import { SfnService } from './services/sfn.js';
import { SnsService } from './services/sns.js';

import type { TimelineEntry, TimelineSource, TwinCore, ApiCaller } from './ports.js';

export type { TimelineEntry, TimelineSource } from './ports.js';

export interface WorldOptions {
  /** Seed of every random draw. @default 1 */
  readonly seed?: number | string;
  /** Start of virtual time (ms since epoch). @default 2026-01-01T00:00:00Z */
  readonly startMs?: number;
  /**
   * The account's API request quotas: a call over its quota fails with the service's throttling
   * error. A drill's world has AWS's ({@link DEFAULT_API_QUOTAS}, twin/drill/run.ts). @default none:
   * a world whose clock a test never moves would see every call in the same millisecond.
   */
  readonly apiQuotas?: Partial<Record<ServiceKey, ApiQuota>>;
}

/**
 * A request quota as AWS enforces it: a token bucket of `burst` tokens refilled at `perSecond`,
 * one token per request, per account (and per Region unless `global`).
 */
export interface ApiQuota {
  readonly burst: number;
  readonly perSecond: number;
  /** One bucket for the whole account (Route 53 is a global service). @default false (one per Region) */
  readonly global?: boolean;
}

/**
 * The request quotas of every drill's account (docs/aws-behaviour.md "API request quotas"):
 * Route 53 allows 5 requests per second per account across all its APIs; RDS a burst of 300
 * requests and 12 per second sustained, per account and Region.
 */
export const DEFAULT_API_QUOTAS: Partial<Record<ServiceKey, ApiQuota>> = {
  route53: { burst: 5, perSecond: 5, global: true },
  rds: { burst: 300, perSecond: 12 },
};

/** One API call, as {@link World.onCall} listeners see it. */
export interface ApiCall {
  readonly service: ServiceKey;
  readonly operation: string;
  readonly input: unknown;
  readonly ctx: CallCtx;
}

/** Wraps an API call: answers it, normally with `proceed()` (see {@link World.onCall}). */
export type CallListener = (call: ApiCall, proceed: () => Promise<unknown>) => Promise<unknown>;

interface InjectedFault {
  readonly kind: 'throttle' | 'error';
  readonly service: ServiceKey;
  readonly operation?: string;
  readonly code: string;
  remaining: number;
}

export class World implements TwinCore, ApiCaller {
  readonly accountId = ACCOUNT_ID;
  readonly seed: number | string;
  readonly startMs: number;
  readonly clock: VirtualClock;
  readonly rng: RngStreams;
  readonly timeline: TimelineEntry[] = [];
  /** "<service>:<Operation>" -> number of calls (including failed ones). */
  readonly apiCalls: Record<string, number> = {};
  /** Calls that ran with no principal in the call context, so no IAM check happened. */
  readonly uncheckedCalls: Record<string, number> = {};
  readonly iam = new IamRegistry();
  readonly network: NetworkModel;
  readonly events: EventBridgeService;
  readonly cloudwatch: CloudWatchService;
  readonly rds: RdsService;
  readonly route53: Route53Service;
  readonly dynamodb: DynamoDbService;
  readonly ec2: Ec2Service;
  readonly sns: SnsService;
  readonly sfn: SfnService;
  readonly cloudformation: CloudFormationService;
  readonly lambda: LambdaService;
  readonly secretsmanager: SecretsManagerService;
  readonly fis: FisService;
  /** EventBridge Scheduler: created by deploy, fires in virtual time (no SDK client calls it). */
  readonly scheduler: SchedulerService;

  private readonly outRegions = new Set<string>();
  private readonly callListeners: CallListener[] = [];
  private readonly logListeners: Array<(entry: TimelineEntry) => void> = [];
  private readonly faults: InjectedFault[] = [];
  private readonly quotas = new Map<ServiceKey, ApiQuota>();
  /** Token buckets by "<service>/<region or global>". */
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  /** Calls refused by a quota, by "<service>:<Operation>". */
  readonly throttledCalls: Record<string, number> = {};
  /**
   * Whether the SDK's retry backoff of the current call takes (virtual) time (twin/sdk.ts). A drill
   * sets it for the calls of Step Functions tasks and their functions, which the global (fake)
   * timers drive; the world's own scheduled work (heartbeats, EventBridge targets) is awaited by
   * the world's clock and cannot sleep on those timers, so it retries at once, as unit tests do.
   */
  sdkBackoff?: () => boolean;

  constructor(options: WorldOptions = {}) {
    this.seed = options.seed ?? 1;
    this.startMs = options.startMs ?? TWIN_EPOCH_MS;
    this.clock = new VirtualClock(this.startMs);
    this.rng = new RngStreams(this.seed);
    for (const [service, quota] of Object.entries(options.apiQuotas ?? {})) if (quota) this.quotas.set(service as ServiceKey, quota);
    this.network = new NetworkModel(this);
    this.events = new EventBridgeService(this);
    this.cloudwatch = new CloudWatchService(this);
    this.ec2 = new Ec2Service(this);
    this.rds = new RdsService(this);
    this.route53 = new Route53Service(this);
    this.dynamodb = new DynamoDbService(this);
    this.sns = new SnsService(this);
    this.sfn = new SfnService(this);
    this.cloudformation = new CloudFormationService(this);
    this.lambda = new LambdaService(this);
    this.secretsmanager = new SecretsManagerService(this);
    this.fis = new FisService(this);
    this.scheduler = new SchedulerService(this);
  }

  /** Every service model by key. */
  services(): Record<ServiceKey, ServiceModel> {
    return {
      rds: this.rds,
      route53: this.route53,
      dynamodb: this.dynamodb,
      cloudwatch: this.cloudwatch,
      events: this.events,
      ec2: this.ec2,
      sns: this.sns,
      sfn: this.sfn,
      cloudformation: this.cloudformation,
      lambda: this.lambda,
      secretsmanager: this.secretsmanager,
      fis: this.fis,
    };
  }

  /** Appends to the timeline at the current virtual time. */
  log(source: TimelineSource, event: string, detail: Record<string, unknown> = {}): TimelineEntry {
    const now = this.clock.now();
    const entry = { t: (now - this.startMs) / 1000, at: new Date(now).toISOString(), source, event, detail };
    this.timeline.push(entry);
    for (const listener of [...this.logListeners]) listener(entry);
    return entry;
  }

  /** True while the Region is out (no instance, vantage point or API endpoint there answers). */
  isRegionOut(region: string | undefined): boolean {
    return region !== undefined && this.outRegions.has(region);
  }

  /** Regions currently out. */
  regionsOut(): string[] {
    return [...this.outRegions].sort();
  }

  /**
   * One API call through the whole pipeline: count, outage, injected faults, rate limits, IAM,
   * then the service model. Route 53 is global and ignores Region outages (see README). The
   * listeners of {@link onCall} wrap it, the last one added outermost.
   */
  call(service: ServiceKey, operation: string, input: unknown, ctx: CallCtx): Promise<unknown> {
    const listeners = this.callListeners;
    if (listeners.length === 0) return this.dispatch(service, operation, input, ctx);
    const apiCall: ApiCall = { service, operation, input, ctx };
    let next = (): Promise<unknown> => this.dispatch(service, operation, input, ctx);
    for (const listener of [...listeners]) {
      const inner = next;
      next = () => listener(apiCall, inner);
    }
    return next();
  }

  /**
   * Listens to every API call: `listener(call, proceed)` runs in place of the call and returns
   * what it answers, normally `proceed()` (the rest of the pipeline), after noting what it needs
   * (the drill records every call and the execution it ran for). Returns the unsubscribe function.
   */
  onCall(listener: CallListener): () => void {
    this.callListeners.push(listener);
    return () => {
      const i = this.callListeners.indexOf(listener);
      if (i >= 0) this.callListeners.splice(i, 1);
    };
  }

  /** Listens to every timeline entry as it is logged (after it is appended). Returns the unsubscribe function. */
  onLog(listener: (entry: TimelineEntry) => void): () => void {
    this.logListeners.push(listener);
    return () => {
      const i = this.logListeners.indexOf(listener);
      if (i >= 0) this.logListeners.splice(i, 1);
    };
  }

  private async dispatch(service: ServiceKey, operation: string, input: unknown, ctx: CallCtx): Promise<unknown> {
    const key = `${service}:${operation}`;
    this.apiCalls[key] = (this.apiCalls[key] ?? 0) + 1;
    if (service !== 'route53' && this.isRegionOut(ctx.region)) throw timeoutError(service, operation, ctx.region);
    const model = this.services()[service];
    const handler = (model.operations as Partial<Record<string, OpHandler>>)[operation];
    if (!handler) throw awsError(service, 'UnknownOperationException', `twin: ${key} is not modelled`);
    const fault = this.takeFault(service, operation);
    if (fault) throw fault;
    this.checkQuota(service, operation, ctx.region);
    if (ctx.principal) {
      const auth = model.authorization(operation, input ?? {}, ctx);
      for (const a of Array.isArray(auth) ? auth : [auth]) authorize(service, ctx.principal, a);
    } else {
      this.uncheckedCalls[key] = (this.uncheckedCalls[key] ?? 0) + 1;
    }
    return handler(input ?? {}, ctx);
  }

  // ------------------------------------------------------------------ fault injection

  /** Takes a Region out (or brings it back). Instances there keep their state. */
  regionOutage(region: string, on: boolean): void {
    if (on === this.outRegions.has(region)) return;
    if (on) this.outRegions.add(region);
    else this.outRegions.delete(region);
    this.log('fault', on ? `region ${region} out` : `region ${region} recovered`, { region });
    if (on) {
      // Nothing in the Region answers: open sessions to its databases time out on the clients'
      // side (TCP keepalive, driver timeouts) and are gone when the Region comes back; clients
      // reconnect through DNS like any other client. (Deliberate: an outage of minutes or more.)
      for (const db of [...this.rds.allInstances(), ...this.rds.allClusters()]) {
        if (db.region === region) this.network.dropSessions(db, 'region outage');
      }
    }
    this.rds.onConnectivityChange();
    this.events.onRegionChange(region, on);
  }

  /** The instance (or Aurora cluster) stops: RDS reports it `failed`, nothing connects. */
  crashInstance(id: string, region?: string): void {
    this.rds.crash(id, region);
  }

  /** Undoes {@link crashInstance}: the instance comes back as it was. */
  recoverInstance(id: string, region?: string): void {
    this.rds.recover(id, region);
  }

  /** The listed vantage points can no longer reach the instance (it stays alive for everyone else). */
  partition(vantages: readonly string[], instanceId: string): void {
    this.network.partition(vantages, instanceId);
    this.log('fault', `partition: ${vantages.join(', ')} cannot reach ${instanceId}`, { vantages: [...vantages], instanceId });
  }

  /** Heals partitions (all of them, or those of one instance / some vantage points). */
  heal(vantages?: readonly string[], instanceId?: string): void {
    this.network.heal(vantages, instanceId);
    this.log('fault', `partition healed${instanceId ? ` for ${instanceId}` : ''}`, {
      vantages: vantages ? [...vantages] : 'all',
      instanceId: instanceId ?? 'all',
    });
  }

  /** The replica's replication lag becomes `seconds` (0 = caught up). */
  setReplicaLag(id: string, seconds: number, region?: string): void {
    this.rds.setLag(id, seconds, region);
    this.log('fault', `replica lag of ${id} set to ${seconds}s`, { instanceId: id, seconds });
  }

  /** The next `count` calls (of one operation, or any) fail with the service's throttling error. */
  throttle(service: ServiceKey, operation: string | undefined, count: number): void {
    assertService(service);
    this.faults.push({ kind: 'throttle', service, operation, code: THROTTLING_ERROR[service], remaining: count });
    this.log('fault', `throttle next ${count} ${service}${operation ? `:${operation}` : ''} calls`, { service, operation, count });
  }

  /** The next `count` calls of that operation fail with that error code. */
  apiError(service: ServiceKey, operation: string, code: string, count: number): void {
    assertService(service);
    this.faults.push({ kind: 'error', service, operation, code, remaining: count });
    this.log('fault', `next ${count} ${service}:${operation} calls fail with ${code}`, { service, operation, code, count });
  }

  /** The next `count` invocations of that function fail (see LambdaService.takeInjectedFailure). */
  lambdaError(functionName: string, count: number): void {
    this.lambda.injectFailures(functionName, count);
    this.log('fault', `next ${count} invocations of ${functionName} fail`, { functionName, count });
  }

  /** The next event matching `match` is delivered `extra` more times to every target. */
  duplicateNextEvent(match: (event: TwinEvent) => boolean, extra: number, label = 'event'): void {
    this.events.duplicateNext(match, extra);
    this.log('fault', `next ${label} delivered ${extra} extra times`, { extra });
  }

  /**
   * Sets the service's request quota to `perSecond` requests per second (a bucket of as many:
   * Route 53's 5 requests/s per account is `rateLimit('route53', 5)`); more calls fail with the
   * throttling error. `undefined` removes the quota. See {@link quota} for a burst.
   */
  rateLimit(service: ServiceKey, perSecond: number | undefined): void {
    this.quota(
      service,
      perSecond === undefined ? undefined : { burst: perSecond, perSecond, global: this.quotas.get(service)?.global ?? service === 'route53' },
    );
  }

  /** Sets (or, `undefined`, removes) the service's token-bucket request quota; buckets start full. */
  quota(service: ServiceKey, quota: ApiQuota | undefined): void {
    assertService(service);
    for (const k of [...this.buckets.keys()]) if (k.startsWith(`${service}/`)) this.buckets.delete(k);
    if (quota === undefined) this.quotas.delete(service);
    else this.quotas.set(service, quota);
  }

  /** The service's request quota, if any. */
  quotaOf(service: ServiceKey): ApiQuota | undefined {
    return this.quotas.get(service);
  }

  private takeFault(service: ServiceKey, operation: string): Error | undefined {
    const i = this.faults.findIndex((f) => f.service === service && (f.operation === undefined || f.operation === operation) && f.remaining > 0);
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.remaining--;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    this.log('cloud', `${service}:${operation} failed with injected ${f.code}`, { service, operation, code: f.code });
    return awsError(service, f.code, f.kind === 'throttle' ? 'Rate exceeded' : `Injected fault: ${f.code}`);
  }

  /** Takes a token from the service's bucket, or throws its throttling error (the call does nothing). */
  private checkQuota(service: ServiceKey, operation: string, region: string): void {
    const q = this.quotas.get(service);
    if (!q) return;
    const key = `${service}/${q.global ? 'global' : region}`;
    const now = this.clock.now();
    const b = this.buckets.get(key) ?? { tokens: q.burst, atMs: now };
    b.tokens = Math.min(q.burst, b.tokens + ((now - b.atMs) / 1000) * q.perSecond);
    b.atMs = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) {
      const k = `${service}:${operation}`;
      this.throttledCalls[k] = (this.throttledCalls[k] ?? 0) + 1;
      this.log('cloud', `${k} throttled (quota ${q.perSecond}/s, burst ${q.burst}${q.global ? ', account-wide' : ` in ${region}`})`, {
        service,
        operation,
        region,
      });
      throw awsError(service, THROTTLING_ERROR[service], 'Rate exceeded');
    }
    b.tokens -= 1;
  }
}

function assertService(service: string): asserts service is ServiceKey {
  if (!(SERVICES as readonly string[]).includes(service)) throw new Error(`unknown service ${service}; one of ${SERVICES.join(', ')}`);
}
