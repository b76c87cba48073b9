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
import { approvalLink, signingKeyFrom } from '../../lambdas/shared/approval-links.js';
import { getApproval, type ApprovalView } from '../../lambdas/shared/approvals.js';
import { isAurora } from '../../lambdas/shared/config-schema.js';
import { judgeObjectives, objectivesFor } from '../../lambdas/shared/drill-objectives.js';
import { logger } from '../../lambdas/shared/logger.js';
import { twinContext } from '../context.js';
import { judgeExpectations } from '../report/judge.js';
import { summarizeConfig } from '../report/config-summary.js';
import { reportSchema, type ObjectivesSummary, type Report, type TimelineEntry } from '../report/types.js';
import type { Scenario } from '../scenario/schema.js';
import { installSdkTwin } from '../sdk.js';
import { RUNNING_STATUSES } from '../services/rds.js';
import { installSqlTwin } from '../sql.js';
import type { TimelineEntry as WorldTimelineEntry } from '../world.js';
import { DEFAULT_API_QUOTAS, World } from '../world.js';
import { AppClients } from './app-clients.js';
import { ApprovalServer, createSigningSecret, prepareServedApp } from './approval-server.js';
import { deploy, type DeployedDatabase, type Deployment } from './deploy.js';
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
import { liveness, type GroundTruth, type LivenessConfig } from './liveness.js';
import { executionContext, type ApprovalAsk, type ExecutionRecord, type SfnRuntimeHooks } from './sfn-runtime.js';
import { synthesizeApp, type ResolvedApp, type SynthesisResult, type SynthesizeAppOptions } from './synth.js';
import { VirtualTime, VirtualTimeBusyError } from './virtual-time.js';
import { RealDrill, RealDrillUnsupportedError, realDrillUnsupported, type RealDrillOptions } from '../real/bridge.js';
import { Narrator, shortName } from './narrator.js';
import {
  armCrash,
  roleResources,
  sampleDataBehind,
  sampleNoReplica,
  createScenarioAlarms,
  scheduleEvents,
  HISTORY_MINUTES,
  type DrillCrash,
} from './scenario-events.js';

export type { DrillCrash } from './scenario-events.js';

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
    await runVirtualTime(world, deployment, scenario, options, {
      startMs,
      endMs,
      activity: recorder.activity,
      holds: live.holds,
      served: server !== undefined,
      real,
    });
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
    ({ app, secretArn } = prepareServedApp(
      app,
      server.url,
      world.rng.stream('drill.approval-secret-suffix').chars(6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
    ));
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
    const ids = Object.fromEntries(
      ID_FIELDS.filter((k) => (input as Record<string, unknown> | null)?.[k] !== undefined).map((k) => [k, (input as Record<string, unknown>)[k]]),
    );
    try {
      const out = await proceed();
      const deployment = live.deployment;
      // A record pointed at an instance: which one (the judge attributes lost writes to the run that moved the writer).
      const dnsTarget = service === 'route53' && operation === 'ChangeResourceRecordSets' ? dnsTargetOf(world, input) : undefined;
      // Whose resource a run's call acted on (drill-confined: a drill touches only its drill pair).
      const touches = exec && deployment && TOUCHING_SERVICES.has(service) ? touchedDatabase(world, deployment, service, input, ctx?.region) : undefined;
      calls.push({
        at,
        key: `${service}:${operation}`,
        ok: true,
        executionArn: exec?.executionArn,
        input: dnsTarget ? { ...ids, dnsTarget } : ids,
        ...(touches ? { touches } : {}),
      });
      return out;
    } catch (err) {
      const e = err as { name?: string; message?: string } | null;
      calls.push({
        at,
        key: `${service}:${operation}`,
        ok: false,
        executionArn: exec?.executionArn,
        input: ids,
        error: String(e?.name ?? 'Error'),
        message: String(e?.message ?? err).slice(0, 200),
      });
      throw err;
    } finally {
      activity++;
    }
  });
  return { calls, activity: () => activity, stop };
}

/** Served approvals: hands each request's signed link to `onLink`; virtual time holds until it is answered. */
function approvalServing(
  world: World,
  live: LiveRun,
  server: ApprovalServer | undefined,
  serving: ServeApprovalsOptions | undefined,
): { ask: (a: ApprovalAsk) => void; answered: (a: ApprovalAsk) => void } {
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
    world.log('operator', `the approval page serves the ${a.step} approval (${a.decision}) at ${server.url}: virtual time waits for the answer`, {
      step: a.step,
      decision: a.decision,
      served: server.url,
    });
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
async function deployForDrill(
  world: World,
  app: ResolvedApp,
  scenario: Scenario,
  options: DrillOptions,
  live: LiveRun,
  server?: ApprovalServer,
  secretArn?: string,
): Promise<Deployment> {
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
      if (deployment)
        live.dnsChecks.push(
          dnsCheck(world, deployment.databases[e.database ?? scenario.database] ?? deployment.databases[scenario.database]!, e, ownership(world, deployment)),
        );
    },
  };
  const secretKeys = (scenario.world?.secretKeys ?? []).map((k) => ({ database: k.database ?? scenario.database, kmsKeyArn: k.kmsKeyArn }));
  const deployment = await deploy(world, app, {
    hooks,
    secretKeys,
    emailSubscriptions: { pending: scenario.world?.pendingEmails, removed: scenario.world?.removedEmails },
  });
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
  sampleDataBehind(world, db, roles, truth, startMs);
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
      activity: () =>
        `${activity()}|${world.timeline.length}|${world.network.writes.length}|${sfn.stateTransitions}|${world.lambda.invocations.length}|${world.clock.pending()}|${sfn.runningCount()}|${sfn.turnActivity}`,
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
  run: {
    startMs: number;
    endMs: number;
    calls: CallFact[];
    dnsChecks: DnsCheck[];
    applied: AppliedEvent[];
    clients: AppClients;
    otherClients: Map<string, AppClients>;
  },
): DrillFacts {
  const { startMs, endMs, calls, dnsChecks, applied, clients, otherClients } = run;
  const sfn = deployment.sfn;
  const owner = ownership(world, deployment);
  const promotions: PromotionFact[] = [
    ...world.rds.promotions.map((p) => ({ ...p })),
    ...deployment.coldActivations.map((a) => ({
      instanceId: a.instanceId,
      resourceId: a.resourceId,
      sourceId: a.sourceId,
      startedAt: a.startedAt,
      completedAt: a.completedAt,
      dataUpToMs: a.dataUpToMs,
    })),
  ]
    .map((p) => attribute(p, calls))
    .map((p) => ({
      ...p,
      database: owner({ resourceId: p.resourceId, id: p.instanceId, region: p.region }) ?? owner({ resourceId: p.sourceResourceId, id: p.sourceId }),
    }))
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
      drilledBy: scenario.config.databases
        .filter((x) => x.gameDay?.drillPair === d.name)
        .map((x) => ({ name: x.name, allowProductionTarget: x.gameDay!.allowProductionTarget === true })),
    })),
    events: applied.sort((a, b) => a.at - b.at),
    attempts: clients.attempts,
    ...(otherClients.size > 0
      ? { attemptsByDatabase: { [scenario.database]: clients.attempts, ...Object.fromEntries([...otherClients].map(([n, c]) => [n, c.attempts])) } }
      : {}),
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
    expectations: judgeExpectations(scenario.expect, {
      outcome,
      writer,
      failovers: own.promotions.length,
      rtoSeconds: rto,
      dataLossSeconds: loss,
      roles: scenario.roles,
    }),
    liveness: live.results,
    escalations: live.escalations.map((x) => ({
      t: secondsSince(startMs, x.at),
      execution: x.execution,
      stateMachine: x.stateMachine,
      cause: x.cause,
      message: x.message,
      evidence: x.evidence,
      ...(x.against ? { against: x.against } : {}),
    })),
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
    if (cluster)
      return dbs.find(([, d]) => [d.primary.id, d.standby.id, d.config.primary.globalClusterId ?? ''].some((id) => id.toLowerCase() === cluster))?.[0];
    return undefined;
  }
  if (service === 'route53') {
    const names = ((x.ChangeBatch as { Changes?: Array<{ ResourceRecordSet?: { Name?: string } }> } | undefined)?.Changes ?? []).map((c) =>
      c.ResourceRecordSet?.Name?.replace(/\.$/, '').toLowerCase(),
    );
    return dbs.find(([, d]) => names.some((n) => n === d.config.dns.recordName.toLowerCase() || n === d.config.traffic?.recordName.toLowerCase()))?.[0];
  }
  if (service === 'ec2') {
    const group = typeof x.GroupId === 'string' ? x.GroupId : undefined;
    return group
      ? dbs.find(([, d]) => [...(d.config.primary.securityGroupIds ?? []), ...(d.config.standby.securityGroupIds ?? [])].includes(group))?.[0]
      : undefined;
  }
  const stack = typeof x.StackName === 'string' ? x.StackName : undefined;
  return stack
    ? dbs.find(([, d]) => d.config.standby.coldStandby?.stackName === stack || stack.endsWith(`/${d.config.standby.coldStandby?.stackName}`))?.[0]
    : undefined;
}

function dnsTargetOf(world: World, input: unknown): string | undefined {
  const changes =
    (input as { ChangeBatch?: { Changes?: Array<{ Action?: string; ResourceRecordSet?: { ResourceRecords?: Array<{ Value?: string }> } }> } })?.ChangeBatch
      ?.Changes ?? [];
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

// ------------------------------------------------------------------ injected crash and its recovery

// ------------------------------------------------------------------ scenario events

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
    vantage: {
      regions: c.detection.vantagePoints.map((v) => v.region),
      names: c.detection.vantagePoints.map((v) => v.name),
      includeControlPlane: c.detection.includeControlPlane,
      quorum: c.detection.quorum,
    },
    failback: {
      policy: c.failback.policy,
      stabilityMinutes: c.failback.stabilityMinutes,
      maxWaitHours: c.failback.maxWaitHours,
      rebuildTimeoutMinutes: c.failback.rebuildTimeoutMinutes,
    },
    ...(c.traffic ? { drain: { steps: c.traffic.drainSteps.length, stepObservationMinutes: c.traffic.stepObservationMinutes } } : {}),
  };
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
  const own = world.rds.promotions.filter(
    (p) =>
      (owner({ resourceId: p.resourceId, id: p.instanceId, region: p.region }) ?? owner({ resourceId: p.sourceResourceId, id: p.sourceId })) === db.config.name,
  );
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
  return {
    executionArn: e.arn,
    executionName: `${e.stateMachine} ${shortName(e.name)}`,
    at: world.clock.now(),
    resolvesTo,
    writers: writers.sort(),
    database: db.config.name,
  };
}

// ------------------------------------------------------------------ the workflow lines of the timeline

/**
 * The game day's objectives the run is held to (the database whose `gameDay` names the scenario's
 * database as its drill pair) and whether its RTO and modelled data loss met them.
 */
function objectivesOf(config: Scenario['config'], database: string, rto: number | null, loss: number | null): { objectives?: ObjectivesSummary } {
  const owner = objectivesFor(config, database);
  if (!owner) return {};
  return {
    objectives: {
      database: owner.database,
      ...owner.objectives,
      comparedRtoSeconds: rto,
      comparedDataLossSeconds: loss,
      dataLossFrom: 'modelled-data-loss',
      ...judgeObjectives(owner.objectives, rto, loss),
    },
  };
}
