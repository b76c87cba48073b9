/**
 * lib/ops/report.ts on fixed histories and records: what a real run's report says (outcome,
 * figures, approvals, fences, promotions, DNS, decisions, the paired run, objectives) and that what
 * only the twin knows is left out and listed as not measured.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lib/config/index.js';
import {
  buildEvidenceReport,
  incidentIdOf,
  machineOf,
  pairedArn,
  regionOf,
  type EvidenceRecord,
  type HistoryEventLike,
  type RunEvidence,
} from '../../../lib/ops/report.js';
import { phaseBands } from '../../../twin/report/phases.js';
import { renderEvidenceSummary } from '../../../twin/report/text.js';
import { renderHtml } from '../../../twin/report/html.js';
import { configWith, databaseConfig, selfDrill } from '../../fixtures/databases.js';

const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const FN = (f: string) => `arn:aws:lambda:us-west-2:123456789012:function:failover-${f}`;
const FAILOVER_ARN = 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:inc-1';
const FAILBACK_ARN = 'arn:aws:states:us-west-2:123456789012:execution:failover-failback:fb-1';

/** A history written the way Step Functions writes it, step by step. */
class History {
  readonly events: HistoryEventLike[] = [];
  private add(type: string, s: number, details?: Record<string, unknown>, prev?: number): number {
    const id = this.events.length + 1;
    const key = type.endsWith('StateEntered')
      ? 'stateEnteredEventDetails'
      : type.endsWith('StateExited')
        ? 'stateExitedEventDetails'
        : `${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`;
    this.events.push({ id, previousEventId: prev ?? id - 1, type, timestamp: new Date(T0 + s * 1000), ...(details ? { [key]: details } : {}) });
    return id;
  }
  start(s: number, input: unknown): this {
    this.add('ExecutionStarted', s, { input: JSON.stringify(input), roleArn: 'arn:aws:iam::123456789012:role/sm' });
    return this;
  }
  lambda(state: string, fn: string, s: number, input: unknown, output: unknown, end = s): this {
    this.add('TaskStateEntered', s, { name: state, input: '{}' });
    const sch = this.add('LambdaFunctionScheduled', s, { resource: FN(fn), input: JSON.stringify(input) });
    const st = this.add('LambdaFunctionStarted', s, undefined, sch);
    this.add('LambdaFunctionSucceeded', end, { output: JSON.stringify(output) }, st);
    this.add('TaskStateExited', end, { name: state, output: '{}' });
    return this;
  }
  choice(state: string, s: number, next: string): this {
    this.add('ChoiceStateEntered', s, { name: state, input: '{}' });
    this.add('ChoiceStateExited', s, { name: state, output: '{}' });
    this.add('PassStateEntered', s, { name: next, input: '{}' });
    this.add('PassStateExited', s, { name: next, output: '{}' });
    return this;
  }
  approval(state: string, s: number, payload: Record<string, unknown>, answer: { at: number; output?: unknown; timedOut?: boolean } | null): this {
    const res = { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' };
    this.add('TaskStateEntered', s, { name: state, input: '{}' });
    const sch = this.add('TaskScheduled', s, {
      ...res,
      region: 'us-west-2',
      parameters: JSON.stringify({ FunctionName: FN('request-approval'), Payload: payload }),
    });
    const st = this.add('TaskStarted', s, res, sch);
    const sub = this.add('TaskSubmitted', s, { ...res, output: JSON.stringify({ approvalId: 'ap-1', expiresAt: at(s + 3600) }) }, st);
    if (answer?.timedOut) this.add('TaskTimedOut', answer.at, { ...res, error: 'States.Timeout', cause: '' }, sub);
    else if (answer) {
      this.add('TaskSucceeded', answer.at, { ...res, output: JSON.stringify(answer.output) }, sub);
      this.add('TaskStateExited', answer.at, { name: state, output: '{}' });
    }
    return this;
  }
  startFailback(s: number): this {
    const res = { resourceType: 'states', resource: 'startExecution' };
    this.add('TaskStateEntered', s, { name: 'Start the failback', input: '{}' });
    const sch = this.add('TaskScheduled', s, { ...res, region: 'us-west-2', parameters: '{}' });
    const st = this.add('TaskStarted', s, res, sch);
    this.add('TaskSucceeded', s, { ...res, output: JSON.stringify({ ExecutionArn: FAILBACK_ARN, StartDate: at(s) }) }, st);
    return this;
  }
  end(s: number, type = 'ExecutionSucceeded'): this {
    this.add(type, s, type === 'ExecutionSucceeded' ? { output: '{}' } : { error: 'States.TaskFailed', cause: 'x' });
    return this;
  }
}

const DB = { name: 'orders', primary: { region: 'us-east-1', instanceId: 'orders-primary' }, standby: { region: 'us-west-2', instanceId: 'orders-replica' } };
const rec = (incidentId: string, phase: string, detail: Record<string, unknown> = {}) => ({ database: DB, incidentId, epoch: 1, phase, detail });
const trigger = { kind: 'heartbeat', source: 'in-region', at: at(0), summary: 'Heartbeat of orders failed (in-region)', incidentId: 'inc-1' };

/** An automatic failover whose data check asks a human; the budget figures and an approval. */
function failoverHistory(opts: { answer?: 'approve' | 'reject' | 'timeout' | null; failback?: boolean } = {}): History {
  const h = new History()
    .start(0.4, { database: DB, trigger })
    .lambda('Check the trigger belongs to this database', 'accept-trigger', 0.4, {}, trigger)
    .lambda('Take the incident lease', 'manage-lease', 0.4, { action: 'acquire' }, { acquired: true, epoch: 1 })
    .lambda('Record that the incident opened', 'record-incident', 0.4, rec('inc-1', 'detected'), { recorded: true })
    .lambda('Decide', 'evaluate-verdict', 20, {}, { verdict: 'confirmed-down', reason: 'all 5 vantage points saw it down' })
    .lambda('Record the verdict', 'record-incident', 20, rec('inc-1', 'verdict', { verdict: 'confirmed-down', reason: 'all 5 vantage points saw it down' }), {
      recorded: true,
    })
    .lambda(
      'Check the data-loss budget',
      'check-data-loss-budget',
      21,
      {},
      { lagSeconds: 45, boundSeconds: 80, budgetSeconds: 30, withinBudget: false, estimate: 'last-sample', detail: 'Over the 30 s budget: 45 s behind' },
    )
    .choice('Is the data within budget?', 21, 'Ask a human to accept the data loss');
  const answer = opts.answer === undefined ? 'approve' : opts.answer;
  if (answer === null) return h.approval('Ask a human to accept the data loss', 22, { step: 'failover', decision: 'accept-data-loss' }, null);
  if (answer === 'timeout') {
    h.approval('Ask a human to accept the data loss', 22, { step: 'failover', decision: 'accept-data-loss' }, { at: 3622, timedOut: true });
    return h.lambda('Record the timeout', 'record-incident', 3622, rec('inc-1', 'approval-timed-out'), { recorded: true }).end(3622);
  }
  const output = { decision: answer, approver: 'alice@example.com', reason: 'checked the app', approvalId: 'ap-1' };
  h.approval('Ask a human to accept the data loss', 22, { step: 'failover', decision: 'accept-data-loss' }, { at: 300, output });
  if (answer === 'reject')
    return h.lambda('Record the rejection', 'record-incident', 300, rec('inc-1', 'rejected', { approval: output }), { recorded: true }).end(300);
  h.lambda('Record the approval', 'record-incident', 300, rec('inc-1', 'approved', { approval: output }), { recorded: true })
    .lambda(
      'Fence the old primary',
      'fence-primary',
      301,
      {},
      { confirmed: true, deferred: false, actions: [{ action: 'isolate orders-primary', result: 'done' }] },
    )
    .lambda(
      'Promote the standby',
      'promote-standby',
      302,
      { phase: 'promote' },
      { action: 'PromoteReadReplica', started: true, target: { region: 'us-west-2', id: 'orders-replica' }, detail: 'promoting' },
    )
    .lambda('Point the DNS name at the standby', 'switch-dns', 303, {}, { changeId: 'C1', previous: 'orders-primary.x', current: 'orders-replica.x' })
    .lambda('Is the standby writable?', 'check-standby', 360, {}, { ready: true, status: 'available' })
    .lambda('Verify writes', 'verify-writes', 370, {}, { ok: true, host: 'writer.orders.internal', at: at(370) })
    .lambda('Record the failover', 'record-incident', 370, rec('inc-1', 'failed-over', { triggeredAt: at(0), writesVerifiedAt: at(370), lagSeconds: 45 }), {
      recorded: true,
    });
  if (opts.failback) h.startFailback(400);
  return h.end(400);
}

const failoverRecord = (extra: Partial<EvidenceRecord> = {}): EvidenceRecord => ({
  pk: 'INCIDENT#inc-1',
  database: 'orders',
  timeline: [
    { at: at(0.4), phase: 'detected' },
    { at: at(370), phase: 'failed-over', detail: { triggeredAt: at(0), writesVerifiedAt: at(370), lagSeconds: 45 } },
  ],
  ...extra,
});

const run = (h: History, arn = FAILOVER_ARN, status = 'SUCCEEDED', record?: EvidenceRecord): RunEvidence => ({
  execution: {
    executionArn: arn,
    name: arn.split(':').pop()!,
    status,
    startDate: h.events[0]!.timestamp as Date,
    ...(status === 'RUNNING' ? {} : { stopDate: h.events[h.events.length - 1]!.timestamp as Date }),
  },
  events: h.events,
  ...(record ? { record } : {}),
});

const config = (gameDay = false) => validateConfig(configWith(databaseConfig(gameDay ? { gameDay: selfDrill('orders') } : {}))).config;

describe('buildEvidenceReport: outcomes', () => {
  it.each([
    ['approved: failed over', { answer: 'approve' as const }, 'SUCCEEDED', 'failed-over', 1, 'orders-replica'],
    ['rejected: aborted, nothing promoted', { answer: 'reject' as const }, 'SUCCEEDED', 'aborted', 0, null],
    ['nobody answered: no failover', { answer: 'timeout' as const }, 'SUCCEEDED', 'no-failover', 0, null],
    ['still waiting for the answer', { answer: null }, 'RUNNING', 'awaiting-approval', 0, null],
  ])('%s', (_name, opts, status, outcome, failovers, writer) => {
    const r = buildEvidenceReport({ config: config(), runs: [run(failoverHistory(opts), FAILOVER_ARN, status)] });
    expect(r.outcome).toBe(outcome);
    expect(r.failovers).toBe(failovers);
    expect(r.writer).toBe(writer);
    expect(r.evidence!.notMeasured.some((n) => n.field === 'writer')).toBe(writer === null);
  });
});

describe('buildEvidenceReport: the figures of an approved failover', () => {
  const r = buildEvidenceReport({ config: config(), runs: [run(failoverHistory(), FAILOVER_ARN, 'SUCCEEDED', failoverRecord())] });
  const ev = r.evidence!;

  it('times from the trigger; RTO from the record (trigger to verified write); detection trigger to verdict', () => {
    expect(ev.origin).toBe(at(0));
    expect(r.rtoSeconds).toBe(370);
    expect(ev.rto).toEqual({ seconds: 370, from: 'trigger', triggeredAt: at(0), writesVerifiedAt: at(370) });
    expect(ev.verdict).toEqual({ verdict: 'confirmed-down', reason: 'all 5 vantage points saw it down', at: at(20) });
    expect(ev.verificationSeconds).toBe(20);
    expect(ev.dataAtRisk).toMatchObject({ lagSeconds: 45, boundSeconds: 80, budgetSeconds: 30, withinBudget: false, estimate: 'last-sample' });
  });

  it('leaves out what only the twin knows, and says so', () => {
    expect(r.detectionSeconds).toBeNull();
    expect(r.dataLossSeconds).toBeNull();
    expect(r.failureAt).toBeNull();
    expect(r.invariants).toEqual([]);
    expect(r.liveness).toBeUndefined();
    expect(ev.notMeasured.map((n) => n.field)).toEqual(
      expect.arrayContaining(['failureAt', 'detectionSeconds', 'dataLossSeconds', 'invariants', 'liveness', 'apiCalls', 'rtoSeconds']),
    );
  });

  it('who approved what and when; fences, promotions, DNS; the choices', () => {
    expect(ev.approvals).toEqual([
      {
        run: 'failover',
        step: 'failover',
        decision: 'accept-data-loss',
        askedAt: at(22),
        answer: 'approve',
        approver: 'alice@example.com',
        answeredAt: at(300),
        reason: 'checked the app',
      },
    ]);
    expect(ev.fences).toEqual([{ t: 301, at: at(301), run: 'failover', confirmed: true, deferred: false, actions: ['isolate orders-primary: done'] }]);
    expect(ev.promotions).toEqual([{ t: 302, at: at(302), run: 'failover', action: 'PromoteReadReplica', target: 'orders-replica', started: true }]);
    expect(ev.dnsSwitches).toEqual([{ t: 303, at: at(303), run: 'failover', changeId: 'C1', previous: 'orders-primary.x', current: 'orders-replica.x' }]);
    expect(ev.decisions).toEqual([{ t: 21, at: at(21), run: 'failover', state: 'Is the data within budget?', choice: 'Ask a human to accept the data loss' }]);
  });

  it("the timeline carries the drill's phase markers, so the chart bands follow", () => {
    const phases = r.timeline.filter((e) => typeof e.detail.phase === 'string').map((e) => [e.t, e.detail.phase]);
    expect(phases).toEqual([
      [0.4, 'detected'],
      [20, 'verdict'],
      [22, 'approval-requested'],
      [300, 'approved'],
      [301, 'fenced'],
      [302, 'promoting'],
      [303, 'dns-switched'],
      [360, 'promoted'],
      [370, 'writes-verified'],
      [370, 'failed-over'],
    ]);
    // The DNS change came before the standby was seen writable: its band is the wait for that.
    expect(phaseBands(r).map((b) => b.name)).toEqual(['verify', 'decide', 'approval', 'fence', 'promote', 'verify-writes', 'dns', 'failed-over']);
    expect(r.timeline.find((e) => e.source === 'operator')?.event).toBe('alice@example.com approves the failover (asked: accept-data-loss)');
  });

  it('renders as text and HTML with the evidence and the not-measured fields', () => {
    const text = renderEvidenceSummary(r);
    expect(text).toContain('RTO           6m10s (370 s) from the trigger');
    expect(text).toContain(
      'failover failover: accept-data-loss asked 2026-03-01T10:00:22.000Z; approve by alice@example.com at 2026-03-01T10:05:00.000Z: checked the app',
    );
    expect(text).toContain('dataLossSeconds: the writes really lost are not observed');
    const html = renderHtml(r);
    expect(html).toContain('failover evidence report');
    expect(html).toContain('Not measured');
    expect(html).not.toContain('h-invariants');
  });
});

describe('buildEvidenceReport: the failover and its failback', () => {
  const failback = new History()
    .start(400, { database: DB })
    .lambda('Record that the failback started', 'record-incident', 400, rec('inc-1-failback', 'failback-started', { failoverIncidentId: 'inc-1' }), {
      recorded: true,
    })
    .approval(
      'Ask a human to fail back',
      4000,
      { step: 'failback', decision: 'fail-back' },
      { at: 5000, output: { decision: 'approve', approver: 'bob@example.com' } },
    )
    .lambda(
      'Record the approval',
      'record-incident',
      5000,
      rec('inc-1-failback', 'approved', { approval: { approver: 'bob@example.com', decision: 'approve' } }),
      { recorded: true },
    )
    .lambda(
      'Promote the original',
      'promote-standby',
      5010,
      { phase: 'promote' },
      { action: 'PromoteReadReplica', started: true, target: { region: 'us-east-1', id: 'orders-primary' } },
    )
    .lambda('Point the DNS name back', 'switch-dns', 5020, {}, { changeId: 'C2', previous: 'orders-replica.x', current: 'orders-primary.x' })
    .lambda('Record the failback', 'record-incident', 5030, rec('inc-1-failback', 'failed-back'), { recorded: true })
    .end(5100);
  const fbRecord: EvidenceRecord = {
    pk: 'INCIDENT#inc-1-failback',
    database: 'orders',
    timeline: [{ at: at(400), phase: 'failback-started', detail: { failoverIncidentId: 'inc-1' } }],
  };

  it("links them both ways: the failover started the failback; the failback's record names the failover", () => {
    const fo = run(failoverHistory({ failback: true }), FAILOVER_ARN, 'SUCCEEDED', failoverRecord());
    const fb = run(failback, FAILBACK_ARN, 'SUCCEEDED', fbRecord);
    expect(pairedArn(fo, 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover', 'failover')).toBe(FAILBACK_ARN);
    expect(pairedArn(fb, 'arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover', 'failover')).toBe(FAILOVER_ARN);
    expect(incidentIdOf(fb.events)).toBe('inc-1-failback');
  });

  it("one report: failed back, two promotions, both approvals, the failback's bands", () => {
    const r = buildEvidenceReport({
      config: config(),
      runs: [run(failback, FAILBACK_ARN, 'SUCCEEDED', fbRecord), run(failoverHistory({ failback: true }), FAILOVER_ARN, 'SUCCEEDED', failoverRecord())],
    });
    expect(r.outcome).toBe('failed-back');
    expect(r.failovers).toBe(2);
    expect(r.writer).toBe('orders-primary');
    expect(r.rtoSeconds).toBe(370);
    expect(r.executions.map((e) => [e.stateMachine, e.startedAt])).toEqual([
      ['failover', 0.4],
      ['failback', 400],
    ]);
    expect(r.evidence!.approvals.map((a) => [a.run, a.decision, a.approver])).toEqual([
      ['failover', 'accept-data-loss', 'alice@example.com'],
      ['failback', 'fail-back', 'bob@example.com'],
    ]);
    expect(phaseBands(r).map((b) => b.name)).toEqual([
      'verify',
      'decide',
      'approval',
      'fence',
      'promote',
      'verify-writes',
      'dns',
      'failed-over',
      'failback',
      'failback-approval',
      'failback-switchover',
      'failed-back',
    ]);
  });
});

describe('buildEvidenceReport: a drill and its objectives', () => {
  it.each([
    ['within both', 600, 60, true, true, true],
    ['RTO over', 300, 60, false, true, false],
    ['data at risk over', 600, 30, true, false, false],
  ])('%s', (_n, rtoSeconds, rpoSeconds, rtoMet, rpoMet, met) => {
    const cfg = config(true);
    cfg.databases[0]!.gameDay!.objectives = { rtoSeconds, rpoSeconds };
    const record = failoverRecord({ drill: { requestedFor: 'orders', fault: 'reboot-with-failover', scheduled: true } });
    const r = buildEvidenceReport({ config: cfg, runs: [run(failoverHistory(), FAILOVER_ARN, 'SUCCEEDED', record)] });
    expect(r.evidence!.drill).toEqual({ requestedFor: 'orders', fault: 'reboot-with-failover', scheduled: true });
    expect(r.objectives).toEqual({
      database: 'orders',
      rtoSeconds,
      rpoSeconds,
      comparedRtoSeconds: 370,
      comparedDataLossSeconds: 45,
      dataLossFrom: 'data-at-risk-at-decision',
      rtoMet,
      rpoMet,
      met,
    });
  });

  it('a drill that did not fail over met nothing', () => {
    const r = buildEvidenceReport({ config: config(true), runs: [run(failoverHistory({ answer: 'reject' }))] });
    expect(r.objectives).toMatchObject({ comparedRtoSeconds: null, comparedDataLossSeconds: null, rtoMet: false, rpoMet: false, met: false });
  });

  it('no game day names the database: no objectives', () => {
    expect(buildEvidenceReport({ config: config(), runs: [run(failoverHistory())] }).objectives).toBeUndefined();
  });
});

describe('without the incident record', () => {
  it('the RTO comes from the history: the trigger the run accepted to the write it verified; the report says no record was found', () => {
    const r = buildEvidenceReport({ config: config(), runs: [run(failoverHistory())] });
    expect(r.rtoSeconds).toBe(370);
    expect(r.evidence!.runs[0]!.recorded).toBe(false);
  });

  it('a run that did not fail over has no RTO', () => {
    expect(buildEvidenceReport({ config: config(), runs: [run(failoverHistory({ answer: 'reject' }))] }).rtoSeconds).toBeNull();
  });
});

describe('machineOf', () => {
  it.each([
    ['failover', 'arn:aws:states:us-west-2:1:execution:failover-failover:x', 'failover'],
    ['failover', 'arn:aws:states:us-west-2:1:execution:failover-failback:x', 'failback'],
    // A prefix that reads like the other machine's name does not confuse them.
    ['failback-lab', 'arn:aws:states:us-west-2:1:execution:failback-lab-failover:x', 'failover'],
    ['failover', 'arn:aws:states:us-west-2:1:execution:someone-else:x', 'someone-else'],
  ])('prefix %s, %s -> %s', (prefix, arn, label) => expect(machineOf(arn, prefix)).toBe(label));
});

describe('regionOf', () => {
  it('reads the Region of an execution ARN and refuses anything else', () => {
    expect(regionOf(FAILOVER_ARN)).toBe('us-west-2');
    expect(() => regionOf('arn:aws:states:us-west-2:123456789012:stateMachine:failover-failover')).toThrow(/not a Step Functions execution ARN/);
  });
});
