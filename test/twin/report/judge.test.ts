import { describe, expect, it } from 'vitest';
import { exitStatus, judgeExpectations, missingInvariants, passed, type JudgeFacts } from '../../../twin/report/judge.js';
import { EXIT, INVARIANT_NAMES, reportSchema } from '../../../twin/report/types.js';
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
