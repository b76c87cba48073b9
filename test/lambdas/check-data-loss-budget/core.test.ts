import { describe, expect, it } from 'vitest';
import {
  decideFromBackups,
  decideFromMetric,
  decideUnusableReplica,
  metricWindow,
  pickDatapoint,
  replicaProblem,
  type Datapoint,
} from '../../../lambdas/check-data-loss-budget/core.js';

const T = new Date('2026-06-01T10:00:30.000Z');
const at = (iso: string, value: number): Datapoint => ({ timestamp: new Date(iso), value });

describe('metricWindow', () => {
  it('is [triggeredAt - 10 min, triggeredAt + 1 min]', () => {
    expect(metricWindow(T)).toEqual({ start: new Date('2026-06-01T09:50:30.000Z'), end: new Date('2026-06-01T10:01:30.000Z') });
  });
});

describe('pickDatapoint', () => {
  const table: [string, Datapoint[], Datapoint | undefined][] = [
    ['the latest at or before triggeredAt + 60 s', [at('2026-06-01T09:58:00Z', 2), at('2026-06-01T09:59:00Z', 3), at('2026-06-01T10:00:00Z', 4)], at('2026-06-01T10:00:00Z', 4)],
    ['exactly at triggeredAt + 60 s counts', [at('2026-06-01T10:01:30Z', 9), at('2026-06-01T10:00:00Z', 4)], at('2026-06-01T10:01:30Z', 9)],
    ['after triggeredAt + 60 s is ignored', [at('2026-06-01T10:01:31Z', 99), at('2026-06-01T10:00:00Z', 4)], at('2026-06-01T10:00:00Z', 4)],
    ['-1 (replication not active) is ignored', [at('2026-06-01T09:59:00Z', 5), at('2026-06-01T10:00:00Z', -1)], at('2026-06-01T09:59:00Z', 5)],
    ['0 is a valid lag', [at('2026-06-01T10:00:00Z', 0)], at('2026-06-01T10:00:00Z', 0)],
    ['NaN is ignored', [at('2026-06-01T10:00:00Z', Number.NaN)], undefined],
    ['only -1 means no figure', [at('2026-06-01T09:59:00Z', -1), at('2026-06-01T10:00:00Z', -1)], undefined],
    ['no datapoints', [], undefined],
    ['order does not matter', [at('2026-06-01T10:00:00Z', 4), at('2026-06-01T09:55:00Z', 1)], at('2026-06-01T10:00:00Z', 4)],
  ];
  it.each(table)('%s', (_label, points, expected) => {
    expect(pickDatapoint(points, T)).toEqual(expected);
  });
});

describe('decideFromMetric', () => {
  const base = { metric: 'ReplicaLag' as const, resource: 'orders-replica', triggeredAt: T, budgetSeconds: 30 };
  it.each([
    ['under budget', 12, true],
    ['exactly the budget', 30, true],
    ['over budget', 31, false],
  ])('ReplicaLag %s', (_label, value, within) => {
    const out = decideFromMetric({ ...base, points: [at('2026-06-01T10:00:00Z', value)] });
    expect(out).toEqual({
      lagSeconds: value,
      budgetSeconds: 30,
      withinBudget: within,
      source: 'ReplicaLag',
      detail: `ReplicaLag of orders-replica was ${value} s at 2026-06-01T10:00:00.000Z (${within ? 'within' : 'over'} the 30 s budget).`,
    });
  });

  it('AuroraGlobalDBRPOLag is in milliseconds', () => {
    const out = decideFromMetric({ ...base, metric: 'AuroraGlobalDBRPOLag', resource: 'orders-west', points: [at('2026-06-01T10:00:00Z', 1500)] });
    expect(out).toMatchObject({ lagSeconds: 1.5, withinBudget: true, source: 'AuroraGlobalDBRPOLag' });
    expect(out.detail).toContain('was 1.5 s');
  });

  it('no valid datapoint: null, over budget, and says why', () => {
    const out = decideFromMetric({ ...base, points: [at('2026-06-01T10:00:00Z', -1)], note: 'Replication status now: error.' });
    expect(out).toMatchObject({ lagSeconds: null, withinBudget: false, source: 'ReplicaLag' });
    expect(out.detail).toMatch(/^No valid ReplicaLag datapoint for orders-replica in the 10 minutes before the trigger \(2026-06-01T10:00:30.000Z\).*over the 30 s budget\. Replication status now: error\.$/);
  });

  it('a budget of 0 accepts only a lag of 0', () => {
    expect(decideFromMetric({ ...base, budgetSeconds: 0, points: [at('2026-06-01T10:00:00Z', 0)] }).withinBudget).toBe(true);
    expect(decideFromMetric({ ...base, budgetSeconds: 0, points: [at('2026-06-01T10:00:00Z', 0.2)] }).withinBudget).toBe(false);
  });
});

describe('replicaProblem', () => {
  it.each([
    [{ found: false }, /does not exist/],
    [{ found: true }, /is not a read replica \(already promoted, or a former primary never rebuilt as one\).*every write the primary took since .* stopped replicating from it would be lost; how much is not known/],
    [{ found: true, source: 'arn:aws:rds:us-east-1:1:db:orders-primary', replicationStatus: 'terminated' }, /Replication to orders-replica is terminated/],
  ])('%j is a problem', (facts, message) => {
    expect(replicaProblem('orders-replica', facts)).toMatch(message);
  });

  it.each(['replicating', 'error', 'stopped', undefined])('replication status %s leaves the metric usable', (status) => {
    expect(replicaProblem('orders-replica', { found: true, source: 'orders-primary', replicationStatus: status })).toBeUndefined();
  });

  it('an unusable replica is null and over budget', () => {
    expect(decideUnusableReplica('Replication is terminated.', 30)).toEqual({
      lagSeconds: null,
      budgetSeconds: 30,
      withinBudget: false,
      source: 'ReplicaLag',
      detail: 'Replication is terminated. The lag counts as over budget.',
    });
  });
});

describe('decideFromBackups (cold standbys)', () => {
  it('lag = triggeredAt - the latest restorable time of any replicated backup', () => {
    const out = decideFromBackups(
      [{ latestRestorableTime: new Date('2026-06-01T09:50:30Z') }, { latestRestorableTime: new Date('2026-06-01T09:55:30Z') }, {}],
      'orders-primary',
      T,
      600,
    );
    expect(out).toMatchObject({ lagSeconds: 300, withinBudget: true, source: 'automated-backups' });
    expect(out.detail).toContain('2026-06-01T09:55:30.000Z, 300 s before the trigger (within the 600 s budget)');
  });

  it('over budget', () => {
    expect(decideFromBackups([{ latestRestorableTime: new Date('2026-06-01T09:50:30Z') }], 'p', T, 30)).toMatchObject({ lagSeconds: 600, withinBudget: false });
  });

  it('a restorable time after the trigger is no loss', () => {
    expect(decideFromBackups([{ latestRestorableTime: new Date('2026-06-01T10:01:00Z') }], 'p', T, 30)).toMatchObject({ lagSeconds: 0, withinBudget: true });
  });

  it('no backup: null, over budget', () => {
    expect(decideFromBackups([], 'orders-primary', T, 30)).toMatchObject({ lagSeconds: null, withinBudget: false, detail: expect.stringContaining('No replicated automated backup of orders-primary') });
  });
});
