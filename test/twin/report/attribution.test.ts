/**
 * How the judge attributes lost writes to the move of the writer that lost them, and how it judges
 * an overlap a human accepted (twin/drill/measure.ts), on hand-made facts.
 */
import { describe, expect, it } from 'vitest';
import { ACCEPTED_UNFENCED_SECONDS, invariants, lossOf, lossParts, takeovers, type DrillFacts, type PromotionFact } from '../../../twin/drill/measure.js';
import type { WriteRecord } from '../../../twin/network.js';
import type { ApprovalAsk, ExecutionRecord } from '../../../twin/drill/sfn-runtime.js';

const T0 = 1_000_000;
const ms = (s: number) => T0 + s * 1000;
const P = 'orders-primary';
const S = 'orders-replica';

/** One write per second to `target` over [from, to] seconds. */
const writes = (target: string, from: number, to: number): WriteRecord[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ target, region: 'r', at: ms(from + i), t: from + i, sql: 'INSERT' }));

const execution = (name: string, approvals: Array<Partial<ApprovalAsk>> = []): ExecutionRecord =>
  ({
    arn: `arn:aws:states:us-west-2:123456789012:execution:failover:${name}`,
    name,
    stateMachine: 'failover',
    stateMachineArn: 'arn:aws:states:us-west-2:123456789012:stateMachine:failover',
    status: 'SUCCEEDED',
    startedAt: T0,
    stateTransitions: 1,
    historyEvents: 5,
    historyAt: [],
    entered: [],
    input: {},
    steps: [],
    approvals: approvals.map((a) => ({ state: 'ask', token: 't', step: 'failover', decision: 'promote', askedAt: T0, ...a })),
  }) as ExecutionRecord;

const promotion = (over: Partial<PromotionFact> = {}): PromotionFact => ({
  instanceId: S,
  sourceId: P,
  startedAt: ms(400),
  completedAt: ms(500),
  dataUpToMs: ms(198),
  action: 'rds:PromoteReadReplica',
  executionArn: execution('first').arn,
  ...over,
});

function facts(over: Partial<DrillFacts>): DrillFacts {
  const f: DrillFacts = {
    startMs: T0,
    endMs: ms(8000),
    database: 'orders',
    roles: { primary: P, standby: S },
    rpoBudgetSeconds: 30,
    failbackPolicy: 'manual-approval',
    events: [],
    attempts: [],
    writes: [],
    promotions: [promotion()],
    executions: [execution('first')],
    calls: [],
    deletions: [],
    dnsChecks: [],
    pendingApprovals: 0,
    ...over,
  };
  return { ...f, takeovers: takeovers(f) };
}
const invariant = (f: DrillFacts, name: string) => invariants(f).find((i) => i.name === name)!;

describe("attribution: a DNS move to a stale former primary loses its successor's writes, not the first promotion", () => {
  // P writes until its Region goes out (198 s); S is promoted (400-500 s) and writes until it
  // crashes (4600 s); a second run points the record at P (7500 s), which takes writes again.
  const second = execution('second', [{ decision: 'accept-data-loss', answer: 'approve', answeredAt: ms(7400) }]);
  const base = {
    writes: [...writes(P, 0, 198), ...writes(S, 500, 4600), ...writes(P, 7530, 7620)],
    executions: [execution('first'), second],
    calls: [{ at: ms(7500), key: 'route53:ChangeResourceRecordSets', ok: true, executionArn: second.arn, input: { HostedZoneId: 'Z', dnsTarget: P } }],
  };

  it("finds the move: from S to P by the second run, S's data starting at its promotion", () => {
    expect(facts(base).takeovers).toEqual([
      { instanceId: P, sourceId: S, startedAt: ms(7500), dataUpToMs: ms(500), action: 'route53:ChangeResourceRecordSets', executionArn: second.arn },
    ]);
  });

  it("P's writes after it became the writer again are not lost by the first promotion; S's writes are lost by the move", () => {
    const f = facts(base);
    expect(lossOf(f, f.promotions[0]!)).toBe(0);
    expect(lossOf(f, f.takeovers![0]!)).toBe(4100);
  });

  it.each([
    ['the second run had an approval to accept data loss: held, noted', base.executions, true],
    ['nobody accepted it: broken, naming the move', [execution('first'), execution('second')], false],
  ])('%s', (_label, executions, held) => {
    const result = invariant(facts({ ...base, executions }), 'data-loss-within-budget');
    expect(result.held).toBe(held);
    if (held) expect(result.detail).toContain(`${P}: 4100 s, over the 30 s budget with a human's approval`);
    else
      expect(result.detail).toMatch(/pointing the DNS record at orders-primary \(not promoted: a former writer without orders-replica's writes\) lost 4100 s/);
  });

  it('no move is found when the record goes to the promoted instance, or back to an instance promoted again', () => {
    const toPromoted = facts({ ...base, calls: [{ ...base.calls[0]!, input: { dnsTarget: S } }] });
    expect(toPromoted.takeovers).toEqual([]);
    const promotedAgain = facts({ ...base, promotions: [promotion(), promotion({ instanceId: P, sourceId: S, startedAt: ms(7000), dataUpToMs: ms(4600) })] });
    expect(promotedAgain.takeovers).toEqual([]);
  });
});

describe('attribution: writes an unfenced old primary took after the promotion began', () => {
  // P's Region is out from 198 s; S is promoted at 400 s; P answers again 2419-2427 s (9 s of writes).
  const approved = execution('first', [{ decision: 'promote-unfenced', answer: 'approve', answeredAt: ms(390) }]);
  const split = { writes: [...writes(P, 0, 198), ...writes(S, 500, 2500), ...writes(P, 2419, 2427)] };

  it('splits the loss: the lag before the promotion, and the seconds of writes after it', () => {
    const f = facts(split);
    expect(lossParts(f, f.promotions[0]!)).toEqual({ lag: 0, after: 9, afterFrom: ms(2419), afterTo: ms(2427) });
    expect(lossOf(f, f.promotions[0]!)).toBe(9);
  });

  it('a gap with no writes (the Region was out) is not counted as lost: before, the span counted 2229 s', () => {
    const f = facts({ ...split, rpoBudgetSeconds: 5 });
    expect(invariant(f, 'data-loss-within-budget').held).toBe(false);
    expect(invariant(f, 'data-loss-within-budget').detail).toContain('lost 9 s of writes');
  });

  it('a promoted copy that never took a write (the run stopped before its DNS switch) lost nothing: the old writer kept every write', () => {
    const f = facts({ writes: [...writes(P, 0, 198), ...writes(P, 1800, 3600)], rpoBudgetSeconds: 5 });
    expect(lossParts(f, f.promotions[0]!)).toEqual({ lag: 0, after: 0 });
    expect(invariant(f, 'data-loss-within-budget').held).toBe(true);
    // The same writes with the copy serving once: every write P took after the promotion is lost.
    const served = facts({ writes: [...writes(P, 0, 198), ...writes(P, 1800, 3600), ...writes(S, 3700, 3700)], rpoBudgetSeconds: 5 });
    expect(lossParts(served, served.promotions[0]!).after).toBe(1801);
  });

  it('accepted with an approved unfenced promotion (within the bound): held, and the writes are reported with their time', () => {
    const result = invariant(facts({ ...split, rpoBudgetSeconds: 5, executions: [approved] }), 'data-loss-within-budget');
    expect(result.held).toBe(true);
    expect(result.detail).toContain('9 s of writes orders-primary took after it began (t=2419s..2427s), accepted with the unfenced promotion');
  });
});

describe('single-writer: an overlap a human accepted is reported with its length, and bounded', () => {
  const approved = execution('first', [{ decision: 'promote-unfenced', answer: 'approve', answeredAt: ms(390) }]);
  const overlap = (seconds: number) => [...writes(P, 0, 198), ...writes(S, 500, 2500), ...writes(P, 2419, 2418 + seconds)];

  it.each([
    [
      'approved unfenced promotion, 8 s of overlap: held, with its length',
      [approved],
      8,
      true,
      /both took writes in 8 second\(s\) \(t=2419s\.\.2426s\): accepted risk/,
    ],
    [`approved, but longer than ${ACCEPTED_UNFENCED_SECONDS} s: broken`, [approved], ACCEPTED_UNFENCED_SECONDS + 5, false, /longer than the 30 s accepted/],
    ['no human approved it (fencing best-effort, or never asked): broken', [execution('first')], 8, false, /both took writes in second 2419/],
  ])('%s', (_label, executions, seconds, held, detail) => {
    const result = invariant(facts({ writes: overlap(seconds), executions }), 'single-writer');
    expect(result.held).toBe(held);
    expect(result.detail).toMatch(detail);
  });

  it('an approval answered after the promotion began accepts nothing', () => {
    const late = execution('first', [{ decision: 'promote-unfenced', answer: 'approve', answeredAt: ms(450) }]);
    expect(invariant(facts({ writes: overlap(8), executions: [late] }), 'single-writer').held).toBe(false);
  });
});
