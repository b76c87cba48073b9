/**
 * `runDrill(scenario, {seed})`: the whole drill. Synthesizes the app (cached), builds a twin
 * world, deploys the app and the customer's resources into it, starts the simulated application
 * clients, schedules the scenario's faults and operator actions, runs every workflow execution the
 * world starts in virtual time, and judges the run into a {@link Report} (docs/scenarios.md "Report").
 *
 * The timeline streams to `onTimeline` as it happens: faults, alarm state changes, workflow steps
 * (one line per meaningful step, not every state), operator actions and cloud events (promotion
 * done, DNS INSYNC). Same scenario and seed give the same report (minus `wallMs`).
 *
 * `crash` (issue #5) kills one workflow execution as it enters a state and has the operator
 * recover it a little later: RedriveExecution (same execution, from that state) or a new
 * StartExecution with the same input. `onFinish` sees the world and the deployment at the end.
 * Without them the drill is exactly as before.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { approvalLink, signingKeyFrom } from '../../lambdas/shared/approval-links.js';
import { decideApproval, getApproval, listPendingApprovals, type ApprovalView } from '../../lambdas/shared/approvals.js';
import { CONTROL_PLANE_VANTAGE, isAurora } from '../../lambdas/shared/config-schema.js';
import { DETAIL_TYPES } from '../../lambdas/shared/contracts.js';
import { judgeObjectives, objectivesFor } from '../../lambdas/shared/drill-objectives.js';
import { logger } from '../../lambdas/shared/logger.js';
import { alarmName, GAME_DAY_EVENT_SOURCE, OPERATOR_EVENT_SOURCE } from '../../lambdas/shared/names.js';
import { twinContext } from '../context.js';
import type { ServiceKey } from '../errors.js';
import { judgeExpectations } from '../report/judge.js';
import { summarizeConfig } from '../report/config-summary.js';
import { reportSchema, type ObjectivesSummary, type Report, type TimelineEntry } from '../report/types.js';
import { isFaultEvent, type FaultEvent, type OperatorEvent, type Scenario, type ScenarioAlarm, type ScenarioEvent } from '../scenario/schema.js';
import { installSdkTwin } from '../sdk.js';
import { RUNNING_STATUSES, type DbCluster, type DbInstance } from '../services/rds.js';
import { installSqlTwin } from '../sql.js';
import type { TimelineEntry as WorldTimelineEntry } from '../world.js';
import { DEFAULT_API_QUOTAS, World } from '../world.js';
import { AppClients } from './app-clients.js';
import { ApprovalServer, createSigningSecret, prepareServedApp } from './approval-server.js';
import { deploy, type DeployedDatabase, type DeployedSite, type Deployment } from './deploy.js';
import {
  dataLossSeconds,
  detectionSeconds,
  failureAt,
  forDatabase,
  invariants,
  outcomeOf,
  rtoSeconds,
  failbackOutageSeconds,
  dnsOverlapFacts,
  takeovers,
  writerAtEnd,
  type AppliedEvent,
  type CallFact,
  type DnsCheck,
  type DrillFacts,
  type PromotionFact,
} from './measure.js';
import { liveness, type AnswerTruth, type FaultTruth, type GroundTruth, type LivenessConfig } from './liveness.js';
import { executionContext, type ApprovalAsk, type CrashPlan, type ExecutionRecord, type SfnRuntimeHooks, type StepRecord } from './sfn-runtime.js';
import { synthesizeApp, type ResolvedApp, type SynthesisResult, type SynthesizeAppOptions } from './synth.js';
import { VirtualTime, VirtualTimeBusyError } from './virtual-time.js';
import { RealDrill, RealDrillUnsupportedError, realDrillUnsupported, type RealDrillOptions } from '../real/bridge.js';

export interface DrillOptions {
  /** Seed of every random draw. @default 1 */
  seed?: number;
  /** Each timeline entry as it happens. */
  onTimeline?: (entry: TimelineEntry) => void;
  /** Virtual seconds reached, of `runFor`. */
  onProgress?: (t: number, runFor: number) => void;
  /** How the synthesis was obtained (cache hit or miss, time). */
  onSynthesis?: (result: SynthesisResult) => void;
  /** Synthesis cache settings. */
  synth?: SynthesizeAppOptions;
  /**
   * Changes the resolved app before it is deployed (a copy: mutate it freely), e.g. to remove a
   * permission from a role and see the drill fail as the real account would.
   */
  transformApp?: (app: ResolvedApp) => ResolvedApp | void;
  /**
   * Serve the approval page on 127.0.0.1 while the drill runs (`failover drill --serve-approvals`).
   * Without it (the default) nothing is served and the drill is exactly as before.
   */
  approvals?: ServeApprovalsOptions;
  /** Kill one workflow execution as it enters a state, then recover it (see {@link DrillCrash}). */
  crash?: DrillCrash;
  /**
   * Called once virtual time has reached the end, before the report is made, while the twin is
   * still installed: read the world (tables, records, executions) and the facts the report is
   * judged from (promotions attributed to executions, ...) to check what the report does not.
   */
  onFinish?: (world: World, deployment: Deployment, facts: DrillFacts) => void | Promise<void>;
  /**
   * Back the primary and the standby with real PostgreSQL servers (`failover drill --real-postgres`,
   * twin/real/bridge.ts): virtual time is paced against real time and the report gains `measured`.
   */
  real?: RealDrillOptions;
  /**
   * Called once the app is deployed into the twin, before virtual time starts: e.g. to start an
   * operator's watch that polls through the SDK on the world's clock (`failover status --watch
   * --twin`), or to change the world before it runs. Nothing is called when it is absent.
   */
  onDeployed?: (world: World, deployment: Deployment) => void | Promise<void>;
  /**
   * Run the simulated application's clients on every database of the config, not only the
   * scenario's: each database's attempts are in the facts (`attemptsByDatabase`), so each one's
   * RTO can be measured (`figuresPerDatabase`, `npm run bench -- --scale`). The report is
   * unchanged (its figures are the scenario database's).
   */
  clientsOnEveryDatabase?: boolean;
}

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

/** How the drill serves the approval page (twin/drill/approval-server.ts). */
export interface ServeApprovalsOptions {
  serve: boolean;
  /** Port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /** The page listens at `url` (before the drill starts). */
  onServing?: (url: string) => void;
  /**
   * An approval was requested: its signed link. Virtual time stays at this moment (the drill does
   * not go on) until the approval is answered through the page AND the promise returned here, if
   * any, settles. A scenario's own approve/reject event for the step, due later, then finds nothing
   * pending (a no-op).
   */
  onLink?: (link: ServedApprovalLink) => void | Promise<void>;
}

/** One approval request served on the page. */
export interface ServedApprovalLink {
  /** The signed link, as the notification would carry it: `http://127.0.0.1:PORT/?id=…&exp=…&sig=…`. */
  url: string;
  approvalId: string;
  /** `failover` or `failback`. */
  step: string;
  /** What is asked (`promote`, `fail-back`, ...). */
  decision: string;
  expiresAt: string;
  /** The approval record as the page sees it (never the task token), read as the drill operator. */
  read(): Promise<ApprovalView | null>;
  /** A link to this page for any id and expiry, signed with the twin's key (to rehearse refusals: expired, unknown ids). */
  sign(approvalId: string, expiresAt: Date): string;
}

/** API calls whose success promotes something (attributing promotions to executions). */
const PROMOTING_CALLS = new Set(['rds:PromoteReadReplica', 'rds:FailoverGlobalCluster', 'rds:SwitchoverGlobalCluster', 'cloudformation:UpdateStack']);
/** Identifier fields kept from call inputs. */
const ID_FIELDS = ['DBInstanceIdentifier', 'GlobalClusterIdentifier', 'TargetDbClusterIdentifier', 'StackName', 'HostedZoneId', 'GroupId'];

const shortName = (name: string): string => name.slice(0, 8);
const secondsSince = (startMs: number, ms: number): number => Math.round(ms - startMs) / 1000;

let running = false;

/**
 * Runs one drill. Throws only for a broken twin or app (an invalid scenario is caught before, by
 * its loader). One drill at a time per process: it takes process-wide globals while it runs.
 */
export async function runDrill(scenario: Scenario, options: DrillOptions = {}): Promise<Report> {
  if (running) throw new VirtualTimeBusyError('a drill is already running in this process: run drills one after the other');
  running = true;
  try {
    const unsupported = options.real ? realDrillUnsupported(scenario) : undefined;
    if (unsupported) throw new RealDrillUnsupportedError(unsupported);
    const real = options.real ? await RealDrill.start(scenario.runFor, options.real) : undefined;
    try {
      return await drill(scenario, options, real);
    } finally {
      await real?.close();
    }
  } finally {
    running = false;
  }
}

async function drill(scenario: Scenario, options: DrillOptions, real?: RealDrill): Promise<Report> {
  const wallStart = performance.now();
  const seed = options.seed ?? 1;
  const world = new World({ seed, apiQuotas: DEFAULT_API_QUOTAS });
  const { app, server, secretArn } = await prepareApp(world, scenario, options);
  const startMs = world.startMs;
  const endMs = startMs + scenario.runFor * 1000;
  const envBefore = { ...process.env };
  const levelBefore = logger.getLevelName();
  const cleanups: Array<() => void> = [];
  try {
    cleanups.push(installSdkTwin(world), installSqlTwin(world));
    logger.setLogLevel('SILENT');
    cleanups.push(() => logger.setLogLevel(levelBefore));
    const live: LiveRun = { dnsChecks: [], holds: new Set() };
    const recorder = recordCalls(world, live);
    cleanups.push(recorder.stop);
    const deployment = await deployForDrill(world, app, scenario, options, live, server, secretArn);
    const started = await startScenario(world, deployment, scenario, options, real);
    // The timeline from here on (deployment entries left out), streamed as it happens.
    const timelineStart = world.timeline.length;
    if (options.onTimeline) cleanups.push(world.onLog((entry) => options.onTimeline!(toReportEntry(entry))));
    await runVirtualTime(world, deployment, scenario, options, { startMs, endMs, activity: recorder.activity, holds: live.holds, served: server !== undefined, real });
    const measured = real ? await real.finish(productLossFigures(world)) : undefined;
    const facts = collectFacts(world, deployment, scenario, { startMs, endMs, calls: recorder.calls, dnsChecks: live.dnsChecks, ...started });
    await options.onFinish?.(world, deployment, facts);
    return judgeDrill(world, scenario, facts, { seed, wallStart, timelineStart, attempts: started.clients.attempts, truth: started.truth, measured });
  } finally {
    await server?.close();
    for (const cleanup of cleanups.reverse()) cleanup();
    for (const k of Object.keys(process.env)) if (!(k in envBefore)) delete process.env[k];
    Object.assign(process.env, envBefore);
  }
}

/** What the drill's listeners fill while it runs: the deployment once made, the DNS checks at each execution's end, served approvals' holds. */
interface LiveRun {
  deployment?: Deployment;
  signingKey?: Uint8Array;
  readonly dnsChecks: DnsCheck[];
  /** Served approvals: virtual time holds while one waits for its answer (see ServeApprovalsOptions). */
  readonly holds: Set<Promise<unknown>>;
}

/** Synthesizes the app (from the cache), applies `transformApp`, and starts the approval page when served. */
async function prepareApp(world: World, scenario: Scenario, options: DrillOptions): Promise<{ app: ResolvedApp; server?: ApprovalServer; secretArn?: string }> {
  const synthesis = await synthesizeApp(scenario.config, options.synth);
  options.onSynthesis?.(synthesis);
  let app = synthesis.app;
  if (options.transformApp) {
    const copy = structuredClone(app);
    app = options.transformApp(copy) ?? copy;
  }
  const serving = options.approvals?.serve ? options.approvals : undefined;
  if (!serving) return { app };
  const server = new ApprovalServer();
  await server.listen(serving.port ?? 0);
  let secretArn: string;
  try {
    ({ app, secretArn } = prepareServedApp(app, server.url, world.rng.stream('drill.approval-secret-suffix').chars(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')));
  } catch (err) {
    await server.close();
    throw err;
  }
  serving.onServing?.(server.url);
  return { app, server, secretArn };
}

/** Every API call, attributed to the execution on whose behalf it ran (a {@link World.onCall} listener). */
function recordCalls(world: World, live: LiveRun): { calls: CallFact[]; activity: () => number; stop: () => void } {
  const calls: CallFact[] = [];
  let activity = 0;
  const stop = world.onCall(async ({ service, operation, input, ctx }, proceed) => {
    const at = world.clock.now();
    const exec = executionContext.getStore();
    activity++;
    const ids = Object.fromEntries(ID_FIELDS.filter((k) => (input as Record<string, unknown> | null)?.[k] !== undefined).map((k) => [k, (input as Record<string, unknown>)[k]]));
    try {
      const out = await proceed();
      const deployment = live.deployment;
      // A record pointed at an instance: which one (the judge attributes lost writes to the run that moved the writer).
      const dnsTarget = service === 'route53' && operation === 'ChangeResourceRecordSets' ? dnsTargetOf(world, input) : undefined;
      // Whose resource a run's call acted on (drill-confined: a drill touches only its drill pair).
      const touches = exec && deployment && TOUCHING_SERVICES.has(service) ? touchedDatabase(world, deployment, service, input, ctx?.region) : undefined;
      calls.push({ at, key: `${service}:${operation}`, ok: true, executionArn: exec?.executionArn, input: dnsTarget ? { ...ids, dnsTarget } : ids, ...(touches ? { touches } : {}) });
      return out;
    } catch (err) {
      const e = err as { name?: string; message?: string } | null;
      calls.push({ at, key: `${service}:${operation}`, ok: false, executionArn: exec?.executionArn, input: ids, error: String(e?.name ?? 'Error'), message: String(e?.message ?? err).slice(0, 200) });
      throw err;
    } finally {
      activity++;
    }
  });
  return { calls, activity: () => activity, stop };
}

/** Served approvals: hands each request's signed link to `onLink`; virtual time holds until it is answered. */
function approvalServing(world: World, live: LiveRun, server: ApprovalServer | undefined, serving: ServeApprovalsOptions | undefined): { ask: (a: ApprovalAsk) => void; answered: (a: ApprovalAsk) => void } {
  const answers = new Map<ApprovalAsk, () => void>();
  const ask = (a: ApprovalAsk): void => {
    const deployment = live.deployment;
    if (!server || !live.signingKey || !deployment || !a.approvalId || !a.expiresAt) return;
    const key = live.signingKey;
    const region = deployment.controlRegion;
    const as = { principal: deployment.operator, region, vantage: 'drill-operator' };
    const tableName = deployment.tableName;
    const approvalId = a.approvalId;
    const link: ServedApprovalLink = {
      url: approvalLink(server.url, key, approvalId, new Date(a.expiresAt)),
      approvalId,
      step: a.step,
      decision: a.decision,
      expiresAt: a.expiresAt,
      read: () => twinContext.run(as, () => getApproval({ ddb: new DynamoDBClient({ region }), tableName }, approvalId)),
      sign: (id, expiresAt) => approvalLink(server.url, key, id, expiresAt),
    };
    world.log('operator', `the approval page serves the ${a.step} approval (${a.decision}) at ${server.url}: virtual time waits for the answer`, { step: a.step, decision: a.decision, served: server.url });
    const answer = new Promise<void>((resolve) => answers.set(a, resolve));
    // The caller's work runs outside the execution's context (its calls are not the workflow's).
    const caller = executionContext.exit(() => twinContext.exit(() => Promise.resolve().then(() => serving!.onLink?.(link))));
    const hold: Promise<unknown> = Promise.allSettled([answer, caller]).finally(() => live.holds.delete(hold));
    live.holds.add(hold);
  };
  const answered = (a: ApprovalAsk): void => {
    answers.get(a)?.();
    answers.delete(a);
  };
  return { ask, answered };
}

/** Deploys the app into the world with the narrator's and served approvals' hooks, the scenario's alarms and the approval page. */
async function deployForDrill(world: World, app: ResolvedApp, scenario: Scenario, options: DrillOptions, live: LiveRun, server?: ApprovalServer, secretArn?: string): Promise<Deployment> {
  const narrator = new Narrator(world, scenario.database);
  const approvals = approvalServing(world, live, server, options.approvals);
  const hooks: SfnRuntimeHooks = {
    onExecutionStart: (e) => narrator.started(e),
    onStepEnd: (e, s) => narrator.step(e, s),
    onApprovalAsked: (e, a) => {
      narrator.asked(e, a);
      approvals.ask(a);
    },
    onApprovalAnswered: (e, a) => {
      narrator.answered(e, a);
      approvals.answered(a);
    },
    onExecutionCrashed: (e) => narrator.crashed(e),
    onExecutionRedriven: (e) => narrator.redriven(e),
    onExecutionEnd: (e) => {
      narrator.ended(e);
      const deployment = live.deployment;
      if (deployment) live.dnsChecks.push(dnsCheck(world, deployment.databases[e.database ?? scenario.database] ?? deployment.databases[scenario.database]!, e, ownership(world, deployment)));
    },
  };
  const secretKeys = (scenario.world?.secretKeys ?? []).map((k) => ({ database: k.database ?? scenario.database, kmsKeyArn: k.kmsKeyArn }));
  const deployment = await deploy(world, app, { hooks, secretKeys, emailSubscriptions: { pending: scenario.world?.pendingEmails, removed: scenario.world?.removedEmails } });
  live.deployment = deployment;
  createScenarioAlarms(world, scenario.alarms ?? []);
  await options.onDeployed?.(world, deployment);
  if (server && secretArn) {
    live.signingKey = signingKeyFrom(createSigningSecret(world, secretArn));
    const page = deployment.lambdas.all().find((f) => f.fn.folder === 'approval-page' && f.fn.region === deployment.controlRegion);
    if (!page) throw new Error('serve approvals: the approval-page function was not deployed in the control Region');
    server.attach(deployment.lambdas, page);
  }
  return deployment;
}

/** What starting the scenario set going: its database, the ground truth the liveness oracle reads, the clients, the scheduled events. */
interface StartedScenario {
  readonly db: DeployedDatabase;
  readonly truth: GroundTruth;
  readonly clients: AppClients;
  readonly otherClients: Map<string, AppClients>;
  readonly applied: AppliedEvent[];
}

/** Backs the sites with real servers when asked, arms the crash, starts the clients and schedules the scenario's events. */
async function startScenario(world: World, deployment: Deployment, scenario: Scenario, options: DrillOptions, real?: RealDrill): Promise<StartedScenario> {
  const startMs = world.startMs;
  const db = deployment.databases[scenario.database];
  if (!db) throw new Error(`drill: database ${scenario.database} is not in the deployed config`);
  const roles = roleResources(world, db);
  if (real) {
    const primary = world.rds.getInstance(db.primary.id, db.primary.region);
    const standby = world.rds.getInstance(db.standby.id, db.standby.region);
    if (!primary || !standby) throw new RealDrillUnsupportedError(`--real-postgres: ${db.config.name} has no deployed primary and standby instance to back`);
    await real.attach(world, { primary, standby, recordName: db.config.dns.recordName, databaseName: db.login.database ?? 'postgres' });
  }
  const truth: GroundTruth = { faults: [], answers: [], regions: { primary: db.primary.region, standby: db.standby.region }, noReplica: [] };
  sampleNoReplica(world, db, truth, startMs);
  if (options.crash) armCrash(world, deployment, options.crash);

  if (scenario.world) world.rds.workload = { dataSizeGiB: scenario.world.dataSizeGiB, writesPerSecond: scenario.world.writesPerSecond };
  // A running account already holds the replication metrics of the last minutes (the alarms'
  // history is seeded by deploy): without them a failure in the first minute finds no lag before its onset.
  world.rds.publishHistory(HISTORY_MINUTES);
  const clients = new AppClients(world, db, scenario.world?.writesPerSecond);
  clients.start(startMs + 1000);
  const otherClients = new Map<string, AppClients>();
  if (options.clientsOnEveryDatabase) {
    for (const [name, other] of Object.entries(deployment.databases)) {
      if (name === scenario.database) continue;
      const c = new AppClients(world, other, scenario.world?.writesPerSecond, name);
      c.start(startMs + 1000);
      otherClients.set(name, c);
    }
  }
  const applied = scheduleEvents(world, deployment, db, roles, truth, scenario, real);
  return { db, truth, clients, otherClients, applied };
}

/** Schedules the scenario's events on the world's clock (alarm flaps as their own series); what was applied, for the judge. */
function scheduleEvents(world: World, deployment: Deployment, db: DeployedDatabase, roles: RoleResources, truth: GroundTruth, scenario: Scenario, real?: RealDrill): AppliedEvent[] {
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

/** The run loop: virtual time until the end, with Math.random and timers faked, held by served approvals and paced by a real drill. */
async function runVirtualTime(
  world: World,
  deployment: Deployment,
  scenario: Scenario,
  options: DrillOptions,
  run: { startMs: number; endMs: number; activity: () => number; holds: Set<Promise<unknown>>; served: boolean; real?: RealDrill },
): Promise<void> {
  const { startMs, endMs, activity, holds, served, real } = run;
  const vt = new VirtualTime(world, { random: world.rng.stream('drill.math-random'), bytes: world.rng.stream('drill.random-bytes') });
  const sfn = deployment.sfn;
  vt.install();
  // A task's SDK retries wait their backoff on the (fake) timers (twin/sdk.ts)
  world.sdkBackoff = () => executionContext.getStore() !== undefined;
  real?.begin();
  try {
    await vt.runUntil(endMs, {
      activity: () => `${activity()}|${world.timeline.length}|${world.network.writes.length}|${sfn.stateTransitions}|${world.lambda.invocations.length}|${world.clock.pending()}|${sfn.runningCount()}|${sfn.turnActivity}`,
      onStep: (t) => options.onProgress?.(secondsSince(startMs, t), scenario.runFor),
      ...(served || real ? { hold: () => (served ? holds.values().next().value : undefined) ?? real?.hold() } : {}),
      ...(real ? { pace: (t: number) => real.pace(t) } : {}),
    });
  } finally {
    vt.uninstall();
    world.sdkBackoff = undefined;
  }
}

/** The product's data-loss figures (the budget check's), for a real drill's measured section. */
function productLossFigures(world: World): Array<{ t: number; seconds: number; sampleSeconds: number; detail: string }> {
  return (
    world.timeline
      .filter((e) => e.source === 'workflow' && typeof e.detail.lagSeconds === 'number' && e.detail.database === undefined)
      // The bound the loss cannot exceed (the estimate), and the last sample it starts from.
      .map((e) => ({
        t: e.t,
        seconds: typeof e.detail.boundSeconds === 'number' ? e.detail.boundSeconds : (e.detail.lagSeconds as number),
        sampleSeconds: e.detail.lagSeconds as number,
        detail: e.event,
      }))
  );
}

/** The facts the run is judged from: writes, promotions attributed to their executions, calls, deletions, DNS checks, open approvals. */
function collectFacts(
  world: World,
  deployment: Deployment,
  scenario: Scenario,
  run: { startMs: number; endMs: number; calls: CallFact[]; dnsChecks: DnsCheck[]; applied: AppliedEvent[]; clients: AppClients; otherClients: Map<string, AppClients> },
): DrillFacts {
  const { startMs, endMs, calls, dnsChecks, applied, clients, otherClients } = run;
  const sfn = deployment.sfn;
  const owner = ownership(world, deployment);
  const promotions: PromotionFact[] = [
    ...world.rds.promotions.map((p) => ({ ...p })),
    ...deployment.coldActivations.map((a) => ({ instanceId: a.instanceId, resourceId: a.resourceId, sourceId: a.sourceId, startedAt: a.startedAt, completedAt: a.completedAt, dataUpToMs: a.dataUpToMs })),
  ]
    .map((p) => attribute(p, calls))
    .map((p) => ({ ...p, database: owner({ resourceId: p.resourceId, id: p.instanceId, region: p.region }) ?? owner({ resourceId: p.sourceResourceId, id: p.sourceId }) }))
    .sort((a, b) => a.startedAt - b.startedAt);
  const executions = sfn.executions;
  const pendingApprovals = executions.filter((e) => e.status === 'RUNNING').reduce((n, e) => n + sfn.openTokensOf(e.arn).length, 0);
  // Each database's own: another database's unanswered approval does not make this one's outcome `awaiting-approval`.
  const pendingApprovalsByDatabase: Record<string, number> = {};
  for (const e of executions.filter((x) => x.status === 'RUNNING')) {
    const name = e.database ?? scenario.database;
    pendingApprovalsByDatabase[name] = (pendingApprovalsByDatabase[name] ?? 0) + sfn.openTokensOf(e.arn).length;
  }
  const facts: DrillFacts = {
    startMs,
    endMs,
    database: scenario.database,
    roles: scenario.roles,
    rpoBudgetSeconds: scenario.databaseConfig.failover.rpoBudgetSeconds,
    rpoEstimate: scenario.databaseConfig.failover.rpoEstimate,
    failbackPolicy: scenario.databaseConfig.failback.policy,
    databases: scenario.config.databases.map((d) => ({
      name: d.name,
      rpoBudgetSeconds: d.failover.rpoBudgetSeconds,
      rpoEstimate: d.failover.rpoEstimate,
      failbackPolicy: d.failback.policy,
      drillTarget: d.drillTarget === true,
      drilledBy: scenario.config.databases.filter((x) => x.gameDay?.drillPair === d.name).map((x) => ({ name: x.name, allowProductionTarget: x.gameDay!.allowProductionTarget === true })),
    })),
    events: applied.sort((a, b) => a.at - b.at),
    attempts: clients.attempts,
    ...(otherClients.size > 0 ? { attemptsByDatabase: { [scenario.database]: clients.attempts, ...Object.fromEntries([...otherClients].map(([n, c]) => [n, c.attempts])) } } : {}),
    writes: world.network.writes.map((w) => ({ ...w, database: owner({ resourceId: w.resourceId, id: w.target, region: w.region }) })),
    promotions,
    executions,
    calls: calls.sort((a, b) => a.at - b.at),
    takeovers: [],
    deletions: world.rds.deletions.map((d) => ({ ...d, database: owner({ resourceId: d.resourceId, id: d.instanceId, region: d.region }) })),
    dnsChecks,
    pendingApprovals,
    pendingApprovalsByDatabase,
  };
  facts.takeovers = takeovers(facts);
  return facts;
}

/** Judges the facts into the report: the scenario database's figures and outcome, every database's invariants, liveness, expectations. */
function judgeDrill(
  world: World,
  scenario: Scenario,
  facts: DrillFacts,
  run: { seed: number; wallStart: number; timelineStart: number; attempts: DrillFacts['attempts']; truth: GroundTruth; measured?: Report['measured'] },
): Report {
  const { startMs, endMs, executions } = facts;
  const own = forDatabase(facts, scenario.database);
  const failure = failureAt(own);
  const writer = writerAtEnd(own);
  const outcome = outcomeOf(own, writer);
  const rto = rtoSeconds(own, failure);
  const loss = dataLossSeconds(own);
  const live = liveness({
    database: scenario.database,
    startMs,
    endMs,
    truth: run.truth,
    config: livenessConfig(scenario.databaseConfig),
    roles: scenario.roles,
    attempts: run.attempts,
    calls: facts.calls,
    promotions: own.promotions,
    executions,
    writerAtEnd: writer,
  });
  const report: Report = {
    scenario: scenario.name,
    seed: run.seed,
    outcome,
    writer,
    failovers: own.promotions.length,
    rtoSeconds: rto,
    detectionSeconds: detectionSeconds(own),
    dataLossSeconds: loss,
    timeline: world.timeline.slice(run.timelineStart).map(toReportEntry),
    executions: executions.map((e) => ({
      stateMachine: e.stateMachine,
      status: e.status,
      stateTransitions: e.stateTransitions,
      historyEvents: e.historyEvents,
      name: e.name,
      startedAt: secondsSince(startMs, e.startedAt),
      stoppedAt: e.stoppedAt === undefined ? null : secondsSince(startMs, e.stoppedAt),
      ...(e.error ? { error: e.error } : {}),
    })),
    apiCalls: Object.fromEntries(Object.entries(world.apiCalls).sort(([a], [b]) => a.localeCompare(b))),
    invariants: invariants(facts),
    expectations: judgeExpectations(scenario.expect, { outcome, writer, failovers: own.promotions.length, rtoSeconds: rto, dataLossSeconds: loss, roles: scenario.roles }),
    liveness: live.results,
    escalations: live.escalations.map((x) => ({ t: secondsSince(startMs, x.at), execution: x.execution, stateMachine: x.stateMachine, cause: x.cause, message: x.message, evidence: x.evidence })),
    description: scenario.description,
    database: scenario.database,
    runForSeconds: scenario.runFor,
    failureAt: failure === null || rto === null ? null : secondsSince(startMs, failure),
    roles: scenario.roles,
    config: summarizeConfig(scenario.config, scenario.database, scenario.configSource),
    wallMs: Math.round(performance.now() - run.wallStart),
    lambdaInvocations: world.lambda.invocations.length,
    ...(run.measured ? { measured: run.measured } : {}),
    failbackOutageSeconds: failbackOutageSeconds(own),
    ...dnsOverlapOf(own, startMs),
    ...objectivesOf(scenario.config, scenario.database, rto, loss),
  };
  return reportSchema.parse(report);
}

const toReportEntry = (e: WorldTimelineEntry): TimelineEntry => ({ t: e.t, source: e.source, event: e.event, detail: e.detail, at: e.at });

/**
 * Which database an instance (or Aurora cluster) belongs to: the database whose primary or
 * standby it was at the deployment, or the one of the instance it was created from (a rebuilt
 * replica, a restored cold standby), by resource id, through renames and deletions. Records
 * without a resource id (clusters, cold activations) are matched by Region and id.
 */
function ownership(world: World, deployment: Deployment): (ref: { resourceId?: string; id?: string; region?: string }) => string | undefined {
  const roots = new Map<string, string>();
  const byId = new Map<string, string>();
  for (const [name, d] of Object.entries(deployment.databases)) {
    for (const site of [d.primary, d.standby]) {
      if (site.resourceId) roots.set(site.resourceId, name);
      byId.set(`${site.region}|${site.id.toLowerCase()}`, name);
      byId.set(`|${site.id.toLowerCase()}`, name);
    }
  }
  const ofResource = (resourceId: string): string | undefined => {
    let r: string | undefined = resourceId;
    for (let hop = 0; r !== undefined && hop < 100; hop++) {
      const root = roots.get(r);
      if (root) return root;
      r = world.rds.lineage.get(r);
    }
    return undefined;
  };
  return (ref) => (ref.resourceId ? ofResource(ref.resourceId) : undefined) ?? (ref.id ? byId.get(`${ref.region ?? ''}|${ref.id.toLowerCase()}`) : undefined);
}

/** The execution whose API call started a promotion. */
function attribute(p: PromotionFact | Omit<PromotionFact, 'action'>, calls: CallFact[]): PromotionFact {
  const c = calls.find((x) => x.ok && PROMOTING_CALLS.has(x.key) && x.at === p.startedAt && matchesTarget(x, p.instanceId));
  return { ...p, action: c?.key ?? ('action' in p ? p.action : 'unknown'), ...(c?.executionArn ? { executionArn: c.executionArn } : {}) };
}

/** The instance or cluster a ChangeResourceRecordSets UPSERT points the record at (its first value), if any. */
/** The report's `dnsOverlap` (seconds since the start), when the promoting run switched the record. */
function dnsOverlapOf(f: DrillFacts, startMs: number): Pick<Report, 'dnsOverlap'> {
  const o = dnsOverlapFacts(f);
  if (!o) return {};
  const parallel = o.writableAt === null ? f.endMs - o.dnsSwitchedAt : o.writableAt - o.dnsSwitchedAt;
  return {
    dnsOverlap: {
      promotionStartedAt: secondsSince(startMs, o.promotionStartedAt),
      dnsSwitchedAt: secondsSince(startMs, o.dnsSwitchedAt),
      writableAt: o.writableAt === null ? null : secondsSince(startMs, o.writableAt),
      parallelSeconds: Math.max(0, Math.round(parallel) / 1000),
    },
  };
}

const TOUCHING_SERVICES = new Set(['rds', 'route53', 'ec2', 'cloudformation']);

/**
 * The database whose resource a call names, from the world at the moment of the call: an RDS
 * instance (through renames and rebuilds: the lineage of its resource id) or cluster, a DNS record
 * (`dns.recordName`, `traffic.recordName`), a security group of a site, a cold standby's stack.
 * Undefined when it names none of them.
 */
function touchedDatabase(world: World, deployment: Deployment, service: string, input: unknown, region: string | undefined): string | undefined {
  const x = (input ?? {}) as Record<string, unknown>;
  const dbs = Object.entries(deployment.databases);
  const bare = (v: unknown): string | undefined => (typeof v === 'string' ? v.split(':').pop()!.toLowerCase() : undefined);
  if (service === 'rds') {
    const inst = bare(x.DBInstanceIdentifier);
    if (inst) {
      let r: string | undefined = world.rds.getInstance(inst, region)?.dbiResourceId;
      for (let hop = 0; r !== undefined && hop < 100; hop++) {
        const root = dbs.find(([, d]) => d.primary.resourceId === r || d.standby.resourceId === r);
        if (root) return root[0];
        r = world.rds.lineage.get(r);
      }
      return dbs.find(([, d]) => [d.primary.id, d.standby.id].some((id) => id.toLowerCase() === inst || inst.startsWith(`${id.toLowerCase()}-old-`)))?.[0];
    }
    const cluster = bare(x.DBClusterIdentifier ?? x.TargetDbClusterIdentifier ?? x.GlobalClusterIdentifier);
    if (cluster) return dbs.find(([, d]) => [d.primary.id, d.standby.id, d.config.primary.globalClusterId ?? ''].some((id) => id.toLowerCase() === cluster))?.[0];
    return undefined;
  }
  if (service === 'route53') {
    const names = ((x.ChangeBatch as { Changes?: Array<{ ResourceRecordSet?: { Name?: string } }> } | undefined)?.Changes ?? []).map((c) => c.ResourceRecordSet?.Name?.replace(/\.$/, '').toLowerCase());
    return dbs.find(([, d]) => names.some((n) => n === d.config.dns.recordName.toLowerCase() || n === d.config.traffic?.recordName.toLowerCase()))?.[0];
  }
  if (service === 'ec2') {
    const group = typeof x.GroupId === 'string' ? x.GroupId : undefined;
    return group ? dbs.find(([, d]) => [...(d.config.primary.securityGroupIds ?? []), ...(d.config.standby.securityGroupIds ?? [])].includes(group))?.[0] : undefined;
  }
  const stack = typeof x.StackName === 'string' ? x.StackName : undefined;
  return stack ? dbs.find(([, d]) => d.config.standby.coldStandby?.stackName === stack || stack.endsWith(`/${d.config.standby.coldStandby?.stackName}`))?.[0] : undefined;
}

function dnsTargetOf(world: World, input: unknown): string | undefined {
  const changes = (input as { ChangeBatch?: { Changes?: Array<{ Action?: string; ResourceRecordSet?: { ResourceRecords?: Array<{ Value?: string }> } }> } })?.ChangeBatch?.Changes ?? [];
  const value = changes.find((c) => c.Action === 'UPSERT')?.ResourceRecordSet?.ResourceRecords?.[0]?.Value?.replace(/\.$/, '');
  if (!value) return undefined;
  for (const inst of world.rds.allInstances()) if (inst.liveAddress === value) return inst.id;
  for (const c of world.rds.allClusters()) if (world.rds.clusterEndpoint(c) === value) return c.id;
  return undefined;
}

function matchesTarget(c: CallFact, instanceId: string): boolean {
  if (c.key === 'cloudformation:UpdateStack') return true;
  const id = String(c.input?.DBInstanceIdentifier ?? c.input?.TargetDbClusterIdentifier ?? '');
  return id.toLowerCase() === instanceId.toLowerCase() || id.endsWith(`:db:${instanceId}`) || id.endsWith(`:cluster:${instanceId}`);
}

/** Faults that stop the primary taking writes from someone. */
function isFailure(event: ScenarioEvent, db: DeployedDatabase): boolean {
  if (!isFaultEvent(event)) return false;
  if (event.fault === 'primary-crash' || event.fault === 'primary-unreachable') return true;
  return event.fault === 'region-outage' && event.region === db.primary.region;
}

// ------------------------------------------------------------------ injected crash and its recovery

/** Arms the crash; once it has happened, the operator recovers the execution `recoverAfterSeconds` later. */
function armCrash(world: World, deployment: Deployment, crash: DrillCrash): void {
  deployment.sfn.armCrash(crash, (e) => {
    if (crash.recover === 'none') return;
    const delayMs = (crash.recoverAfterSeconds ?? 120) * 1000;
    world.clock.schedule(delayMs, () => recoverCrashed(world, deployment, crash.recover as Exclude<DrillCrash['recover'], 'none'>, e), `operator ${crash.recover} ${e.name}`);
  });
}

async function recoverCrashed(world: World, deployment: Deployment, how: Exclude<DrillCrash['recover'], 'none'>, e: ExecutionRecord): Promise<void> {
  const region = e.stateMachineArn.split(':')[3] ?? deployment.controlRegion;
  const as = { principal: deployment.operator, region, vantage: 'drill-operator' };
  await twinContext.run(as, async () => {
    try {
      if (how === 'redrive') {
        world.log('operator', `operator redrives ${e.stateMachine} ${shortName(e.name)} (it stopped at "${e.crash?.state ?? '?'}")`, { operator: 'redrive', execution: e.name });
        await world.call('sfn', 'RedriveExecution', { executionArn: e.arn }, { region, principal: deployment.operator });
      } else if (how === 'operator-failover' && e.database && deployment.databases[e.database]) {
        // An operator decides to fail over by hand (`failover start`: an operator request on the
        // product bus), which takes over the lease the stopped run left.
        await applyOperator(world, deployment, deployment.databases[e.database]!, { at: 0, operator: 'start-failover' } as OperatorEvent);
      } else {
        const name = `${e.name}-restart`.slice(0, 80);
        world.log('operator', `operator starts ${e.stateMachine} again with the input of ${shortName(e.name)} (new execution ${shortName(name)})`, { operator: 'restart', execution: e.name });
        await world.call('sfn', 'StartExecution', { stateMachineArn: e.stateMachineArn, name, input: JSON.stringify(e.input ?? {}) }, { region, principal: deployment.operator });
      }
    } catch (err) {
      world.log('operator', `the ${how} was refused: ${(err as Error).name}: ${(err as Error).message}`, { operator: how, error: (err as Error).name });
    }
  });
}

// ------------------------------------------------------------------ scenario events

/** Vantage names of the heartbeats whose Region has only partitioned vantage points ("alarms fed only by them"). */
function partitionedHeartbeats(deployment: Deployment, db: DeployedDatabase, from: readonly string[]): string[] {
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

async function applyEvent(world: World, deployment: Deployment, db: DeployedDatabase, roles: RoleResources, truth: GroundTruth, event: ScenarioEvent): Promise<void> {
  if (isFaultEvent(event)) return applyFault(world, deployment, db, roles, truth, event);
  return applyOperator(world, deployment, db, event, truth);
}

function applyFault(world: World, deployment: Deployment, db: DeployedDatabase, roles: RoleResources, truth: GroundTruth, event: FaultEvent): void {
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
      world.log('fault', `${event.fault}: the ${role} ${site.id} is now named ${target.id} (renamed by a failback): the fault follows it`, { fault: event.fault, role, from: site.id, to: target.id });
    }
    return target;
  };
  switch (event.fault) {
    case 'primary-crash': {
      const p = follow('primary');
      if (!p) return;
      record({ effective: !isCrashed(world, db.primary, p), role: 'primary', atRiskSeconds: atRiskSeconds(world, db, p) });
      world.crashInstance(p.id, p.region);
      return;
    }
    case 'primary-unreachable': {
      const p = follow('primary');
      if (!p) return;
      record({ effective: true, role: 'primary' });
      const heartbeats = partitionedHeartbeats(deployment, db, event.from);
      world.partition([...event.from, ...heartbeats], p.id);
      if (event.from.includes(CONTROL_PLANE_VANTAGE)) {
        world.log('fault', `${CONTROL_PLANE_VANTAGE} is the RDS API, not a connection: a network partition does not hide the primary from it`, { fault: event.fault });
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
      record({ effective: !isCrashed(world, db.standby, r), role: 'standby' });
      world.crashInstance(r.id, r.region);
      return;
    }
    case 'duplicate-alarm': {
      record({ effective: true });
      const names = [alarmName(deployment.app.config.prefix, db.config.name, 'in-region'), alarmName(deployment.app.config.prefix, db.config.name, 'cross-region')];
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
interface RoleResources {
  primary?: DbInstance | DbCluster;
  standby?: DbInstance | DbCluster;
}

interface FollowedTarget {
  id: string;
  region: string;
}

function siteResource(world: World, site: DeployedDatabase['standby']): DbInstance | DbCluster | undefined {
  return site.kind === 'cluster' ? world.rds.getCluster(site.id, site.region) : world.rds.getInstance(site.id, site.region);
}

function roleResources(world: World, db: DeployedDatabase): RoleResources {
  return { primary: siteResource(world, db.primary), standby: siteResource(world, db.standby) };
}

function isCrashed(world: World, site: DeployedDatabase['standby'], t: FollowedTarget): boolean {
  const r = site.kind === 'cluster' ? world.rds.getCluster(t.id, t.region) : world.rds.getInstance(t.id, t.region);
  return !!r?.crashed;
}

/** How much RDS metric history the account has when a drill starts (the budget guard looks 10 minutes back). */
const HISTORY_MINUTES = 15;

/**
 * Ground truth for the liveness oracle: the data really at risk if the primary (now `p`) stops
 * now, in seconds: the span of the writes it accepted that the standby does not hold. The standby
 * holds its source's writes up to `replicaDataUpTo` (a replica), `clusterDataUpTo` (an Aurora
 * secondary: both grow a lag at most as fast as time passes), or, a cold standby, what its
 * restore would hold (see deployColdStandby).
 */
function atRiskSeconds(world: World, db: DeployedDatabase, p: FollowedTarget): number {
  const now = world.clock.now();
  const writes = world.network.writes.filter((w) => w.target === p.id && w.at <= now);
  const last = writes.reduce((m, w) => Math.max(m, w.at), Number.NEGATIVE_INFINITY);
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
  const missing = writes.filter((w) => w.at > upTo);
  if (missing.length === 0) return 0;
  if (!Number.isFinite(upTo)) return Math.round(now - world.startMs) / 1000;
  return Math.round(Math.max(...missing.map((w) => w.at)) - upTo) / 1000;
}

/**
 * Ground truth for the liveness oracle: every 30 s, whether either site's instance (under the
 * site's name) is a read replica; the spans in which neither is are kept in `truth.noReplica`.
 */
function sampleNoReplica(world: World, db: DeployedDatabase, truth: GroundTruth, startMs: number): void {
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
function isReplica(world: World, site: DeployedSite): boolean {
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

/** What of the database's config the liveness oracle derives its conditions and bounds from. */
function livenessConfig(c: DeployedDatabase['config']): LivenessConfig {
  return {
    mode: c.failover.mode,
    fencing: c.failover.fencing,
    rpoBudgetSeconds: c.failover.rpoBudgetSeconds,
    rpoEstimate: c.failover.rpoEstimate,
    readiness: c.standby.readiness,
    aurora: isAurora(c.engine),
    heartbeat: { periodSeconds: c.detection.heartbeat.periodSeconds, evaluationPeriods: c.detection.heartbeat.evaluationPeriods },
    probeRounds: c.detection.probeRounds,
    probeIntervalSeconds: c.detection.probeIntervalSeconds,
    ttlSeconds: c.dns.ttlSeconds,
    approvalTimeoutMinutes: c.failover.approvalTimeoutMinutes,
    cooldownMinutes: c.failover.cooldownMinutes,
    vantage: { regions: c.detection.vantagePoints.map((v) => v.region), includeControlPlane: c.detection.includeControlPlane, quorum: c.detection.quorum },
    failback: { policy: c.failback.policy, stabilityMinutes: c.failback.stabilityMinutes, maxWaitHours: c.failback.maxWaitHours, rebuildTimeoutMinutes: c.failback.rebuildTimeoutMinutes },
    ...(c.traffic ? { drain: { steps: c.traffic.drainSteps.length, stepObservationMinutes: c.traffic.stepObservationMinutes } } : {}),
  };
}

/**
 * Where the role's site is now: the instance (or cluster) under the role's name when one exists
 * there (a failback rebuilds the original site under its original name), else the resource that
 * held the role at the start, followed through its rename; undefined once that one is gone too.
 */
function followRole(world: World, site: DeployedDatabase['standby'], resource: DbInstance | DbCluster | undefined): FollowedTarget | undefined {
  const live = siteResource(world, site) ?? resource;
  if (!live) return undefined;
  const exists = site.kind === 'cluster' ? world.rds.allClusters().includes(live as DbCluster) : world.rds.allInstances().includes(live as DbInstance);
  return exists ? { id: live.id, region: live.region } : undefined;
}

/**
 * The customer's alarms of the scenario (`alarms`): metric alarms on a drill namespace that stay
 * OK (no data, treated as not breaching) until a fault sets them, then composite alarms over them.
 */
function createScenarioAlarms(world: World, alarms: readonly ScenarioAlarm[]): void {
  for (const a of alarms.filter((x) => x.rule === undefined)) {
    world.cloudwatch.defineAlarm(a.region, { AlarmName: a.name, Namespace: 'DrillApp', MetricName: a.name, Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
  }
  for (const a of alarms.filter((x) => x.rule !== undefined)) world.cloudwatch.defineCompositeAlarm(a.region, { AlarmName: a.name, AlarmRule: a.rule! });
}

/** The trigger alarm (the in-Region heartbeat alarm), or the scenario's alarm `alarm`, goes ALARM then OK, `count` times. */
function scheduleFlaps(world: World, deployment: Deployment, db: DeployedDatabase, event: Extract<FaultEvent, { fault: 'alarm-flap' }>, firstAt: number, alarms: readonly ScenarioAlarm[]): void {
  const own = event.alarm !== undefined ? alarms.find((a) => a.name === event.alarm) : undefined;
  const name = own?.name ?? alarmName(deployment.app.config.prefix, db.config.name, 'in-region');
  const region = own?.region ?? db.primary.region;
  const set = async (value: 'ALARM' | 'OK', i: number) => {
    // The alarm lives in its Region (the trigger alarm: the primary's): while that Region is out, there is nothing to flap.
    if (world.isRegionOut(region)) {
      world.log('fault', `alarm-flap ${i + 1}/${event.count}: ${region} is out, the alarm cannot change (no effect)`, { fault: 'alarm-flap', alarm: name, noop: true });
      return;
    }
    world.log('fault', `alarm-flap ${i + 1}/${event.count}: ${name} set to ${value}`, { fault: 'alarm-flap', alarm: name, state: value });
    await twinContext.run({ principal: deployment.operator, region, vantage: 'drill-operator' }, () =>
      world.call('cloudwatch', 'SetAlarmState', { AlarmName: name, StateValue: value, StateReason: `drill: alarm flap ${i + 1} of ${event.count}` }, { region, principal: deployment.operator }),
    );
  };
  for (let i = 0; i < event.count; i++) {
    const at = firstAt + i * event.every * 1000;
    world.clock.schedule({ at }, () => set('ALARM', i), 'fault alarm-flap ALARM');
    world.clock.schedule({ at: at + (event.every * 1000) / 2 }, () => set('OK', i), 'fault alarm-flap OK');
  }
}

async function applyOperator(world: World, deployment: Deployment, db: DeployedDatabase, event: OperatorEvent, truth?: GroundTruth): Promise<void> {
  const region = deployment.controlRegion;
  const as = { principal: deployment.operator, region, vantage: 'drill-operator' };
  // The operator may not reach the control Region (its outage, a throttle): as on AWS, the action
  // fails, the operator is told, and the drill goes on.
  await twinContext.run(as, () =>
    operatorActs(world, deployment, db, event, region, truth).catch((err: unknown) => {
      const e = err as Error;
      world.log('operator', `the operator could not ${event.operator === 'start-failover' ? 'ask for a failover' : event.operator === 'request-drill' ? 'ask for a drill' : `${event.operator} the ${event.step}`}: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, {
        operator: event.operator,
        ...(event.operator === 'start-failover' || event.operator === 'request-drill' ? {} : { step: event.step }),
        error: e?.name ?? 'Error',
      });
    }),
  );
}

async function operatorActs(world: World, deployment: Deployment, db: DeployedDatabase, event: OperatorEvent, region: string, truth?: GroundTruth): Promise<void> {
  {
    if (event.operator === 'start-failover') {
      const reason = 'drill scenario: start-failover';
      world.log('operator', `operator asks for a failover of ${db.config.name}`, { operator: 'start-failover', requestedBy: 'drill-operator' });
      const out = (await world.call(
        'events',
        'PutEvents',
        { Entries: [{ Source: OPERATOR_EVENT_SOURCE, DetailType: DETAIL_TYPES.operatorRequest, Detail: JSON.stringify({ database: db.config.name, requestedBy: 'drill-operator', reason }), EventBusName: deployment.busName }] },
        { region, principal: deployment.operator },
      )) as { FailedEntryCount?: number };
      if (out.FailedEntryCount) world.log('operator', 'the failover request could not be put on the bus', { operator: 'start-failover' });
      return;
    }
    if (event.operator === 'request-drill') {
      // A "Drill Requested" by hand (docs/game-days.md "Drill runs"), as `aws events put-events` sends it.
      const asker = Object.values(deployment.databases).map((d) => d.config).find((c) => (event.requestedFor === undefined ? c.gameDay !== undefined : c.name === event.requestedFor));
      const game = asker?.gameDay;
      if (!asker || !game) throw new Error(`no database ${event.requestedFor ?? ''} with a gameDay in the deployed config`);
      const fault = event.drillFault === undefined ? game.faults[0]! : event.drillFault;
      world.log('operator', `operator asks for a drill of ${asker.name} on its drill pair ${game.drillPair} (${fault ? `fault ${fault}` : 'no fault experiment'})`, { operator: 'request-drill', requestedFor: asker.name, drillPair: game.drillPair, fault });
      const detail = { database: game.drillPair, requestedFor: asker.name, fault, scheduled: false, requestedBy: 'drill-operator' };
      const out = (await world.call(
        'events',
        'PutEvents',
        { Entries: [{ Source: GAME_DAY_EVENT_SOURCE, DetailType: DETAIL_TYPES.drillRequest, Detail: JSON.stringify(detail), EventBusName: deployment.busName }] },
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
    world.log('operator', `operator ${verb} the ${event.step} (asked: ${target.decision})`, { operator: event.operator, step: event.step, decision: target.decision, incidentId: target.incidentId });
    try {
      await decideApproval(deps, { approvalId: target.id, decision: event.operator, approver: 'drill-operator', reason: `drill scenario: ${event.operator} ${event.step}`, now });
      answer.accepted = true;
    } catch (err) {
      world.log('operator', `the answer was refused: ${(err as Error).message}`, { operator: event.operator, step: event.step, error: (err as Error).name });
    }
  }
}

// ------------------------------------------------------------------ DNS and writers when a run ends

function dnsCheck(world: World, db: DeployedDatabase, e: ExecutionRecord, owner: ReturnType<typeof ownership>): DnsCheck {
  const resolved = world.route53.resolve(db.config.dns.recordName);
  const final = resolved?.final.replace(/\.$/, '');
  let resolvesTo: string | null = null;
  if (final) {
    for (const inst of world.rds.allInstances()) if (inst.liveAddress === final) resolvesTo = inst.id;
    for (const c of world.rds.allClusters()) if (world.rds.clusterEndpoint(c) === final) resolvesTo = c.id;
  }
  // This database's instances only: another database's promoted standby is not this one's writer.
  const own = world.rds.promotions.filter((p) => (owner({ resourceId: p.resourceId, id: p.instanceId, region: p.region }) ?? owner({ resourceId: p.sourceResourceId, id: p.sourceId })) === db.config.name);
  const ids = new Set([db.primary.id, db.standby.id, ...own.map((p) => p.instanceId)]);
  const writers: string[] = [];
  for (const id of ids) {
    const inst = db.primary.kind === 'instance' ? world.rds.allInstances().find((i) => i.id === id) : undefined;
    const cluster = db.primary.kind === 'cluster' ? world.rds.allClusters().find((c) => c.id === id) : undefined;
    const endpoint = inst ? inst.liveAddress : cluster ? world.rds.clusterEndpoint(cluster) : undefined;
    const region = inst?.region ?? cluster?.region;
    if (!endpoint || !region) continue;
    if (inst && (!RUNNING_STATUSES.has(inst.status) || inst.source)) continue;
    try {
      const target = world.network.reach(endpoint, db.primary.port, 1000, { vantage: 'drill-judge', region });
      if (!world.network.readOnly(target)) writers.push(id);
    } catch {
      // unreachable: takes no writes
    }
  }
  return { executionArn: e.arn, executionName: `${e.stateMachine} ${shortName(e.name)}`, at: world.clock.now(), resolvesTo, writers: writers.sort(), database: db.config.name };
}

// ------------------------------------------------------------------ the workflow lines of the timeline

/**
 * Turns execution records into readable timeline lines: one per meaningful step. Entries that
 * mark an incident phase carry `detail.phase` (the chart's bands).
 */
class Narrator {
  private readonly writable = new Set<string>();

  constructor(
    private readonly world: World,
    private readonly database: string,
  ) {}

  /**
   * Runs of the config's other databases are shown too, named by their database (a fault of one
   * database must not make another fail over, and when it does the timeline says so); the
   * incident phases (the chart's bands) are the scenario database's only.
   */
  private log(e: ExecutionRecord, text: string, detail: Record<string, unknown> = {}): void {
    const other = e.database !== undefined && e.database !== this.database;
    const { phase: _phase, ...notPhase } = detail;
    this.world.log('workflow', `${e.stateMachine} ${shortName(e.name)}${other ? ` (${e.database})` : ''}: ${text}`, {
      execution: e.name,
      stateMachine: e.stateMachine,
      ...(other ? { ...notPhase, database: e.database } : detail),
    });
  }

  started(e: ExecutionRecord): void {
    this.log(e, 'started');
  }

  step(e: ExecutionRecord, s: StepRecord): void {
    const out = (s.output ?? {}) as Record<string, unknown>;
    const input = (s.input ?? {}) as Record<string, unknown>;
    const failover = e.stateMachine === 'failover';
    if (s.error) {
      if (s.folder === 'probe-vantage') return;
      this.log(e, `"${s.state}" failed: ${s.error.name}: ${truncate(s.error.cause, 600)}`, { state: s.state, error: s.error.name, cause: s.error.cause });
      return;
    }
    switch (s.folder) {
      case 'accept-trigger':
        this.log(e, `trigger: ${String(out.summary ?? out.kind)}`, { trigger: out.kind, source: out.source });
        return;
      case 'manage-lease': {
        const action = String(input.action);
        if (action === 'acquire') {
          if (out.acquired) this.log(e, `took the incident lease (epoch ${String(out.epoch)})`, { epoch: out.epoch });
          else this.log(e, `stood down: ${String(out.outcome)}${out.heldBy ? ` (the lease is held by ${shortName(String(out.heldBy).split(':').pop() ?? '')})` : ''}`, { outcome: out.outcome });
        } else if (action === 'release') this.log(e, 'released the lease');
        else if (action === 'record-failover') this.log(e, 'recorded the failover and released the lease');
        else this.log(e, `lease ${action}: ${String(out.outcome ?? 'done')}`, { action, outcome: out.outcome });
        return;
      }
      case 'record-incident': {
        const phase = String(input.phase);
        const d = (input.detail ?? {}) as Record<string, unknown>;
        const text: Record<string, string> = {
          detected: 'incident opened',
          verdict: `verdict: ${String(d.verdict)} (${truncate(String(d.reason ?? ''), 200)})`,
          'false-alarm': 'false alarm: the primary is healthy, nothing changed',
          approved: `approved by ${String((d.approval as { approver?: string } | undefined)?.approver ?? 'a human')}${d.unfenced ? ' (promote without a confirmed fence)' : ''}`,
          rejected: `rejected by ${String((d.approval as { approver?: string } | undefined)?.approver ?? 'a human')}: nothing changed`,
          'approval-timed-out': 'nobody answered the approval in time: nothing changed',
          'failed-over': 'failed over: the standby is the new primary (operators notified)',
          'failback-scheduled': 'failback scheduled',
          escalated: `escalated to the operators (${String((d.error as { Error?: string } | undefined)?.Error ?? 'error')}); ${typeof d.lease === 'string' && d.lease.startsWith('released') ? 'the lease is released: nothing was changed' : 'the lease stays held'}`,
        };
        this.log(e, text[phase] ?? `phase ${phase}`, { phase, ...(phase === 'escalated' ? { error: (d.error as { Error?: string } | undefined)?.Error } : {}) });
        return;
      }
      case 'check-data-loss-budget':
        this.log(e, `data-loss budget: ${truncate(String(out.detail ?? ''), 200)}`, { withinBudget: out.withinBudget, lagSeconds: out.lagSeconds, boundSeconds: out.boundSeconds });
        return;
      case 'fence-primary':
        // The repeated attempts after an unfenced promotion are told once they work (or the run records that they did not).
        if (!out.confirmed && /^Fence the old primary (as soon as it answers|again while)/.test(s.state)) return;
        this.log(e, `fenced the old primary: ${out.confirmed ? 'confirmed' : 'NOT confirmed'} (${((out.actions as Array<{ action: string; result: string }>) ?? []).map((a) => `${a.action} ${a.result}`).join(', ')})`, failover ? { phase: 'fenced', confirmed: out.confirmed } : { confirmed: out.confirmed });
        return;
      case 'promote-standby':
        if (input.phase === 'scale-up') this.log(e, `scale-up: ${String(out.action)} ${truncate(String(out.detail ?? ''), 160)}`);
        else this.log(e, `promotion: ${String(out.action)}${out.started ? '' : ' (already done)'}: ${truncate(String(out.detail ?? ''), 160)}`, failover ? { phase: 'promoting', action: out.action } : { action: out.action });
        return;
      case 'check-standby':
        if (out.ready === true && !this.writable.has(e.arn)) {
          this.writable.add(e.arn);
          this.log(e, `the standby takes writes (${String(out.status)})`, failover ? { phase: 'promoted' } : {});
        }
        return;
      case 'switch-dns':
        this.log(e, out.changeId ? `DNS switched to ${String(out.current)} (change ${String(out.changeId)})` : `DNS already pointed at ${String(out.current)}`, failover ? { phase: 'dns-switched' } : {});
        return;
      case 'verify-writes':
        this.log(e, `writes verified through ${String(out.host)}`, failover ? { phase: 'writes-verified' } : {});
        return;
      default:
        if (s.kind === 'start-execution') this.log(e, `started ${String(input.StateMachineArn ?? '').split(':').pop()}`);
    }
  }

  asked(e: ExecutionRecord, a: ApprovalAsk): void {
    this.log(e, `asked a human to approve (${a.step}: ${a.decision}), expires ${a.expiresAt ?? '?'}`, { phase: a.step === 'failback' ? 'failback-approval' : 'approval-requested', step: a.step, decision: a.decision });
  }

  answered(e: ExecutionRecord, a: ApprovalAsk): void {
    if (a.answer === 'timeout') this.log(e, `the approval (${a.step}: ${a.decision}) expired unanswered`, { step: a.step });
    else if (a.answer === 'superseded') {
      this.log(e, `new evidence withdrew the question (${a.step}: ${a.decision}): verifying again${a.reason ? ` (${truncate(a.reason, 160)})` : ''}`, { step: a.step });
    }
  }

  crashed(e: ExecutionRecord): void {
    this.log(e, `CRASHED on entering "${e.crash?.state ?? '?'}" (injected): ABORTED after ${e.stateTransitions} state transitions`, { status: e.status, crashedAt: e.crash?.state });
  }

  redriven(e: ExecutionRecord): void {
    this.log(e, `redriven (${e.redriveCount ?? 1}): resumes at "${e.crash?.resumeState ?? '?'}"`, { redrive: e.redriveCount ?? 1 });
  }

  ended(e: ExecutionRecord): void {
    this.log(e, `${e.status}${e.error ? ` (${e.error})` : ''} after ${e.stateTransitions} state transitions (${e.historyEvents} history events)`, { status: e.status, ...(e.error ? { error: e.error } : {}) });
  }
}

/**
 * The game day's objectives the run is held to (the database whose `gameDay` names the scenario's
 * database as its drill pair) and whether its RTO and modelled data loss met them.
 */
function objectivesOf(config: Scenario['config'], database: string, rto: number | null, loss: number | null): { objectives?: ObjectivesSummary } {
  const owner = objectivesFor(config, database);
  if (!owner) return {};
  return {
    objectives: { database: owner.database, ...owner.objectives, comparedRtoSeconds: rto, comparedDataLossSeconds: loss, dataLossFrom: 'modelled-data-loss', ...judgeObjectives(owner.objectives, rto, loss) },
  };
}

const truncate = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
