import { describe, expect, it } from 'vitest';
import {
  drainedVerdict,
  healthOf,
  healthVerdict,
  stabilityOf,
  type DrainedFacts,
  type HealthCheckFacts,
  type HealthFacts,
} from '../../../lambdas/check-replica/core.js';

const T = (iso: string) => new Date(iso);
const facts = (over: Partial<HealthFacts> = {}): HealthFacts => ({
  replica: {
    kind: 'instance',
    id: 'orders-primary',
    found: true,
    status: 'available',
    source: 'arn:aws:rds:us-west-2:123456789012:db:orders-replica',
    replication: 'replicating',
  },
  source: { region: 'us-west-2', id: 'orders-replica' },
  lagSeconds: 2,
  lagSource: 'ReplicaLag',
  maxLagSeconds: 5,
  alarm: 'OK',
  alarmName: 'failover-orders-heartbeat-in-region',
  regionAnswers: true,
  ...over,
});

describe('healthOf', () => {
  it.each([
    ['healthy', {}, []],
    ['the alarm is absent in the Region (fine)', { alarm: 'absent' }, []],
    ['lag over the threshold', { lagSeconds: 6 }, ['ReplicaLag is 6 s, over 5 s']],
    ['no recent lag datapoint', { lagSeconds: undefined }, ['no recent ReplicaLag datapoint']],
    ['PostgreSQL quiet source: 0 s behind by the slot lag', { lagSeconds: 0, lagSource: 'OldestReplicationSlotLag' }, []],
    [
      'still creating',
      { replica: { kind: 'instance', id: 'orders-primary', found: true, status: 'creating', source: 'orders-replica' } },
      ['orders-primary is creating'],
    ],
    [
      'replication stopped',
      { replica: { kind: 'instance', id: 'orders-primary', found: true, status: 'available', source: 'orders-replica', replication: 'error' } },
      ['replication is error'],
    ],
    ['not a replica', { replica: { kind: 'instance', id: 'orders-primary', found: true, status: 'available' } }, ['orders-primary is not a read replica']],
    ['heartbeat alarm in ALARM (the Region relapsed)', { alarm: 'ALARM' }, ['alarm failover-orders-heartbeat-in-region is in ALARM']],
    ['alarm unreadable', { alarm: 'unknown' }, ['alarm failover-orders-heartbeat-in-region could not be read']],
    [
      'clients reach it (probed: SELECT 1 answered)',
      { reach: { status: 'up', vantage: 'use1', endpoint: 'orders-primary.abc.us-east-1.rds.amazonaws.com' } },
      [],
    ],
    [
      'available to RDS, but its clients cannot reach it (the network of its subnets cut)',
      { reach: { status: 'down', vantage: 'use1', endpoint: 'orders-primary.abc.us-east-1.rds.amazonaws.com', error: 'connect ETIMEDOUT' } },
      ['orders-primary does not answer clients: orders-primary.abc.us-east-1.rds.amazonaws.com probed from use1: connect ETIMEDOUT'],
    ],
    [
      'the probe could not tell (its function failed)',
      { reach: { status: 'unknown', vantage: 'use1', endpoint: 'orders-primary.abc.us-east-1.rds.amazonaws.com', error: 'Lambda.TooManyRequestsException' } },
      ['orders-primary could not be probed from use1: Lambda.TooManyRequestsException'],
    ],
    [
      'Region out',
      { regionAnswers: false, alarm: 'unknown' },
      ["the replica's Region does not answer", 'alarm failover-orders-heartbeat-in-region could not be read'],
    ],
    [
      'Aurora secondary healthy',
      {
        replica: { kind: 'aurora', id: 'orders-east', found: true, status: 'available', member: { isWriter: false } },
        lagSource: 'AuroraGlobalDBReplicationLag',
      },
      [],
    ],
    [
      'Aurora: not a member',
      { replica: { kind: 'aurora', id: 'orders-east', found: true, status: 'available' } },
      ['orders-east is not a member of the global cluster'],
    ],
  ] as const)('%s', (_label, over, reasons) => {
    const h = healthOf(facts(over as Partial<HealthFacts>));
    expect(h.reasons).toEqual(reasons);
    expect(h.healthy).toBe(reasons.length === 0);
  });
});

describe('stabilityOf: any relapse restarts the window', () => {
  const now = T('2026-04-01T12:30:00.000Z');
  it.each([
    ['first healthy check starts the window', true, null, 0, { healthySince: '2026-04-01T12:30:00.000Z', relapses: 0, stable: false }],
    ['healthy for 29 minutes: not yet', true, '2026-04-01T12:01:00.000Z', 0, { healthySince: '2026-04-01T12:01:00.000Z', relapses: 0, stable: false }],
    ['healthy for the full 30 minutes: stable', true, '2026-04-01T12:00:00.000Z', 2, { healthySince: '2026-04-01T12:00:00.000Z', relapses: 2, stable: true }],
    ['a relapse clears the window and counts', false, '2026-04-01T12:00:00.000Z', 0, { healthySince: null, relapses: 1, stable: false }],
    ['still unhealthy: no second count', false, null, 1, { healthySince: null, relapses: 1, stable: false }],
  ] as const)('%s', (_label, healthy, since, relapses, expected) => {
    expect(stabilityOf(healthy, since, relapses, now, 1800)).toEqual(expected);
  });
  it('a zero window is stable at the first healthy check', () => {
    expect(stabilityOf(true, null, 0, now, 0).stable).toBe(true);
  });
});

describe('drainedVerdict: 0 s behind in a period after the fence, replica present', () => {
  const since = T('2026-12-05T10:00:00Z');
  const replica = {
    kind: 'instance',
    id: 'orders-primary',
    found: true,
    status: 'available',
    source: 'orders-replica',
    endpoint: 'orders-primary.x.rds.amazonaws.com',
  } as const;
  const drained = (over: Partial<DrainedFacts> = {}): DrainedFacts => ({
    replica,
    regionAnswers: true,
    figure: { seconds: 0, source: 'ReplicaLag' },
    since,
    relapses: 1,
    ...over,
  });
  it.each([
    ['drained', {}, { drained: true, healthy: true, reasons: [], lagSeconds: 0, lagSource: 'ReplicaLag' }],
    ['still behind', { figure: { seconds: 3, source: 'ReplicaLag' } }, { drained: false, healthy: true, reasons: ['ReplicaLag is 3 s'], lagSeconds: 3 }],
    [
      'no datapoint since the fence yet',
      { figure: undefined },
      { drained: false, reasons: ['no lag datapoint since 2026-12-05T10:00:00.000Z yet'], lagSeconds: null, lagSource: 'none' },
    ],
    [
      'PostgreSQL slot lag 0 on a quiet source',
      { figure: { seconds: 0, source: 'OldestReplicationSlotLag' } },
      { drained: true, lagSource: 'OldestReplicationSlotLag' },
    ],
    [
      'the replica is gone',
      { replica: { kind: 'instance', id: 'orders-primary', found: false } },
      { drained: false, healthy: false, status: 'absent', endpoint: null },
    ],
    [
      'the Region does not answer',
      { regionAnswers: false, replica: { kind: 'instance', id: 'orders-primary', found: false }, figure: undefined },
      { drained: false, reasons: ["the replica's Region does not answer", 'no lag datapoint since 2026-12-05T10:00:00.000Z yet'] },
    ],
    ['still modifying (drained, not healthy)', { replica: { ...replica, status: 'modifying' } }, { drained: true, healthy: false, status: 'modifying' }],
  ] as const)('%s', (_label, over, expected) => {
    const out = drainedVerdict(drained(over as Partial<DrainedFacts>));
    expect(out).toMatchObject(expected);
    expect(out).toMatchObject({ alarm: 'not-checked', stable: false, healthySince: null, relapses: 1, since: '2026-12-05T10:00:00.000Z' });
  });
});

describe('healthVerdict: healthy, then stable over the window', () => {
  const now = T('2026-12-05T10:30:00Z');
  const check = (over: Partial<HealthCheckFacts> = {}): HealthCheckFacts => {
    const { lagSeconds: _l, lagSource: _s, ...base } = facts();
    return {
      ...base,
      figure: { seconds: 2, source: 'ReplicaLag' },
      lagMetric: 'ReplicaLag',
      healthySince: null,
      relapses: 0,
      now,
      windowSeconds: 1800,
      ...over,
    };
  };
  it.each([
    ['first healthy check starts the window', {}, { healthy: true, stable: false, healthySince: '2026-12-05T10:30:00.000Z', relapses: 0, lagSeconds: 2 }],
    [
      'healthy for the whole window: stable',
      { healthySince: '2026-12-05T10:00:00.000Z' },
      { healthy: true, stable: true, healthySince: '2026-12-05T10:00:00.000Z' },
    ],
    [
      'a relapse restarts the window and is counted',
      { healthySince: '2026-12-05T10:00:00.000Z', figure: { seconds: 9, source: 'ReplicaLag' } },
      { healthy: false, stable: false, healthySince: null, relapses: 1, reasons: ['ReplicaLag is 9 s, over 5 s'] },
    ],
    [
      'no recent figure: named by the metric read',
      { figure: undefined },
      { healthy: false, lagSeconds: null, lagSource: 'ReplicaLag', reasons: ['no recent ReplicaLag datapoint'] },
    ],
    ['the heartbeat alarm fires', { alarm: 'ALARM' }, { healthy: false, alarm: 'ALARM', reasons: ['alarm failover-orders-heartbeat-in-region is in ALARM'] }],
  ] as const)('%s', (_label, over, expected) => {
    const out = healthVerdict(check(over as Partial<HealthCheckFacts>));
    expect(out).toMatchObject(expected);
    expect(out).toMatchObject({ drained: false, since: null });
  });
});
