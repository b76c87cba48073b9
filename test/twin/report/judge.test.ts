import { describe, expect, it } from 'vitest';
import { forDatabase, invariants, outcomeOf, type DrillFacts } from '../../../twin/drill/measure.js';
import type { ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';
import { exitStatus, judgeExpectations, judgePerDatabase, missingInvariants, passed, type JudgeFacts } from '../../../twin/report/judge.js';
import { EXIT, INVARIANT_NAMES, reportSchema, type InvariantResult } from '../../../twin/report/types.js';
import type { Expectations } from '../../../twin/scenario/schema.js';
import { FIXTURES, fixture, rawFixture } from './fixtures.js';

const roles = { primary: 'orders-primary', standby: 'orders-replica' };
const failedOver: JudgeFacts = { outcome: 'failed-over', writer: 'orders-replica', failovers: 1, rtoSeconds: 212, dataLossSeconds: 0.4, roles };
const nothing: JudgeFacts = { outcome: 'no-failover', writer: 'orders-primary', failovers: 0, rtoSeconds: null, dataLossSeconds: null, roles };

const judgeOne = (expectations: Expectations, facts: JudgeFacts) => {
  const results = judgeExpectations(expectations, facts);
  expect(results).toHaveLength(1);
  return results[0]!;
};

describe('judgeExpectations', () => {
  it('judges nothing when nothing is expected', () => {
    expect(judgeExpectations({}, failedOver)).toEqual([]);
  });

  it('judges every key present, in contract order', () => {
    const results = judgeExpectations({ maxDataLossSeconds: 30, failovers: 1, outcome: 'failed-over', maxRtoSeconds: 300, writer: 'standby' }, failedOver);
    expect(results.map((r) => r.name)).toEqual(['outcome', 'writer', 'failovers', 'maxRtoSeconds', 'maxDataLossSeconds']);
    expect(results.every((r) => r.held)).toBe(true);
  });

  it.each([
    ['outcome met', { outcome: 'failed-over' }, failedOver, true, 'failed-over', 'failed-over'],
    ['outcome missed', { outcome: 'failed-back' }, failedOver, false, 'failed-back', 'failed-over'],
    ['writer by role', { writer: 'standby' }, failedOver, true, 'standby', 'orders-replica'],
    ['writer by the wrong role', { writer: 'primary' }, failedOver, false, 'primary', 'orders-replica'],
    ['writer by instance id', { writer: 'orders-replica' }, failedOver, true, 'orders-replica', 'orders-replica'],
    ['writer by another instance id', { writer: 'orders-primary' }, failedOver, false, 'orders-primary', 'orders-replica'],
    ['writer when none writes', { writer: 'primary' }, { ...failedOver, writer: null }, false, 'primary', null],
    ['failovers equal', { failovers: 1 }, failedOver, true, 1, 1],
    ['failovers differ (a failback counts)', { failovers: 1 }, { ...failedOver, outcome: 'failed-back', failovers: 2 }, false, 1, 2],
    ['RTO within the bound', { maxRtoSeconds: 212 }, failedOver, true, 212, 212],
    ['RTO over the bound', { maxRtoSeconds: 211.9 }, failedOver, false, 211.9, 212],
    ['data loss within the bound', { maxDataLossSeconds: 1 }, failedOver, true, 1, 0.4],
    ['data loss over the bound', { maxDataLossSeconds: 0 }, failedOver, false, 0, 0.4],
  ] as const)('%s', (_what, expectation, facts, held, expected, actual) => {
    const r = judgeOne(expectation as Expectations, facts as JudgeFacts);
    expect(r).toMatchObject({ held, expected, actual });
  });

  it('a writer role the config does not name never holds', () => {
    const r = judgeOne({ writer: 'standby' }, { ...failedOver, writer: 'orders-replica', roles: { primary: 'orders-primary', standby: null } });
    expect(r).toMatchObject({ held: false, detail: 'the config names no standby instance' });
  });

  it('explains a role in the detail', () => {
    expect(judgeOne({ writer: 'standby' }, failedOver).detail).toBe('standby = orders-replica at the start; orders-replica takes writes at the end');
  });

  describe('bounds when nothing failed over (actual null)', () => {
    it.each([
      ['no outcome expected', {}, false],
      ['outcome failed-over expected', { outcome: 'failed-over' }, false],
      ['outcome awaiting-approval expected', { outcome: 'awaiting-approval' }, false],
      ['outcome escalated expected', { outcome: 'escalated' }, false],
      ['outcome no-failover expected', { outcome: 'no-failover' }, true],
      ['outcome aborted expected', { outcome: 'aborted' }, true],
    ] as const)('%s: held = %s', (_what, extra, held) => {
      for (const key of ['maxRtoSeconds', 'maxDataLossSeconds'] as const) {
        const result = judgeExpectations({ ...extra, [key]: 60 } as Expectations, nothing).find((r) => r.name === key)!;
        expect(result).toMatchObject({ held, expected: 60, actual: null });
      }
    });

    it('compares numbers when something was promoted although no-failover was expected', () => {
      const results = judgeExpectations({ outcome: 'no-failover', maxRtoSeconds: 100 }, failedOver);
      expect(results.map((r) => r.held)).toEqual([false, false]);
    });
  });

  it('results satisfy the report schema', () => {
    const expectations = judgeExpectations({ outcome: 'failed-over', writer: 'primary', failovers: 1, maxRtoSeconds: 60, maxDataLossSeconds: 60 }, nothing);
    const report = { ...(rawFixture('failed-over') as object), expectations };
    expect(reportSchema.safeParse(report).success).toBe(true);
  });
});

describe('exitStatus', () => {
  const allHeld = INVARIANT_NAMES.map((name) => ({ name, held: true, detail: '' }));
  const met = [{ name: 'outcome' as const, held: true, expected: 'failed-over', actual: 'failed-over' }];

  it('is 0 when every invariant held and every expectation was met', () => {
    expect(exitStatus({ invariants: allHeld, expectations: met })).toBe(EXIT.ok);
    expect(exitStatus({ invariants: allHeld, expectations: [] })).toBe(0);
  });

  it('is 1 when an invariant broke', () => {
    expect(exitStatus({ invariants: allHeld.map((i, k) => ({ ...i, held: k !== 3 })), expectations: met })).toBe(EXIT.failed);
  });

  it('is 1 when an expectation was missed', () => {
    expect(exitStatus({ invariants: allHeld, expectations: [{ ...met[0]!, held: false, actual: 'no-failover' }] })).toBe(1);
  });

  it('is 1 when an invariant of the contract was not checked', () => {
    const report = { invariants: allHeld.filter((i) => i.name !== 'no-data-destroyed'), expectations: met };
    expect(missingInvariants(report)).toEqual(['no-data-destroyed']);
    expect(passed(report)).toBe(false);
    expect(exitStatus(report)).toBe(1);
  });

  it.each([
    ['failed-over', 0],
    ['failed-back', 0],
    ['false-alarm', 0],
    ['broken', 1],
  ] as const)('fixture %s exits %d', (name, status) => {
    expect(exitStatus(fixture(name))).toBe(status);
  });

  it('every fixture matches the report schema', () => {
    for (const name of FIXTURES) expect(reportSchema.safeParse(rawFixture(name)).error).toBeUndefined();
  });
});

describe('judgePerDatabase', () => {
  const all = (held: boolean, detail: string): InvariantResult[] => INVARIANT_NAMES.map((name) => ({ name, held, detail }));

  it('holds an invariant only when it held for every database, and names each database in the detail (broken ones first)', () => {
    const orders = all(true, 'fine');
    const payments = all(true, 'fine').map((i) => (i.name === 'single-writer' ? { ...i, held: false, detail: 'a and b both took writes' } : i));
    const results = judgePerDatabase([
      { database: 'orders', invariants: orders },
      { database: 'payments', invariants: payments },
    ]);
    expect(results.map((r) => r.name)).toEqual([...INVARIANT_NAMES]);
    expect(results[0]).toEqual({ name: 'single-writer', held: false, detail: 'payments: a and b both took writes | orders: fine' });
    expect(results.slice(1).every((r) => r.held && r.detail === 'orders: fine | payments: fine')).toBe(true);
  });

  it('names the database of a config with one database', () => {
    expect(judgePerDatabase([{ database: 'orders', invariants: all(true, 'ok') }])[3]).toEqual({
      name: 'one-incident-at-a-time',
      held: true,
      detail: 'orders: ok',
    });
  });

  it('leaves out an invariant no database reported (the exit status then counts it missing)', () => {
    const results = judgePerDatabase([{ database: 'orders', invariants: all(true, 'ok').filter((i) => i.name !== 'no-data-destroyed') }]);
    expect(missingInvariants({ invariants: results })).toEqual(['no-data-destroyed']);
  });
});

describe('invariants of a config with several databases (judged per database)', () => {
  const T0 = Date.UTC(2026, 0, 1);
  const write = (target: string, database: string | undefined, s: number) => ({
    target,
    region: 'us-east-1',
    at: T0 + s * 1000,
    t: s,
    sql: 'INSERT',
    ...(database ? { database } : {}),
  });
  const run = (name: string, database: string, over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
    arn: `arn:aws:states:us-west-2:123456789012:execution:failover:${name}`,
    name,
    stateMachine: 'failover',
    stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:failover',
    database,
    status: 'SUCCEEDED',
    startedAt: T0 + 300_000,
    stoppedAt: T0 + 460_000,
    stateTransitions: 90,
    historyEvents: 400,
    historyAt: [],
    entered: [],
    input: {},
    steps: [
      {
        state: 'Take the incident lease',
        kind: 'lambda',
        folder: 'manage-lease',
        startedAt: T0 + 301_000,
        endedAt: T0 + 301_000,
        input: { action: 'acquire' },
        output: { acquired: true },
      },
      {
        state: 'Evaluate the verdict',
        kind: 'lambda',
        folder: 'evaluate-verdict',
        startedAt: T0 + 320_000,
        endedAt: T0 + 320_000,
        input: {},
        output: { verdict: 'confirmed-down' },
      },
      {
        state: 'Record the failover',
        kind: 'lambda',
        folder: 'manage-lease',
        startedAt: T0 + 450_000,
        endedAt: T0 + 450_000,
        input: { action: 'record-failover' },
        output: {},
      },
    ],
    approvals: [],
    ...over,
  });
  const base = (over: Partial<DrillFacts> = {}): DrillFacts => ({
    startMs: T0,
    endMs: T0 + 3_600_000,
    database: 'orders',
    roles: { primary: 'orders-primary', standby: 'orders-replica' },
    rpoBudgetSeconds: 30,
    failbackPolicy: 'manual-approval',
    databases: [
      { name: 'orders', rpoBudgetSeconds: 30, failbackPolicy: 'manual-approval' },
      { name: 'payments', rpoBudgetSeconds: 5, failbackPolicy: 'automatic' },
    ],
    events: [],
    attempts: [],
    writes: [],
    promotions: [],
    executions: [],
    calls: [],
    deletions: [],
    dnsChecks: [],
    pendingApprovals: 0,
    ...over,
  });
  const byName = (f: DrillFacts) => Object.fromEntries(invariants(f).map((i) => [i.name, i]));

  it('single-writer: the primaries of two databases writing in the same second is one writer per database', () => {
    const f = base({ writes: [write('orders-primary', 'orders', 1), write('payments-primary', 'payments', 1), write('payments-primary', 'payments', 2)] });
    const r = byName(f)['single-writer']!;
    expect(r.held).toBe(true);
    expect(r.detail).toBe(
      'orders: 1 accepted writes; never two instances in the same second (instances that took writes: orders-primary) | payments: 2 accepted writes; never two instances in the same second (instances that took writes: payments-primary)',
    );
  });

  it('single-writer: two writers of one database in the same second break it, and the detail names that database', () => {
    const f = base({ writes: [write('orders-primary', 'orders', 1), write('payments-primary', 'payments', 7), write('payments-replica', 'payments', 7)] });
    const r = byName(f)['single-writer']!;
    expect(r.held).toBe(false);
    expect(r.detail).toMatch(/^payments: payments-primary and payments-replica both took writes in second 7 \(t=7s\) \| orders: 1 accepted writes/);
  });

  it("records that name no database are the scenario database's", () => {
    const f = base({ writes: [write('orders-primary', undefined, 3), write('orders-replica', undefined, 3)] });
    expect(byName(f)['single-writer']!.detail).toMatch(/^orders: orders-primary and orders-replica both took writes in second 3/);
  });

  it("data-loss-within-budget: each promotion is held to its own database's budget", () => {
    const orders = run('o1', 'orders');
    const payments = run('p1', 'payments');
    // 10 s lost by each promotion: within orders' 30 s, over payments' 5 s.
    const f = base({
      executions: [orders, payments],
      // Each promoted replica served (a copy that never took a write lost nothing).
      writes: [
        write('orders-primary', 'orders', 310),
        write('payments-primary', 'payments', 310),
        write('orders-replica', 'orders', 400),
        write('payments-replica', 'payments', 400),
      ],
      promotions: [
        {
          instanceId: 'orders-replica',
          sourceId: 'orders-primary',
          startedAt: T0 + 330_000,
          dataUpToMs: T0 + 300_000,
          action: 'rds:PromoteReadReplica',
          executionArn: orders.arn,
          database: 'orders',
        },
        {
          instanceId: 'payments-replica',
          sourceId: 'payments-primary',
          startedAt: T0 + 330_000,
          dataUpToMs: T0 + 300_000,
          action: 'rds:PromoteReadReplica',
          executionArn: payments.arn,
          database: 'payments',
        },
      ],
    });
    const r = byName(f)['data-loss-within-budget']!;
    expect(r.held).toBe(false);
    expect(r.detail).toBe(
      'payments: promoting payments-replica lost 10 s of writes, over the 5 s budget, and no human accepted the loss | orders: budget 30 s; orders-replica: 10 s',
    );
  });

  describe('data-loss-within-budget: rpoEstimate last-sample accepts a loss over the budget up to the bound its check reported', () => {
    // 40 s lost against orders' 30 s budget; the run's budget check said 0 s on its sample, at most `bound` s.
    const judged = (bound: number, estimate: 'last-sample' | 'strict', withinBudget = true) => {
      const o = run('o1', 'orders');
      o.steps.splice(2, 0, {
        state: 'Check the data-loss budget',
        kind: 'lambda',
        folder: 'check-data-loss-budget',
        startedAt: T0 + 321_000,
        endedAt: T0 + 321_000,
        input: {},
        output: { lagSeconds: 0, boundSeconds: bound, unseenSeconds: bound, estimate, budgetSeconds: 30, withinBudget, source: 'WalBytesBehind', detail: '' },
      });
      const f = base({
        databases: [{ name: 'orders', rpoBudgetSeconds: 30, rpoEstimate: estimate, failbackPolicy: 'manual-approval' }],
        executions: [o],
        writes: [write('orders-primary', 'orders', 300), write('orders-replica', 'orders', 400)],
        promotions: [
          {
            instanceId: 'orders-replica',
            sourceId: 'orders-primary',
            startedAt: T0 + 330_000,
            dataUpToMs: T0 + 260_000,
            action: 'rds:PromoteReadReplica',
            executionArn: o.arn,
            database: 'orders',
          },
        ],
      });
      return byName(f)['data-loss-within-budget']!;
    };
    it.each([
      [
        'within the bound: held, and says why',
        150,
        'last-sample',
        true,
        /^orders: budget 30 s; orders-replica: 40 s, over the 30 s budget by lag that grew after the last sample \(0 s\), within the 150 s bound the check reported \(rpoEstimate last-sample\)$/,
      ],
      [
        'over the bound: broken (the bound under-estimated)',
        35,
        'last-sample',
        false,
        /^orders: promoting orders-replica lost 40 s of writes, over the 30 s budget and over the 35 s bound the data-loss check reported \(its last sample said 0 s\)$/,
      ],
      ['strict: the budget itself', 150, 'strict', false, /lost 40 s of writes, over the 30 s budget, and no human accepted the loss$/],
    ] as const)('%s', (_label, bound, estimate, held, detail) => {
      const r = judged(bound, estimate);
      expect(r.held).toBe(held);
      expect(r.detail).toMatch(detail);
    });
  });

  it('one-incident-at-a-time: runs of two databases at once are two incidents, one per database', () => {
    const f = base({ executions: [run('o1', 'orders'), run('p1', 'payments')] });
    const r = byName(f)['one-incident-at-a-time']!;
    expect(r.held).toBe(true);
    expect(r.detail).toBe('orders: 1 run(s) acted, never two at once | payments: 1 run(s) acted, never two at once');
    const twice = base({ executions: [run('p1', 'payments'), run('p2', 'payments')] });
    expect(byName(twice)['one-incident-at-a-time']!).toMatchObject({
      held: false,
      detail: expect.stringMatching(/^payments: failover p1 .* and failover p2 .* acted on payments at the same time/),
    });
  });

  it('one-incident-at-a-time: a failback that let the lease go while a failover held it is not a second incident; one that kept it is', () => {
    const lease = (action: string, s: number, acquired?: boolean) => ({
      state: `lease ${action} ${s}`,
      kind: 'lambda' as const,
      folder: 'manage-lease',
      startedAt: T0 + s * 1000,
      endedAt: T0 + s * 1000,
      input: { action },
      output: acquired === undefined ? {} : { acquired },
    });
    // The failback holds the lease 100..200 s and 600..700 s; the failover holds it 250..460 s.
    const failback = (steps: ReturnType<typeof lease>[]) =>
      run('fb', 'orders', { stateMachine: 'failback', startedAt: T0 + 90_000, stoppedAt: T0 + 800_000, steps });
    const failover = run('fo', 'orders', {
      startedAt: T0 + 240_000,
      steps: [lease('acquire', 250, true), lease('record-failover', 460)],
    });
    const letGo = base({
      executions: [failback([lease('acquire', 100, true), lease('release', 200), lease('acquire', 600, true), lease('release', 700)]), failover],
    });
    expect(byName(letGo)['one-incident-at-a-time']!).toMatchObject({
      held: true,
      detail: 'orders: 2 run(s) acted, never two at once | payments: 0 run(s) acted, never two at once',
    });
    const keptIt = base({ executions: [failback([lease('acquire', 100, true), lease('release', 700)]), failover] });
    expect(byName(keptIt)['one-incident-at-a-time']!).toMatchObject({
      held: false,
      detail: expect.stringMatching(/failback fb .* and failover fo .* acted on orders at the same time/),
    });
  });

  it("failback-approved: each database's own failback policy", () => {
    const fb = (name: string, database: string) => run(name, database, { stateMachine: 'failback', steps: [] });
    const f = base({
      executions: [fb('fo', 'orders'), fb('fp', 'payments')],
      promotions: [
        {
          instanceId: 'orders-primary',
          startedAt: T0 + 1_000_000,
          dataUpToMs: T0 + 1_000_000,
          action: 'rds:PromoteReadReplica',
          executionArn: fb('fo', 'orders').arn,
          database: 'orders',
        },
        {
          instanceId: 'payments-primary',
          startedAt: T0 + 1_000_000,
          dataUpToMs: T0 + 1_000_000,
          action: 'rds:PromoteReadReplica',
          executionArn: fb('fp', 'payments').arn,
          database: 'payments',
        },
      ],
    });
    const r = byName(f)['failback-approved']!;
    expect(r.held).toBe(false);
    expect(r.detail).toMatch(
      /^orders: failback fo promoted orders-primary at t=1000s without an approved failback \| payments: failback policy is "automatic": no approval required$/,
    );
  });

  it('dns-follows-writer and no-data-destroyed: each check and deletion counts for its database', () => {
    const o = run('o1', 'orders');
    const p = run('p1', 'payments');
    const f = base({
      executions: [o, p],
      dnsChecks: [
        { executionArn: o.arn, executionName: 'failover o1', at: T0 + 460_000, resolvesTo: 'orders-replica', writers: ['orders-replica'], database: 'orders' },
        {
          executionArn: p.arn,
          executionName: 'failover p1',
          at: T0 + 460_000,
          resolvesTo: 'payments-primary',
          writers: ['payments-replica'],
          database: 'payments',
        },
      ],
      deletions: [{ instanceId: 'payments-primary-old-1', region: 'us-east-1', t: T0 + 9_000_000, retainedAutomatedBackups: false, database: 'payments' }],
    });
    const r = byName(f);
    expect(r['dns-follows-writer']).toMatchObject({
      held: false,
      detail: expect.stringMatching(
        /^payments: when failover p1 finished \(t=460s\) the record led to payments-primary but payments-replica took writes \| orders: checked when each of the 1 run\(s\)/,
      ),
    });
    expect(r['no-data-destroyed']).toMatchObject({
      held: false,
      detail: expect.stringMatching(/^payments: payments-primary-old-1 was deleted .* \| orders: no instance was deleted$/),
    });
  });

  it("the outcome is the scenario database's: another database's promotion is not the scenario's failover", () => {
    const p = run('p1', 'payments');
    const f = base({
      executions: [p],
      promotions: [
        {
          instanceId: 'payments-replica',
          sourceId: 'payments-primary',
          startedAt: T0 + 330_000,
          dataUpToMs: T0 + 330_000,
          action: 'rds:PromoteReadReplica',
          executionArn: p.arn,
          database: 'payments',
        },
      ],
    });
    expect(outcomeOf(f, 'orders-primary')).toBe('failed-over');
    expect(outcomeOf(forDatabase(f, 'orders'), 'orders-primary')).toBe('no-failover');
    expect(outcomeOf(forDatabase(f, 'payments'), 'payments-replica')).toBe('failed-over');
  });
});
