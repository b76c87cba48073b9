/**
 * The scenario's events in the world: faults (with the ground truth the liveness oracle reads),
 * alarm flaps, operator actions (approvals, failover and drill requests, failback), and crash
 * injection with its recovery; plus the sampling the judge needs of the roles they act on.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { decideApproval, listPendingApprovals } from '../../lambdas/shared/approvals.js';
import { CONTROL_PLANE_VANTAGE } from '../../lambdas/shared/config-schema.js';
import { DETAIL_TYPES } from '../../lambdas/shared/contracts.js';
import { alarmName, GAME_DAY_EVENT_SOURCE, OPERATOR_EVENT_SOURCE } from '../../lambdas/shared/names.js';
import { twinContext } from '../context.js';
import type { ServiceKey } from '../errors.js';
import { isFaultEvent, type FaultEvent, type OperatorEvent, type Scenario, type ScenarioAlarm, type ScenarioEvent } from '../scenario/schema.js';
import type { DbCluster, DbInstance } from '../services/rds.js';
import type { World } from '../world.js';
import type { DeployedDatabase, DeployedSite, Deployment } from './deploy.js';
import type { AppliedEvent } from './measure.js';
import { DATA_BEHIND_SAMPLE_MS, type AnswerTruth, type FaultTruth, type GroundTruth } from './liveness.js';
import type { CrashPlan, ExecutionRecord } from './sfn-runtime.js';
import type { RealDrill } from '../real/bridge.js';
import { shortName } from './narrator.js';

/**
 * An injected crash (twin/drill/sfn-runtime.ts `armCrash`) and how the operator recovers:
 * `redrive` (RedriveExecution: the same execution goes on from the state that did not finish),
 * `restart` (StartExecution of the same machine with the original input, a new name: the product
 * acts on nothing the stopped run had not decided: a lease it still holds is reported `blocked`, a
 * released one meets the cooldown or the stale-trigger check), `operator-failover` (the
 * operator decides to fail over by hand, `failover start`, which takes the stopped run's lease
 * over: a human decision, so it may promote where the stopped run would not have) or `none`.
 */
export interface DrillCrash extends CrashPlan {
  recover: 'redrive' | 'restart' | 'operator-failover' | 'none';
  /** Virtual seconds from the crash to the recovery. @default 120 */
  recoverAfterSeconds?: number;
}

/** Schedules the scenario's events on the world's clock (alarm flaps as their own series); what was applied, for the judge. */
export function scheduleEvents(
  world: World,
  deployment: Deployment,
  db: DeployedDatabase,
  roles: RoleResources,
  truth: GroundTruth,
  scenario: Scenario,
  real?: RealDrill,
): AppliedEvent[] {
  const applied: AppliedEvent[] = [];
  for (const event of scenario.events) {
    const when = world.startMs + event.at * 1000;
    if (isFaultEvent(event) && event.fault === 'alarm-flap') {
      scheduleFlaps(world, deployment, db, event, when, scenario.alarms ?? []);
      truth.faults.push({ at: when, fault: event.fault, effective: true, seconds: event.count * event.every });
      applied.push({ at: when, kind: event.fault, failure: false });
      continue;
    }
    world.clock.schedule(
      { at: when },
      async () => {
        await applyEvent(world, deployment, db, roles, truth, event);
        if (real && isFaultEvent(event)) real.onFault(event, { primaryRegion: db.primary.region, standbyRegion: db.standby.region });
      },
      isFaultEvent(event) ? `fault ${event.fault}` : `operator ${event.operator}`,
    );
    applied.push({ at: when, kind: isFaultEvent(event) ? event.fault : `operator ${event.operator}`, failure: isFailure(event, db) });
  }
  return applied;
}

/** Faults that stop the primary taking writes from someone. */
export function isFailure(event: ScenarioEvent, db: DeployedDatabase): boolean {
  if (!isFaultEvent(event)) return false;
  if (event.fault === 'primary-crash' || event.fault === 'primary-unreachable') return true;
  return event.fault === 'region-outage' && event.region === db.primary.region;
}

/** Arms the crash; once it has happened, the operator recovers the execution `recoverAfterSeconds` later. */
export function armCrash(world: World, deployment: Deployment, crash: DrillCrash): void {
  deployment.sfn.armCrash(crash, (e) => {
    if (crash.recover === 'none') return;
    const delayMs = (crash.recoverAfterSeconds ?? 120) * 1000;
    world.clock.schedule(
      delayMs,
      () => recoverCrashed(world, deployment, crash.recover as Exclude<DrillCrash['recover'], 'none'>, e),
      `operator ${crash.recover} ${e.name}`,
    );
  });
}

export async function recoverCrashed(world: World, deployment: Deployment, how: Exclude<DrillCrash['recover'], 'none'>, e: ExecutionRecord): Promise<void> {
  const region = e.stateMachineArn.split(':')[3] ?? deployment.controlRegion;
  const as = { principal: deployment.operator, region, vantage: 'drill-operator' };
  await twinContext.run(as, async () => {
    try {
      if (how === 'redrive') {
        world.log('operator', `operator redrives ${e.stateMachine} ${shortName(e.name)} (it stopped at "${e.crash?.state ?? '?'}")`, {
          operator: 'redrive',
          execution: e.name,
        });
        await world.call('sfn', 'RedriveExecution', { executionArn: e.arn }, { region, principal: deployment.operator });
      } else if (how === 'operator-failover' && e.database && deployment.databases[e.database]) {
        // An operator decides to fail over by hand (`failover start`: an operator request on the
        // product bus), which takes over the lease the stopped run left.
        await applyOperator(world, deployment, deployment.databases[e.database]!, { at: 0, operator: 'start-failover' } as OperatorEvent);
      } else {
        const name = `${e.name}-restart`.slice(0, 80);
        world.log('operator', `operator starts ${e.stateMachine} again with the input of ${shortName(e.name)} (new execution ${shortName(name)})`, {
          operator: 'restart',
          execution: e.name,
        });
        await world.call(
          'sfn',
          'StartExecution',
          { stateMachineArn: e.stateMachineArn, name, input: JSON.stringify(e.input ?? {}) },
          { region, principal: deployment.operator },
        );
      }
    } catch (err) {
      world.log('operator', `the ${how} was refused: ${(err as Error).name}: ${(err as Error).message}`, { operator: how, error: (err as Error).name });
    }
  });
}

/** Vantage names of the heartbeats whose Region has only partitioned vantage points ("alarms fed only by them"). */
export function partitionedHeartbeats(deployment: Deployment, db: DeployedDatabase, from: readonly string[]): string[] {
  const vps = db.config.detection.vantagePoints;
  return deployment.lambdas
    .all()
    .filter((f) => f.fn.folder === 'heartbeat')
    .filter((f) => {
      const here = vps.filter((v) => v.region === f.fn.region);
      return here.length > 0 && here.every((v) => from.includes(v.name));
    })
    .map((f) => f.fn.functionName);
}

export async function applyEvent(
  world: World,
  deployment: Deployment,
  db: DeployedDatabase,
  roles: RoleResources,
  truth: GroundTruth,
  event: ScenarioEvent,
): Promise<void> {
  if (isFaultEvent(event)) return applyFault(world, deployment, db, roles, truth, event);
  return applyOperator(world, deployment, db, event, truth);
}

export function applyFault(world: World, deployment: Deployment, db: DeployedDatabase, roles: RoleResources, truth: GroundTruth, event: FaultEvent): void {
  const now = world.clock.now();
  // What the fault really did, for the liveness oracle (recorded before `effect` changes the world).
  const record = (fact: Omit<FaultTruth, 'at' | 'fault'>): void => void truth.faults.push({ at: now, fault: event.fault, ...fact });
  const noop = (why: string): void => {
    record({ effective: false });
    world.log('fault', `${event.fault}: ${why} (no effect)`, { fault: event.fault, noop: true });
  };
  // `primary`/`standby` in a fault mean the instances that held those roles at the start
  // (docs/scenarios.md): the fault follows that resource through renames (a failback preserves the
  // old primary under a new name), and has no effect, reported, once it no longer exists.
  const follow = (role: 'primary' | 'standby'): FollowedTarget | undefined => {
    const site = db[role];
    const target = followRole(world, site, roles[role]);
    if (!target) {
      noop(`the ${role} ${site.id} no longer exists${roles[role] ? ' (deleted)' : ' (yet)'}`);
      return undefined;
    }
    if (target.id !== site.id) {
      world.log('fault', `${event.fault}: the ${role} ${site.id} is now named ${target.id} (renamed by a failback): the fault follows it`, {
        fault: event.fault,
        role,
        from: site.id,
        to: target.id,
      });
    }
    return target;
  };
  switch (event.fault) {
    case 'primary-crash': {
      const p = follow('primary');
      if (!p) return;
      record({ effective: !isCrashed(world, db.primary, p), role: 'primary', atRiskSeconds: atRiskSeconds(world, db, p), ...replicaNow(world, db.primary, p) });
      world.crashInstance(p.id, p.region);
      return;
    }
    case 'primary-unreachable': {
      const p = follow('primary');
      if (!p) return;
      record({ effective: true, role: 'primary', from: event.from });
      const heartbeats = partitionedHeartbeats(deployment, db, event.from);
      world.partition([...event.from, ...heartbeats], p.id);
      if (event.from.includes(CONTROL_PLANE_VANTAGE)) {
        world.log('fault', `${CONTROL_PLANE_VANTAGE} is the RDS API, not a connection: a network partition does not hide the primary from it`, {
          fault: event.fault,
        });
      }
      return;
    }
    case 'primary-recover': {
      const p = follow('primary');
      if (!p) return;
      record({ effective: true, role: 'primary' });
      world.recoverInstance(p.id, p.region);
      world.heal(undefined, p.id);
      return;
    }
    case 'region-outage': {
      const p = event.region === db.primary.region ? followRole(world, db.primary, roles.primary) : undefined;
      record({ effective: !world.isRegionOut(event.region), region: event.region, ...(p ? { atRiskSeconds: atRiskSeconds(world, db, p) } : {}) });
      world.regionOutage(event.region, true);
      return;
    }
    case 'region-recover':
      record({ effective: world.isRegionOut(event.region), region: event.region });
      world.regionOutage(event.region, false);
      return;
    case 'replica-lag': {
      const r = follow('standby');
      if (!r) return;
      record({ effective: true, role: 'standby', seconds: event.seconds });
      world.setReplicaLag(r.id, event.seconds, r.region);
      return;
    }
    case 'replica-crash': {
      const r = follow('standby');
      if (!r) return;
      record({ effective: !isCrashed(world, db.standby, r), role: 'standby', ...replicaNow(world, db.standby, r) });
      world.crashInstance(r.id, r.region);
      return;
    }
    case 'duplicate-alarm': {
      record({ effective: true });
      const names = [
        alarmName(deployment.app.config.prefix, db.config.name, 'in-region'),
        alarmName(deployment.app.config.prefix, db.config.name, 'cross-region'),
      ];
      world.duplicateNextEvent(
        (e) => {
          const d = e.detail as { alarmName?: string; state?: { value?: string } } | null;
          return e['detail-type'] === 'CloudWatch Alarm State Change' && names.includes(d?.alarmName ?? '') && d?.state?.value === 'ALARM';
        },
        event.count,
        `ALARM event of ${names.join(' / ')}`,
      );
      return;
    }
    case 'api-throttle':
      record({ effective: true, target: `${event.service}:${event.operation ?? '*'}` });
      world.throttle(event.service as ServiceKey, event.operation, event.count);
      return;
    case 'api-error':
      record({ effective: true, target: `${event.service}:${event.operation}`, code: event.code });
      world.apiError(event.service as ServiceKey, event.operation, event.code, event.count);
      return;
    case 'lambda-error':
      record({ effective: true, target: event.function });
      world.lambdaError(event.function, event.count);
      return;
    case 'alarm-flap':
      return; // scheduled flap by flap (scheduleFlaps)
  }
}

/**
 * The resources (instance or cluster objects: the twin's resource identity, an instance's
 * `DbiResourceId`) that held the roles at the start. A cold standby does not exist yet: its role
 * is then found by name when a fault needs it.
 */
export interface RoleResources {
  primary?: DbInstance | DbCluster;
  standby?: DbInstance | DbCluster;
}

export interface FollowedTarget {
  id: string;
  region: string;
}

export function siteResource(world: World, site: DeployedDatabase['standby']): DbInstance | DbCluster | undefined {
  return site.kind === 'cluster' ? world.rds.getCluster(site.id, site.region) : world.rds.getInstance(site.id, site.region);
}

export function roleResources(world: World, db: DeployedDatabase): RoleResources {
  return { primary: siteResource(world, db.primary), standby: siteResource(world, db.standby) };
}

/**
 * Whether the instance a role fault hits is a read replica now (`replica`): the standby of the
 * moment, whatever its role at the start; and which instance it is (`instanceId`).
 */
function replicaNow(world: World, site: DeployedDatabase['standby'], t: FollowedTarget): { replica?: boolean; instanceId?: string } {
  if (site.kind === 'cluster') return {};
  return { replica: !!world.rds.getInstance(t.id, t.region)?.source, instanceId: t.id };
}

export function isCrashed(world: World, site: DeployedDatabase['standby'], t: FollowedTarget): boolean {
  const r = site.kind === 'cluster' ? world.rds.getCluster(t.id, t.region) : world.rds.getInstance(t.id, t.region);
  return !!r?.crashed;
}

/** How much RDS metric history the account has when a drill starts (the budget guard looks 10 minutes back). */
export const HISTORY_MINUTES = 15;

/**
 * Ground truth for the liveness oracle: the data really at risk if the primary (now `p`) stops
 * now, in seconds: the span of the writes it accepted that the standby does not hold. The standby
 * holds its source's writes up to `replicaDataUpTo` (a replica), `clusterDataUpTo` (an Aurora
 * secondary: both grow a lag at most as fast as time passes), or, a cold standby, what its
 * restore would hold (see deployColdStandby).
 */
export function atRiskSeconds(world: World, db: DeployedDatabase, p: FollowedTarget): number {
  const now = world.clock.now();
  const writes = world.network.writes.filter((w) => w.target === p.id && w.at <= now);
  const last = writes.reduce((m, w) => Math.max(m, w.at), Number.NEGATIVE_INFINITY);
  return behindSeconds(world, db, last);
}

/**
 * The span (s) of the writes the primary accepted, the last at `last` (ms; -Infinity: none), that
 * the standby does not hold now (see {@link atRiskSeconds}); the whole run when it holds none of
 * its source's data (not a replica).
 */
function behindSeconds(world: World, db: DeployedDatabase, last: number): number {
  const now = world.clock.now();
  let upTo: number;
  if (db.standby.kind === 'cluster') {
    const c = world.rds.getCluster(db.standby.id, db.standby.region);
    upTo = c ? world.rds.clusterDataUpTo(c) : Number.NEGATIVE_INFINITY;
  } else if (db.config.standby.readiness === 'cold') {
    upTo = Math.min(now, Number.isFinite(last) ? last : now) - 5 * 60_000;
  } else {
    const inst = world.rds.getInstance(db.standby.id, db.standby.region);
    upTo = inst?.source ? world.rds.replicaDataUpTo(inst) : Number.NEGATIVE_INFINITY;
  }
  if (!(last > upTo)) return 0;
  if (!Number.isFinite(upTo)) return Math.round(now - world.startMs) / 1000;
  return Math.round(last - upTo) / 1000;
}

/**
 * Ground truth for the liveness oracle: every {@link DATA_BEHIND_SAMPLE_MS}, how far the standby
 * (a replica or an Aurora secondary; a cold standby has no lag) really is behind the writes the
 * instance in the primary's role accepted (`atRiskSeconds` at that moment), kept in
 * `truth.dataBehind` when above 0. Nothing is sampled while the standby is no replica (promoted,
 * or not there): no lag figure exists then. The writes are read once each, as they come.
 */
export function sampleDataBehind(world: World, db: DeployedDatabase, roles: RoleResources, truth: GroundTruth, startMs: number): void {
  if (db.config.standby.readiness === 'cold') return;
  truth.dataBehind ??= [];
  const lastWrite = new Map<string, number>();
  let read = 0;
  world.clock.every(
    DATA_BEHIND_SAMPLE_MS,
    startMs + DATA_BEHIND_SAMPLE_MS,
    () => {
      const writes = world.network.writes;
      for (; read < writes.length; read++) {
        const w = writes[read]!;
        if (w.at > (lastWrite.get(w.target) ?? Number.NEGATIVE_INFINITY)) lastWrite.set(w.target, w.at);
      }
      if (db.standby.kind === 'instance' && !world.rds.getInstance(db.standby.id, db.standby.region)?.source) return;
      const p = followRole(world, db.primary, roles.primary);
      if (!p) return;
      const seconds = behindSeconds(world, db, lastWrite.get(p.id) ?? Number.NEGATIVE_INFINITY);
      if (seconds > 0) truth.dataBehind!.push({ at: world.clock.now(), seconds });
    },
    'liveness: sample how far the standby is behind',
    { daemon: true },
  );
}

/**
 * Ground truth for the liveness oracle: every 30 s, whether either site's instance (under the
 * site's name) is a read replica; the spans in which neither is are kept in `truth.noReplica`.
 */
export function sampleNoReplica(world: World, db: DeployedDatabase, truth: GroundTruth, startMs: number): void {
  let open: { from: number; to: number } | undefined;
  world.clock.every(
    30_000,
    startMs + 30_000,
    () => {
      const now = world.clock.now();
      const none = ![db.primary, db.standby].some((site) => isReplica(world, site));
      if (none) {
        if (!open) truth.noReplica!.push((open = { from: now, to: now }));
        else open.to = now;
      } else open = undefined;
    },
    'liveness: sample whether the database has a replica',
    { daemon: true },
  );
}

/**
 * Is this site a standby the failover could promote? An instance: a read replica, up, its Region
 * answering. An Aurora
 * cluster: an available secondary of its global cluster, up, and in sync (not waiting to resync
 * after a failover that allowed data loss).
 */
export function isReplica(world: World, site: DeployedSite): boolean {
  if (site.kind === 'instance') {
    // A replica the failover cannot reach (its Region out) or that is down is no standby to promote.
    const inst = world.rds.getInstance(site.id, site.region);
    return !!inst?.source && !inst.crashed && !world.isRegionOut(site.region);
  }
  const c = world.rds.getCluster(site.id, site.region);
  const g = c?.globalClusterId ? world.rds.getGlobalCluster(c.globalClusterId) : undefined;
  if (!c || !g || c.crashed || c.status !== 'available') return false;
  const member = g.members.some((m) => m.region === c.region && m.id === c.id);
  const writer = g.writer.region === c.region && g.writer.id === c.id;
  return member && !writer && !g.pendingResync.has(`${c.region}/${c.id}`);
}

/**
 * Where the role's site is now: the instance (or cluster) under the role's name when one exists
 * there (a failback rebuilds the original site under its original name), else the resource that
 * held the role at the start, followed through its rename; undefined once that one is gone too.
 */
export function followRole(world: World, site: DeployedDatabase['standby'], resource: DbInstance | DbCluster | undefined): FollowedTarget | undefined {
  const live = siteResource(world, site) ?? resource;
  if (!live) return undefined;
  const exists = site.kind === 'cluster' ? world.rds.allClusters().includes(live as DbCluster) : world.rds.allInstances().includes(live as DbInstance);
  return exists ? { id: live.id, region: live.region } : undefined;
}

/**
 * The customer's alarms of the scenario (`alarms`): metric alarms on a drill namespace that stay
 * OK (no data, treated as not breaching) until a fault sets them, then composite alarms over them.
 */
export function createScenarioAlarms(world: World, alarms: readonly ScenarioAlarm[]): void {
  for (const a of alarms.filter((x) => x.rule === undefined)) {
    world.cloudwatch.defineAlarm(a.region, {
      AlarmName: a.name,
      Namespace: 'DrillApp',
      MetricName: a.name,
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  }
  for (const a of alarms.filter((x) => x.rule !== undefined)) world.cloudwatch.defineCompositeAlarm(a.region, { AlarmName: a.name, AlarmRule: a.rule! });
}

/** The trigger alarm (the in-Region heartbeat alarm), or the scenario's alarm `alarm`, goes ALARM then OK, `count` times. */
export function scheduleFlaps(
  world: World,
  deployment: Deployment,
  db: DeployedDatabase,
  event: Extract<FaultEvent, { fault: 'alarm-flap' }>,
  firstAt: number,
  alarms: readonly ScenarioAlarm[],
): void {
  const own = event.alarm !== undefined ? alarms.find((a) => a.name === event.alarm) : undefined;
  const name = own?.name ?? alarmName(deployment.app.config.prefix, db.config.name, 'in-region');
  const region = own?.region ?? db.primary.region;
  const set = async (value: 'ALARM' | 'OK', i: number) => {
    // The alarm lives in its Region (the trigger alarm: the primary's): while that Region is out, there is nothing to flap.
    if (world.isRegionOut(region)) {
      world.log('fault', `alarm-flap ${i + 1}/${event.count}: ${region} is out, the alarm cannot change (no effect)`, {
        fault: 'alarm-flap',
        alarm: name,
        noop: true,
      });
      return;
    }
    world.log('fault', `alarm-flap ${i + 1}/${event.count}: ${name} set to ${value}`, { fault: 'alarm-flap', alarm: name, state: value });
    await twinContext.run({ principal: deployment.operator, region, vantage: 'drill-operator' }, () =>
      world.call(
        'cloudwatch',
        'SetAlarmState',
        { AlarmName: name, StateValue: value, StateReason: `drill: alarm flap ${i + 1} of ${event.count}` },
        { region, principal: deployment.operator },
      ),
    );
  };
  for (let i = 0; i < event.count; i++) {
    const at = firstAt + i * event.every * 1000;
    world.clock.schedule({ at }, () => set('ALARM', i), 'fault alarm-flap ALARM');
    world.clock.schedule({ at: at + (event.every * 1000) / 2 }, () => set('OK', i), 'fault alarm-flap OK');
  }
}

export async function applyOperator(world: World, deployment: Deployment, db: DeployedDatabase, event: OperatorEvent, truth?: GroundTruth): Promise<void> {
  const region = deployment.controlRegion;
  const as = { principal: deployment.operator, region, vantage: 'drill-operator' };
  // The operator may not reach the control Region (its outage, a throttle): as on AWS, the action
  // fails, the operator is told, and the drill goes on.
  await twinContext.run(as, () =>
    operatorActs(world, deployment, db, event, region, truth).catch((err: unknown) => {
      const e = err as Error;
      world.log(
        'operator',
        `the operator could not ${event.operator === 'start-failover' ? 'ask for a failover' : event.operator === 'request-drill' ? 'ask for a drill' : `${event.operator} the ${event.step}`}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`,
        {
          operator: event.operator,
          ...(event.operator === 'start-failover' || event.operator === 'request-drill' ? {} : { step: event.step }),
          error: e?.name ?? 'Error',
        },
      );
    }),
  );
}

export async function operatorActs(
  world: World,
  deployment: Deployment,
  db: DeployedDatabase,
  event: OperatorEvent,
  region: string,
  truth?: GroundTruth,
): Promise<void> {
  {
    if (event.operator === 'start-failover') {
      const reason = 'drill scenario: start-failover';
      world.log('operator', `operator asks for a failover of ${db.config.name}`, { operator: 'start-failover', requestedBy: 'drill-operator' });
      const out = (await world.call(
        'events',
        'PutEvents',
        {
          Entries: [
            {
              Source: OPERATOR_EVENT_SOURCE,
              DetailType: DETAIL_TYPES.operatorRequest,
              Detail: JSON.stringify({ database: db.config.name, requestedBy: 'drill-operator', reason }),
              EventBusName: deployment.busName,
            },
          ],
        },
        { region, principal: deployment.operator },
      )) as { FailedEntryCount?: number };
      if (out.FailedEntryCount) world.log('operator', 'the failover request could not be put on the bus', { operator: 'start-failover' });
      return;
    }
    if (event.operator === 'request-drill') {
      // A "Drill Requested" by hand (docs/game-days.md "Drill runs"), as `aws events put-events` sends it.
      const asker = Object.values(deployment.databases)
        .map((d) => d.config)
        .find((c) => (event.requestedFor === undefined ? c.gameDay !== undefined : c.name === event.requestedFor));
      const game = asker?.gameDay;
      if (!asker || !game) throw new Error(`no database ${event.requestedFor ?? ''} with a gameDay in the deployed config`);
      const fault = event.drillFault === undefined ? game.faults[0]! : event.drillFault;
      world.log(
        'operator',
        `operator asks for a drill of ${asker.name} on its drill pair ${game.drillPair} (${fault ? `fault ${fault}` : 'no fault experiment'})`,
        { operator: 'request-drill', requestedFor: asker.name, drillPair: game.drillPair, fault },
      );
      const detail = { database: game.drillPair, requestedFor: asker.name, fault, scheduled: false, requestedBy: 'drill-operator' };
      const out = (await world.call(
        'events',
        'PutEvents',
        {
          Entries: [{ Source: GAME_DAY_EVENT_SOURCE, DetailType: DETAIL_TYPES.drillRequest, Detail: JSON.stringify(detail), EventBusName: deployment.busName }],
        },
        { region, principal: deployment.operator },
      )) as { FailedEntryCount?: number };
      if (out.FailedEntryCount) world.log('operator', 'the drill request could not be put on the bus', { operator: 'request-drill' });
      return;
    }
    const deps = { ddb: new DynamoDBClient({ region }), sfn: new SFNClient({ region }), tableName: deployment.tableName };
    const now = new Date(world.clock.now());
    const answer: AnswerTruth = { at: now.getTime(), operator: event.operator, step: event.step, accepted: false };
    truth?.answers.push(answer);
    const pending = (await listPendingApprovals(deps, db.config.name, { now })).filter((a) => a.step === event.step);
    const verb = event.operator === 'approve' ? 'approves' : 'rejects';
    if (pending.length === 0) {
      world.log('operator', `operator ${verb} the ${event.step}: nothing is pending (no-op)`, { operator: event.operator, step: event.step, noop: true });
      return;
    }
    const target = pending[0]!;
    answer.approvalId = target.id;
    world.log('operator', `operator ${verb} the ${event.step} (asked: ${target.decision})`, {
      operator: event.operator,
      step: event.step,
      decision: target.decision,
      incidentId: target.incidentId,
    });
    try {
      await decideApproval(deps, {
        approvalId: target.id,
        decision: event.operator,
        approver: 'drill-operator',
        reason: `drill scenario: ${event.operator} ${event.step}`,
        now,
      });
      answer.accepted = true;
    } catch (err) {
      world.log('operator', `the answer was refused: ${(err as Error).message}`, { operator: event.operator, step: event.step, error: (err as Error).name });
    }
  }
}
