/**
 * `failover report` against the cloud twin: a drill runs (the built-in game day, with its
 * manual-approval failback, and a Region outage whose failover asks twice and whose failback is
 * rejected); then, as an operator would, the report is built from the twin's Step Functions
 * GetExecutionHistory / DescribeExecution and the state table, through the AWS SDK clients, and
 * compared with the drill's own report of the same run, field by field for what the history and
 * the record can know. What only the twin's ground truth knows is absent and marked not measured.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FailoverConfigInput } from '../../../lambdas/shared/config-schema.js';
import { sdkEnv } from '../../../lib/ops/env.js';
import { readEvidence, readExecutionHistory, type HistoryEventLike } from '../../../lib/ops/report.js';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { run as cli } from '../../../bin/failover.js';
import { twinContext } from '../../../twin/context.js';
import type { DrillFacts } from '../../../twin/drill/measure.js';
import { runDrill } from '../../../twin/drill/run.js';
import { phaseBands, type Report } from '../../../twin/report/index.js';
import { lastVerdict } from '../../../twin/report/verdict.js';
import { loadScenarioFile } from '../../../twin/scenario/index.js';
import type { World } from '../../../twin/world.js';
import { fakeIo } from '../../helpers/cli-io.js';
import { configWith, databaseConfig, selfDrill } from '../../fixtures/databases.js';

process.env.RDS_FAILOVER_TWIN_CACHE ??= `${process.cwd()}/.twin-cache`;

interface Both {
  drill: Report;
  real: Report;
  facts: DrillFacts;
  startMs: number;
  /** The raw histories of the reported runs (oldest first), and the failover's read newest first in pages of 100. */
  histories: Map<string, HistoryEventLike[]>;
  reversed: HistoryEventLike[];
}

/** Runs the scenario, then builds the report of its first failover incident through the SDK, as `failover report` does. */
async function drillAndReport(file: string, config?: FailoverConfigInput, inspect?: (world: World) => Promise<void>): Promise<Both> {
  const scenario = loadScenarioFile(file, config ? { configOverride: config } : {});
  let real: Report | undefined;
  let facts: DrillFacts | undefined;
  let startMs = 0;
  const histories = new Map<string, HistoryEventLike[]>();
  const reversed: HistoryEventLike[] = [];
  const drill = await runDrill(scenario, {
    seed: 1,
    onFinish: async (world, deployment, f) => {
      facts = f;
      await inspect?.(world);
      startMs = world.startMs;
      const main = f.executions.find((e) => e.stateMachine === 'failover' && e.steps.some((s) => s.folder === 'record-incident'))!;
      const env = await sdkEnv({ where: 'twin', account: async () => world.accountId, now: () => new Date(world.clock.now()) });
      await twinContext.run({ principal: deployment.operator, region: deployment.controlRegion, vantage: 'operator' }, async () => {
        real = await readEvidence(scenario.config, env, main.arn);
        for (const r of real.evidence!.runs) histories.set(r.executionArn, await readExecutionHistory(env, r.executionArn));
        const sfn = new SFNClient({ region: deployment.controlRegion });
        let nextToken: string | undefined;
        do {
          const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn: main.arn, reverseOrder: true, maxResults: 100, nextToken }));
          reversed.push(...(page.events as HistoryEventLike[]));
          nextToken = page.nextToken;
        } while (nextToken);
      });
    },
  });
  return { drill, real: real!, facts: facts!, startMs, histories, reversed };
}

/** The twin's history is written as Step Functions writes it, and agrees with the runtime's own record. */
function expectFaithfulHistory({ facts, histories, reversed }: Both): void {
  for (const [arn, events] of histories) {
    const rec = facts.executions.find((e) => e.arn === arn)!;
    const byId = new Map(events.map((e) => [e.id!, e]));
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe('ExecutionStarted');
    const END: Record<string, string> = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      ABORTED: 'ExecutionAborted',
      TIMED_OUT: 'ExecutionTimedOut',
    };
    if (rec.status === 'RUNNING') expect(events.some((e) => e.type?.startsWith('Execution') && e.type !== 'ExecutionStarted')).toBe(false);
    else expect(events.at(-1)!.type).toBe(END[rec.status]);
    const times = events.map((e) => new Date(e.timestamp as Date).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // A function's result points back to its start, its start to its scheduling, inside a state entered before.
    for (const e of events.filter((x) => x.type === 'LambdaFunctionSucceeded' || x.type === 'LambdaFunctionFailed')) {
      const started = byId.get(e.previousEventId!)!;
      expect(started.type).toBe('LambdaFunctionStarted');
      const scheduled = byId.get(started.previousEventId!)!;
      expect(scheduled.type).toBe('LambdaFunctionScheduled');
      expect(events.slice(0, scheduled.id! - 1).some((x) => x.type === 'TaskStateEntered')).toBe(true);
    }
    // A callback: scheduled, started, submitted (the request went out), then its answer.
    for (const e of events.filter((x) => x.type === 'TaskSubmitted')) {
      expect(byId.get(e.previousEventId!)!.type).toBe('TaskStarted');
      expect(byId.get(byId.get(e.previousEventId!)!.previousEventId!)!.type).toBe('TaskScheduled');
    }
    // The states entered, in order, are the runtime's; so is the count (the one the 25,000-event limit is held to).
    const entered = events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name);
    expect(entered).toEqual(rec.entered);
    expect(events.length).toBe(rec.historyEvents);
  }
  const forward = histories.values().next().value!;
  expect(reversed.map((e) => e.id)).toEqual([...forward].reverse().map((e) => e.id));
}

// History timestamps are whole milliseconds (the drill's virtual clock has fractions of one).
const abs = (startMs: number, t: number): number => Math.floor(startMs + t * 1000 + 1e-6);
const markers = (r: Report, toMs: (e: Report['timeline'][number]) => number) =>
  r.timeline
    .filter((e) => e.source === 'workflow' && typeof e.detail.phase === 'string' && e.detail.database === undefined)
    .map((e) => `${new Date(toMs(e)).toISOString()} ${String(e.detail.stateMachine)} ${String(e.detail.phase)}`)
    .sort();

/** The comparisons that hold for every run: what the history and the record can know. */
function expectSameRun({ drill, real, facts, startMs }: Both, options: { detected?: boolean } = {}): void {
  const runs = real.evidence!.runs.map((r) => r.executionArn);
  const records = facts.executions.filter((e) => runs.includes(e.arn));
  const fromDrill = (e: Report['timeline'][number]) => abs(startMs, e.t);
  const fromReal = (e: Report['timeline'][number]) => Date.parse(e.at!);

  // Outcome, promotions, the writer at the end, the verdict.
  expect(real.outcome).toBe(drill.outcome);
  expect(real.failovers).toBe(drill.failovers);
  expect(real.writer).toBe(drill.writer);
  expect(lastVerdict(real)?.verdict).toBe(lastVerdict(drill)?.verdict);
  expect(real.evidence!.verdict?.verdict).toBe(lastVerdict(drill)?.verdict);

  // Every phase marker of the runs, at the same instant (the drill's other runs only stood down and mark none).
  const drillMarkers = drill.timeline.filter(
    (e) => typeof e.detail.phase === 'string' && typeof e.detail.execution === 'string' && records.some((r) => r.name === e.detail.execution),
  );
  expect(markers(real, fromReal)).toEqual(markers({ ...drill, timeline: drillMarkers }, fromDrill));
  expect(drill.timeline.filter((e) => typeof e.detail.phase === 'string' && !drillMarkers.includes(e))).toEqual([]);

  // The chart's bands (the drill's "detect" band starts at the failure, which only the twin knows).
  const bands = (r: Report, toMs: (t: number) => number) =>
    phaseBands(r)
      .filter((b) => b.name !== 'detect')
      .map((b) => `${b.name} ${new Date(toMs(b.start)).toISOString()}`);
  const origin = Date.parse(real.evidence!.origin);
  expect(bands(real, (t) => Math.round(origin + t * 1000))).toEqual(bands(drill, (t) => abs(startMs, t)));

  // Approvals: who answered what, when.
  const asked = records
    .flatMap((e) => e.approvals)
    .map((a) => ({
      step: a.step,
      decision: a.decision,
      askedAt: new Date(a.askedAt).toISOString(),
      answer: a.answer ?? null,
      approver: a.approver ?? null,
      answeredAt: a.answeredAt === undefined ? null : new Date(a.answeredAt).toISOString(),
    }));
  expect(
    real.evidence!.approvals.map(({ step, decision, askedAt, answer, approver, answeredAt }) => ({ step, decision, askedAt, answer, approver, answeredAt })),
  ).toEqual(asked);

  // Executions: status and state transitions; every state the runtime entered is in the history, in order.
  for (const r of records) {
    const mine = real.executions.find((e) => e.name === r.name)!;
    expect(mine.status).toBe(r.status);
    expect(mine.stateTransitions).toBe(r.stateTransitions);
    expect(drill.executions.find((e) => e.name === r.name)?.stateTransitions).toBe(mine.stateTransitions);
  }

  // RTO: the workflow's, from the trigger the run accepted to the write it verified (the drill's timeline).
  const main = records.find((e) => e.stateMachine === 'failover')!;
  const triggerAt = Date.parse(String((main.steps.find((s) => s.folder === 'accept-trigger')!.output as { at: string }).at));
  const verified = drill.timeline.find((e) => e.detail.phase === 'writes-verified' && e.detail.execution === main.name);
  // A drill that started a fault experiment counts from the experiment's start (start-fault-experiment's answer).
  // (Not its `stop` action: a real run of a drill pair stops the pair's experiments, and starts none.)
  const fault = main.steps.find((s) => s.folder === 'start-fault-experiment' && (s.input as { action?: string }).action !== 'stop')?.output as
    { startedAt: string } | undefined;
  const rtoFrom = fault ? Date.parse(fault.startedAt) : triggerAt;
  expect(real.evidence!.rto?.from ?? null).toBe(verified ? (fault ? 'fault-onset' : 'trigger') : null);
  expect(real.rtoSeconds).toBe(verified ? Math.round(abs(startMs, verified.t) - rtoFrom) / 1000 : null);
  expect(real.evidence!.rto?.triggeredAt).toBe(verified ? new Date(triggerAt).toISOString() : undefined);
  if (fault && verified) expect(real.evidence!.rto?.faultStartedAt).toBe(fault.startedAt);
  // Detection: from the trigger to the verdict (the failure's onset is the twin's alone).
  const verdictMarker = drill.timeline.find((e) => e.detail.phase === 'verdict' && e.detail.execution === main.name)!; // the first
  expect(real.evidence!.verificationSeconds).toBe(Math.round(abs(startMs, verdictMarker.t) - triggerAt) / 1000);
  // Data at risk: the last budget check's figures (the one the decision was made on), as the drill's timeline shows them.
  const budget = drill.timeline.filter((e) => e.event.includes('data-loss budget') && e.detail.execution === main.name).pop()!;
  expect(real.evidence!.dataAtRisk).toMatchObject({
    lagSeconds: budget.detail.lagSeconds,
    boundSeconds: budget.detail.boundSeconds,
    withinBudget: budget.detail.withinBudget,
  });
  // Decisions: each choice is the state the runtime entered next.
  for (const d of real.evidence!.decisions.filter((x) => x.run === 'failover')) {
    const i = main.entered.indexOf(d.state);
    expect(i, d.state).toBeGreaterThanOrEqual(0);
  }

  // Twin-only fields: known to the drill, absent and marked not measured in the real report.
  // (A network partition is not a failure the twin's detection measure counts: `detected: false`.)
  if (options.detected !== false) expect(drill.detectionSeconds).not.toBeNull();
  expect(drill.failureAt).not.toBeNull();
  expect(drill.invariants.length).toBeGreaterThan(0);
  expect([real.detectionSeconds, real.dataLossSeconds, real.failureAt]).toEqual([null, null, null]);
  expect(real.invariants).toEqual([]);
  expect(real.liveness).toBeUndefined();
  expect(real.evidence!.notMeasured.map((n) => n.field)).toEqual(
    expect.arrayContaining(['failureAt', 'detectionSeconds', 'dataLossSeconds', 'invariants', 'liveness']),
  );
}

/** The example config with a game day on orders (drilling itself, with the opt-in). */
function withGameDay(): FailoverConfigInput {
  return configWith(databaseConfig({ gameDay: selfDrill('orders') }));
}

describe('failover report of a drill run matches the drill report of the same run', () => {
  it('the game day: automatic failover, then a failback a human approves', async () => {
    const both = await drillAndReport('scenarios/game-day.json', withGameDay());
    expectFaithfulHistory(both);
    expectSameRun(both);
    const { drill, real } = both;
    expect(real.outcome).toBe('failed-back');
    expect(real.evidence!.runs.map((r) => r.stateMachine)).toEqual(['failover', 'failback']);
    expect(real.evidence!.runs.every((r) => r.recorded)).toBe(true);
    expect(real.evidence!.approvals).toMatchObject([{ step: 'failback', decision: 'fail-back', answer: 'approve', approver: 'drill-operator' }]);
    // Objectives: the same targets; each report compares its own figures.
    expect(drill.objectives).toMatchObject({
      database: 'orders',
      rtoSeconds: 600,
      rpoSeconds: 30,
      dataLossFrom: 'modelled-data-loss',
      comparedRtoSeconds: drill.rtoSeconds,
      comparedDataLossSeconds: drill.dataLossSeconds,
    });
    expect(real.objectives).toMatchObject({
      database: 'orders',
      rtoSeconds: 600,
      rpoSeconds: 30,
      dataLossFrom: 'data-at-risk-at-decision',
      comparedRtoSeconds: real.rtoSeconds,
      comparedDataLossSeconds: real.evidence!.dataAtRisk!.lagSeconds,
      met: true,
    });
  }, 240_000);

  it('a scheduled drill whose fault the FIS experiment injects: the drill marker, the RTO from the fault onset, the objectives and the drill metrics', async () => {
    // The drill metrics as the dashboard reads them (GetMetricStatistics in the control Region).
    const metrics: { name: string; value: number; samples: number }[] = [];
    const both = await drillAndReport('scenarios/scheduled-drill.json', undefined, async (world) => {
      for (const name of ['DrillRtoSeconds', 'DrillDataLossSeconds', 'DrillObjectivesMet']) {
        const out = (await world.call(
          'cloudwatch',
          'GetMetricStatistics',
          {
            Namespace: 'RdsFailover',
            MetricName: name,
            Dimensions: [{ Name: 'Database', Value: 'orders' }],
            StartTime: new Date(world.startMs),
            EndTime: new Date(world.clock.now() + 60_000),
            Period: 86_400,
            Statistics: ['Maximum', 'SampleCount'],
          },
          { region: 'us-west-2' },
        )) as { Datapoints?: { Maximum?: number; SampleCount?: number }[] };
        for (const d of out.Datapoints ?? []) metrics.push({ name, value: d.Maximum!, samples: d.SampleCount! });
      }
    });
    expectFaithfulHistory(both);
    expectSameRun(both, { detected: false });
    const { drill, real, facts } = both;
    expect(real.outcome).toBe('failed-over');
    expect(real.evidence!.drill).toEqual({ requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true });
    expect(real.evidence!.trigger?.kind).toBe('drill');
    expect(real.evidence!.approvals.filter((a) => a.answer === 'approve')).toMatchObject([
      { step: 'failover', decision: 'promote', approver: 'drill-operator' },
    ]);
    // The fault experiment's start is the RTO's origin. The drill's own RTO runs from the twin's
    // failure (the first client write the cut network refused: FIS initiates for 5 s, then the next
    // write fails) to the first client write on the new writer; the report's from the experiment's
    // start to the workflow's verified write: it starts earlier and is never shorter.
    const rto = real.evidence!.rto!;
    expect(rto.from).toBe('fault-onset');
    const started = facts.executions.flatMap((e) => e.steps).find((s) => s.folder === 'start-fault-experiment')!.output as {
      experimentId: string;
      startedAt: string;
    };
    expect(rto.faultStartedAt).toBe(started.startedAt);
    const onset = Date.parse(started.startedAt);
    const failure = abs(both.startMs, drill.failureAt!);
    expect(failure).toBeGreaterThanOrEqual(onset);
    expect(failure - onset).toBeLessThanOrEqual(10_000);
    expect(real.rtoSeconds!).toBeGreaterThanOrEqual(drill.rtoSeconds!);
    expect(real.rtoSeconds!).toBeLessThanOrEqual(900);
    // Objectives: the same targets; each report compares its own figures; both met.
    expect(drill.objectives).toMatchObject({
      database: 'orders',
      rtoSeconds: 900,
      rpoSeconds: 30,
      dataLossFrom: 'modelled-data-loss',
      comparedRtoSeconds: drill.rtoSeconds,
      met: true,
    });
    expect(real.objectives).toMatchObject({
      database: 'orders',
      rtoSeconds: 900,
      rpoSeconds: 30,
      dataLossFrom: 'data-at-risk-at-decision',
      comparedRtoSeconds: real.rtoSeconds,
      comparedDataLossSeconds: real.evidence!.dataAtRisk!.lagSeconds,
      met: true,
    });
    // The drill metrics in the twin's CloudWatch: the RTO the report states, the data at risk, objectives met.
    expect(metrics).toEqual([
      { name: 'DrillRtoSeconds', value: real.rtoSeconds, samples: 1 },
      { name: 'DrillDataLossSeconds', value: real.evidence!.dataAtRisk!.lagSeconds, samples: 1 },
      { name: 'DrillObjectivesMet', value: 1, samples: 1 },
    ]);
    // The text report says where the RTO counts from.
    expect(real.evidence!.notMeasured.find((n) => n.field === 'rtoSeconds')?.why).toContain("fault experiment's start");
  }, 240_000);

  it('a Region outage: two questions withdrawn by new evidence, two approved; the failback still rebuilding at the end', async () => {
    const both = await drillAndReport('scenarios/region-outage.json');
    expectFaithfulHistory(both);
    expectSameRun(both);
    const { real } = both;
    expect(real.outcome).toBe('failed-over');
    expect(real.evidence!.approvals.map((a) => [a.step, a.decision, a.answer, a.approver])).toEqual([
      ['failover', 'promote', 'superseded', 'automation'],
      ['failover', 'promote', 'superseded', 'automation'],
      ['failover', 'accept-data-loss', 'approve', 'drill-operator'],
      ['failover', 'promote-unfenced', 'approve', 'drill-operator'],
    ]);
    expect(real.evidence!.runs.map((r) => [r.stateMachine, r.status])).toEqual([
      ['failover', 'SUCCEEDED'],
      ['failback', 'RUNNING'],
    ]);
    expect(real.objectives).toBeUndefined();
  }, 240_000);
});

describe('the command', () => {
  it("latest --twin --scenario: the game day's evidence as JSON, and as an HTML page written to --out", async () => {
    const a = fakeIo();
    expect(await cli(['report', 'latest', '--twin', '--scenario', 'scenarios/game-day.json', '--format', 'json'], a.io)).toBe(0);
    const report = JSON.parse(a.stdout());
    expect(report).toMatchObject({
      outcome: 'failed-back',
      failovers: 2,
      detectionSeconds: null,
      dataLossSeconds: null,
      evidence: { source: 'execution-history', where: 'twin' },
    });
    expect(report.evidence.runs.map((r: { stateMachine: string }) => r.stateMachine)).toEqual(['failover', 'failback']);
    const out = join(mkdtempSync(join(tmpdir(), 'report-')), 'evidence.html');
    const b = fakeIo();
    expect(await cli(['report', 'latest', '--twin', '--scenario', 'scenarios/game-day.json', '--format', 'html', '--out', out, '--no-pair'], b.io)).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('failover evidence report');
    expect(html).toContain('Not measured');
    expect(html).not.toContain('failover-failback:'); // --no-pair: the failover run alone
    expect(b.stderr()).toContain(`report written to ${out}`);
  }, 240_000);

  it('refuses a bad --format and a malformed ARN before running anything (exit 2)', async () => {
    const a = fakeIo();
    expect(await cli(['report', 'latest', '--twin', '--format', 'pdf'], a.io)).toBe(2);
    expect(a.stderr()).toContain('--format must be one of text, json, html, got "pdf"');
    const b = fakeIo();
    expect(await cli(['report', 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover', '--twin'], b.io)).toBe(2);
    expect(b.stderr()).toContain('not a Step Functions execution ARN');
  });
});
