import { describe, expect, it } from 'vitest';
import {
  decideFromBackups,
  decideFromFigures,
  decideUnusableReplica,
  figureBeforeFailure,
  heartbeatWindow,
  latestCommitOf,
  metricWindow,
  onsetOf,
  clusterObstacle,
  promotionObstacle,
  replicaProblem,
  type Datapoint,
  type HeartbeatRecord,
} from '../../../lambdas/check-data-loss-budget/core.js';
import { auroraDataBehind, instanceDataBehind } from '../../../lambdas/shared/data-behind.js';

const T = new Date('2026-06-01T10:00:30.000Z');
const at = (iso: string, value: number): Datapoint => ({ timestamp: new Date(iso), value });

describe('onsetOf: the end of the last heartbeat period with a committed heartbeat before the trigger', () => {
  // HeartbeatSuccess (Maximum per period): 1 = a heartbeat committed, 0 = it failed.
  const table: Array<[string, HeartbeatRecord[], string, RegExp]> = [
    [
      'Region outage at 10:58: the in-Region record is unreadable, the cross-Region one last succeeded in the 10:57 period',
      [
        { site: 'in-region' },
        {
          site: 'cross-region',
          points: [at('2026-06-01T09:56:00Z', 1), at('2026-06-01T09:57:00Z', 1), at('2026-06-01T09:58:00Z', 0), at('2026-06-01T09:59:00Z', 0)],
        },
      ],
      '2026-06-01T09:58:00.000Z',
      /^the last cross-region heartbeat period with a committed heartbeat ended then$/,
    ],
    [
      'two sites: the later success counts (that site saw no failure yet)',
      [
        { site: 'in-region', points: [at('2026-06-01T09:55:00Z', 1), at('2026-06-01T09:56:00Z', 0)] },
        { site: 'cross-region', points: [at('2026-06-01T09:57:00Z', 1), at('2026-06-01T09:58:00Z', 0)] },
      ],
      '2026-06-01T09:58:00.000Z',
      /cross-region/,
    ],
    [
      "a success in the trigger's own period is capped at the trigger",
      [{ site: 'cross-region', points: [at('2026-06-01T10:00:00Z', 1)] }],
      '2026-06-01T10:00:30.000Z',
      /cross-region/,
    ],
    [
      'no heartbeat on record: the trigger',
      [
        { site: 'in-region', points: [] },
        { site: 'cross-region', points: [] },
      ],
      '2026-06-01T10:00:30.000Z',
      /^no successful heartbeat on record before the trigger: the onset is taken as the trigger$/,
    ],
    [
      'every heartbeat on record failed: the failure is older than the record, its onset unknown',
      [{ site: 'in-region', points: [at('2026-06-01T09:40:00Z', 0), at('2026-06-01T09:58:00Z', 0)] }, { site: 'cross-region' }],
      '2026-06-01T10:00:30.000Z',
      /^every in-region heartbeat on record failed, back to the oldest at 2026-06-01T09:40:00.000Z \(cross-region not readable\): the failure began before it/,
    ],
    [
      'nothing readable: the trigger, saying so',
      [{ site: 'in-region' }, { site: 'cross-region' }],
      '2026-06-01T10:00:30.000Z',
      /\(in-region, cross-region not readable\)/,
    ],
    [
      'a success after the trigger does not count',
      [{ site: 'cross-region', points: [at('2026-06-01T09:50:00Z', 1), at('2026-06-01T10:01:00Z', 1)] }],
      '2026-06-01T09:51:00.000Z',
      /cross-region/,
    ],
  ];
  it.each(table)('%s', (_label, records, onset, basis) => {
    const out = onsetOf(records, T, 60);
    expect(out.at.toISOString()).toBe(onset);
    expect(out.basis).toMatch(basis);
  });

  it('says when every heartbeat on record failed, and not when one committed', () => {
    const failing = [{ site: 'in-region', points: [at('2026-06-01T09:40:00Z', 0), at('2026-06-01T09:58:00Z', 0)] }];
    expect(onsetOf(failing, T, 60).failingSince).toEqual(new Date('2026-06-01T09:40:00Z'));
    expect(onsetOf([{ site: 'in-region', points: [at('2026-06-01T09:40:00Z', 1), at('2026-06-01T09:58:00Z', 0)] }], T, 60).failingSince).toBeUndefined();
    expect(onsetOf([{ site: 'in-region', points: [] }], T, 60).failingSince).toBeUndefined();
  });

  it('5-minute heartbeat periods end 5 minutes after their start', () => {
    expect(onsetOf([{ site: 'in-region', points: [at('2026-06-01T09:50:00Z', 1)] }], T, 300).at.toISOString()).toBe('2026-06-01T09:55:00.000Z');
  });
});

describe('latestCommitOf: the latest moment the primary can have committed, for the strict bound', () => {
  const onset = { at: new Date('2026-06-01T09:58:00.000Z'), basis: 'x' };
  const table: Array<[string, HeartbeatRecord[], string, RegExp]> = [
    [
      'the first failed attempt after the onset: its period end plus the heartbeat timeout',
      [{ site: 'in-region' }, { site: 'cross-region', points: [at('2026-06-01T09:57:00Z', 1), at('2026-06-01T09:58:00Z', 0), at('2026-06-01T09:59:00Z', 0)] }],
      '2026-06-01T09:59:30.000Z',
      /^the cross-region heartbeat that started in the period from 2026-06-01T09:58:00.000Z failed, within its 30 s timeout$/,
    ],
    [
      'of two sites the earlier failure counts',
      [
        { site: 'in-region', points: [at('2026-06-01T09:59:00Z', 0)] },
        { site: 'cross-region', points: [at('2026-06-01T09:58:00Z', 0)] },
      ],
      '2026-06-01T09:59:30.000Z',
      /cross-region/,
    ],
    [
      'a period with no datapoint after the onset (no attempt on record) leaves the trigger',
      [{ site: 'cross-region', points: [at('2026-06-01T09:57:00Z', 1)] }],
      '2026-06-01T10:00:30.000Z',
      /^the trigger/,
    ],
    [
      'a failure before the onset does not count',
      [{ site: 'in-region', points: [at('2026-06-01T09:56:00Z', 0), at('2026-06-01T09:57:00Z', 1)] }],
      '2026-06-01T10:00:30.000Z',
      /^the trigger/,
    ],
    ['capped at the trigger', [{ site: 'in-region', points: [at('2026-06-01T10:00:00Z', 0)] }], '2026-06-01T10:00:30.000Z', /^the trigger/],
  ];
  it.each(table)('%s', (_label, records, expected, basis) => {
    const out = latestCommitOf(records, onset, T, 60, 30);
    expect(out.at.toISOString()).toBe(expected);
    expect(out.basis).toMatch(basis);
  });

  it('a run a failed heartbeat triggered: its attempt started at the trigger and failed within the timeout, so the cap is 30 s later', () => {
    const out = latestCommitOf([{ site: 'cross-region', points: [at('2026-06-01T09:57:00Z', 1)] }], onset, T, 60, 30, true);
    expect(out.at.toISOString()).toBe('2026-06-01T10:01:00.000Z');
    expect(out.basis).toMatch(
      /^the failed heartbeat that triggered the run \(its attempt started at 2026-06-01T10:00:30.000Z and failed within its 30 s timeout\)$/,
    );
    // a failed attempt on record before that still bounds it earlier
    expect(latestCommitOf([{ site: 'cross-region', points: [at('2026-06-01T09:58:00Z', 0)] }], onset, T, 60, 30, true).at.toISOString()).toBe(
      '2026-06-01T09:59:30.000Z',
    );
  });

  it('an onset taken as the trigger leaves the trigger', () => {
    expect(latestCommitOf([{ site: 'in-region', points: [at('2026-06-01T09:58:00Z', 0)] }], { at: T, basis: 'x' }, T, 60, 30).at).toEqual(T);
  });
});

describe('heartbeatWindow', () => {
  it.each([
    [
      'defaults: the day before the trigger, aligned to the period',
      { periodSeconds: 60, evaluationPeriods: 3 },
      '2026-05-31T10:00:00.000Z',
      '2026-06-01T10:01:00.000Z',
    ],
    ['5-minute periods', { periodSeconds: 300, evaluationPeriods: 1 }, '2026-05-31T10:00:00.000Z', '2026-06-01T10:05:00.000Z'],
    [
      'an evaluation range longer than a day: the whole range plus two periods',
      { periodSeconds: 3600, evaluationPeriods: 24 },
      '2026-05-31T08:00:00.000Z',
      '2026-06-01T11:00:00.000Z',
    ],
  ])('%s', (_label, heartbeat, start, end) => {
    expect(heartbeatWindow(T, heartbeat)).toEqual({ start: new Date(start), end: new Date(end) });
  });
});

describe('metricWindow', () => {
  it('is [onset - 10 min, onset]', () => {
    expect(metricWindow(T)).toEqual({ start: new Date('2026-06-01T09:50:30.000Z'), end: T });
  });
});

describe('figureBeforeFailure: only periods that ended by the onset count', () => {
  const onset = { at: new Date('2026-06-01T10:03:00.000Z'), basis: 'no heartbeat on record' };
  const table: [string, Datapoint[], number | undefined][] = [
    ['the newest period that ended at the onset', [at('2026-06-01T10:01:00Z', 2), at('2026-06-01T10:02:00Z', 3)], 3],
    [
      'a period still running at the onset is left out (its datapoint may be after the failure)',
      [at('2026-06-01T10:02:00Z', 3), at('2026-06-01T10:02:30Z', 90)],
      3,
    ],
    [
      'datapoints after the onset never count (the lag that grows after the failure)',
      [at('2026-06-01T10:01:00Z', 0), at('2026-06-01T10:04:00Z', 90), at('2026-06-01T10:05:00Z', 150)],
      0,
    ],
    ['-1 (replication not active) is no figure', [at('2026-06-01T10:01:00Z', 5), at('2026-06-01T10:02:00Z', -1)], 5],
    ['nothing before the onset', [at('2026-06-01T10:03:00Z', 0)], undefined],
  ];
  it.each(table)('%s', (_label, points, expected) => {
    expect(figureBeforeFailure(instanceDataBehind({ engine: 'mysql', replicaLag: points }), onset)?.seconds).toBe(expected);
  });
});

describe('figureBeforeFailure: a figure of the replica counts only from before the last committed heartbeat', () => {
  // A 120 s heartbeat committed in the minute from 10:00 (read per minute); the next one failed.
  // The failure came between 10:00 and the onset, 10:01 (the end of that heartbeat's minute)...
  const onset = {
    at: new Date('2026-06-01T10:01:00.000Z'),
    basis: 'the last cross-region heartbeat period with a committed heartbeat ended then',
    committedFrom: new Date('2026-06-01T10:00:00.000Z'),
  };
  const pg = (replicaLag: Datapoint[], slotLag: Datapoint[] = [], walBytesBehind: Datapoint[] = []) =>
    figureBeforeFailure(instanceDataBehind({ engine: 'postgres', replicaLag, slotLag, walBytesBehind }), onset);
  it('leaves out the minute of that heartbeat: the ReplicaLag of a source that went dark in it is not data behind', () => {
    // ...and the source went dark at 10:00:06: 25 s of ReplicaLag in the 10:00 minute is the time since, not data.
    const figure = pg([at('2026-06-01T09:59:00Z', 0.4), at('2026-06-01T10:00:00Z', 25)]);
    expect(figure).toMatchObject({ seconds: 0.4, source: 'ReplicaLag', at: new Date('2026-06-01T09:59:00Z') });
  });
  it("takes the source's own zero up to the onset (a failed source reports nothing, so it came before the failure)", () => {
    const figure = pg([at('2026-06-01T09:59:00Z', 12), at('2026-06-01T10:00:00Z', 25)], [], [at('2026-06-01T10:00:00Z', 0)]);
    expect(figure).toMatchObject({ seconds: 0, source: 'WalBytesBehind', at: new Date('2026-06-01T10:00:00Z') });
  });
  it('takes the newer of the two when the source says nothing for the last minute', () => {
    const figure = pg([at('2026-06-01T09:58:00Z', 3), at('2026-06-01T09:59:00Z', 12), at('2026-06-01T10:00:00Z', 25)], [at('2026-06-01T09:58:00Z', 0)]);
    expect(figure).toMatchObject({ seconds: 12, source: 'ReplicaLag' });
  });
  it('has no figure when the replica reported nothing before that heartbeat', () => {
    expect(pg([at('2026-06-01T10:00:00Z', 25)])).toBeUndefined();
  });
});

describe('decideFromFigures', () => {
  const onset = { at: new Date('2026-06-01T09:56:30.000Z'), basis: 'the last cross-region heartbeat period with a committed heartbeat ended then' };
  // A heartbeat that started in the 09:57 period failed within its 30 s timeout: nothing committed after 09:58:30.
  const latestCommit = {
    at: new Date('2026-06-01T09:58:30.000Z'),
    basis: 'the cross-region heartbeat that started in the period from 2026-06-01T09:57:00.000Z failed, within its 30 s timeout',
  };
  const base = { metric: 'ReplicaLag', resource: 'orders-replica', triggeredAt: T, onset, latestCommit, estimate: 'last-sample' as const, budgetSeconds: 30 };
  const mysql = (points: Datapoint[]) => instanceDataBehind({ engine: 'mysql', replicaLag: points });
  it.each([
    ['under budget', 12, true],
    ['exactly the budget', 30, true],
    ['over budget', 31, false],
  ])('ReplicaLag %s', (_label, value, within) => {
    const out = decideFromFigures({ ...base, figures: mysql([at('2026-06-01T09:55:00Z', value)]) });
    expect(out).toEqual({
      lagSeconds: value,
      boundSeconds: value + 210,
      unseenSeconds: 210,
      estimate: 'last-sample',
      budgetSeconds: 30,
      withinBudget: within,
      source: 'ReplicaLag',
      detail:
        `${within ? 'Within' : 'Over'} the 30 s budget: orders-replica was ${value} s behind at 2026-06-01T09:55:00.000Z (ReplicaLag), the last period before the failure's onset ` +
        '(onset 2026-06-01T09:56:30.000Z: the last cross-region heartbeat period with a committed heartbeat ended then; trigger at 2026-06-01T10:00:30.000Z). ' +
        `Lag that grew after that sample is not in it (rpoEstimate last-sample): at most ${value + 210} s can have been lost: the figure plus the 210 s from its period's start to ` +
        '2026-06-01T09:58:30.000Z, the latest moment the primary can have committed (the cross-region heartbeat that started in the period from 2026-06-01T09:57:00.000Z failed, within its 30 s timeout), which the sample cannot see.',
    });
  });

  it.each([
    ['a bound within the budget', 300, 0.5, true],
    ['a figure within the budget but a bound over it', 30, 0, false],
  ])('strict holds the bound against the budget: %s', (_label, budget, value, within) => {
    const out = decideFromFigures({ ...base, estimate: 'strict', budgetSeconds: budget, figures: mysql([at('2026-06-01T09:55:00Z', value)]) });
    expect(out).toMatchObject({ lagSeconds: value, boundSeconds: value + 210, unseenSeconds: 210, estimate: 'strict', withinBudget: within });
    expect(out.detail).toMatch(
      new RegExp(`^${within ? 'Within' : 'Over'} the ${budget} s budget \\(rpoEstimate strict\\): at most ${value + 210} s can have been lost`),
    );
  });

  it('with every heartbeat on record failed, no figure counts, not even a 0 s one, under either estimate', () => {
    const failing = onsetOf([{ site: 'in-region', points: [at('2026-06-01T09:40:00Z', 0), at('2026-06-01T09:58:00Z', 0)] }], T, 60);
    for (const estimate of ['last-sample', 'strict'] as const) {
      const out = decideFromFigures({ ...base, estimate, budgetSeconds: 3600, onset: failing, figures: mysql([at('2026-06-01T09:59:00Z', 0)]) });
      expect(out).toMatchObject({ lagSeconds: null, boundSeconds: null, withinBudget: false, source: 'ReplicaLag' });
      expect(out.detail).toMatch(/^No ReplicaLag figure of orders-replica can be placed before the failure: every in-region heartbeat on record failed/);
    }
  });

  it('last-sample holds the figure: the same bound over the budget still fails over alone', () => {
    expect(decideFromFigures({ ...base, figures: mysql([at('2026-06-01T09:55:00Z', 0)]) })).toMatchObject({
      lagSeconds: 0,
      boundSeconds: 210,
      withinBudget: true,
    });
  });

  it('a replica really 120 s behind stays over a 30 s budget, also on PostgreSQL (its WAL is not all received)', () => {
    const figures = instanceDataBehind({ engine: 'postgres', replicaLag: [at('2026-06-01T09:55:00Z', 120.4)], slotLag: [at('2026-06-01T09:55:00Z', 61_440)] });
    expect(decideFromFigures({ ...base, figures })).toMatchObject({ lagSeconds: 120.4, withinBudget: false, source: 'ReplicaLag' });
  });

  it('PostgreSQL after a Region outage: the lag that grew after the onset does not count', () => {
    const figures = instanceDataBehind({
      engine: 'postgres',
      replicaLag: [
        at('2026-06-01T09:54:00Z', 0.6),
        at('2026-06-01T09:55:00Z', 0.8),
        at('2026-06-01T09:57:00Z', 60),
        at('2026-06-01T09:58:00Z', 90),
        at('2026-06-01T09:59:00Z', 150),
      ],
    });
    expect(decideFromFigures({ ...base, budgetSeconds: 15, figures })).toMatchObject({ lagSeconds: 0.8, withinBudget: true });
  });

  it('PostgreSQL quiet source: slot lag 0 is 0 s behind', () => {
    const figures = instanceDataBehind({ engine: 'postgres', replicaLag: [at('2026-06-01T09:55:00Z', 280)], slotLag: [at('2026-06-01T09:55:00Z', 0)] });
    const out = decideFromFigures({ ...base, figures });
    expect(out).toMatchObject({ lagSeconds: 0, withinBudget: true, source: 'OldestReplicationSlotLag' });
    expect(out.detail).toContain('its ReplicaLag of 280 s was the time since the last commit, not data behind');
  });

  it('AuroraGlobalDBRPOLag is in milliseconds', () => {
    const out = decideFromFigures({
      ...base,
      metric: 'AuroraGlobalDBRPOLag',
      resource: 'orders-west',
      figures: auroraDataBehind('AuroraGlobalDBRPOLag', [at('2026-06-01T09:55:00Z', 1500)]),
    });
    expect(out).toMatchObject({ lagSeconds: 1.5, withinBudget: true, source: 'AuroraGlobalDBRPOLag' });
    expect(out.detail).toContain('was 1.5 s behind');
  });

  it('no valid datapoint before the onset: null, over budget, and says why', () => {
    const out = decideFromFigures({
      ...base,
      figures: mysql([at('2026-06-01T09:55:00Z', -1), at('2026-06-01T09:59:00Z', 2)]),
      note: 'Replication status now: error.',
    });
    expect(out).toMatchObject({ lagSeconds: null, withinBudget: false, source: 'ReplicaLag' });
    expect(out.detail).toMatch(
      /^No valid ReplicaLag datapoint for orders-replica in the 10 minutes before the failure's onset \(onset 2026-06-01T09:56:30.000Z: .*over the 30 s budget\. Replication status now: error\.$/,
    );
  });

  it('a budget of 0 accepts only 0 behind', () => {
    expect(decideFromFigures({ ...base, budgetSeconds: 0, figures: mysql([at('2026-06-01T09:55:00Z', 0)]) }).withinBudget).toBe(true);
    expect(decideFromFigures({ ...base, budgetSeconds: 0, figures: mysql([at('2026-06-01T09:55:00Z', 0.2)]) }).withinBudget).toBe(false);
  });
});

describe('clusterObstacle', () => {
  it.each([
    [{ found: false }, /does not exist in its Region/],
    [{ found: true, status: 'failed' }, /is failed: the global database cannot fail over to it/],
  ])('%j cannot be failed over to', (facts, message) => {
    expect(clusterObstacle('orders-west', facts)).toMatch(message);
  });

  it.each(['available', 'modifying', 'backing-up', undefined])('a cluster %s is no obstacle', (status) => {
    expect(clusterObstacle('orders-west', { found: true, status })).toBeUndefined();
  });
});

describe('promotionObstacle', () => {
  it.each([
    [{ found: false }, 'The standby orders-replica does not exist in its Region: there is nothing to promote.'],
    [
      { found: true, source: 'orders-primary', status: 'failed' },
      'The standby orders-replica is failed: it cannot be promoted, and waiting will not change that.',
    ],
    [
      { found: true, source: 'orders-primary', status: 'storage-full' },
      'The standby orders-replica is storage-full: it cannot be promoted, and waiting will not change that.',
    ],
    [
      { found: true, source: 'orders-primary', status: 'incompatible-parameters' },
      'The standby orders-replica is incompatible-parameters: it cannot be promoted, and waiting will not change that.',
    ],
  ])('%j cannot be promoted', (facts, message) => {
    expect(promotionObstacle('orders-replica', facts)).toBe(message);
  });

  it.each([
    { found: true, source: 'orders-primary', status: 'available' },
    { found: true, source: 'orders-primary', status: 'backing-up' },
    { found: true, source: 'orders-primary' },
    // Not a replica (already promoted): the promotion counts it as done; the budget check says what is lost.
    { found: true, status: 'failed' },
  ])('%j is no obstacle', (facts) => {
    expect(promotionObstacle('orders-replica', facts)).toBeUndefined();
  });
});

describe('replicaProblem', () => {
  it.each([
    [{ found: false }, /does not exist/],
    [
      { found: true },
      /is not a read replica \(already promoted, or a former primary never rebuilt as one\).*every write the primary took since .* stopped replicating from it would be lost; how much is not known/,
    ],
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
      boundSeconds: null,
      unseenSeconds: null,
      estimate: 'last-sample',
      budgetSeconds: 30,
      withinBudget: false,
      source: 'ReplicaLag',
      detail: 'Replication is terminated. The lag counts as over budget.',
    });
  });
});

describe('decideFromBackups (cold standbys)', () => {
  const at = (now = T, stillWriting = false) => ({ triggeredAt: T, now, stillWriting });
  const later = new Date(T.getTime() + 3600_000);

  it('lag = triggeredAt - the latest restorable time of any replicated backup', () => {
    const out = decideFromBackups(
      [{ latestRestorableTime: new Date('2026-06-01T09:50:30Z') }, { latestRestorableTime: new Date('2026-06-01T09:55:30Z') }, {}],
      'orders-primary',
      at(later),
      600,
    );
    expect(out).toMatchObject({ lagSeconds: 300, boundSeconds: 300, unseenSeconds: 0, withinBudget: true, source: 'automated-backups' });
    expect(out.detail).toContain('2026-06-01T09:55:30.000Z, 300 s before the trigger (within the 600 s budget)');
  });

  it('over budget', () => {
    expect(decideFromBackups([{ latestRestorableTime: new Date('2026-06-01T09:50:30Z') }], 'p', at(), 30)).toMatchObject({
      lagSeconds: 600,
      withinBudget: false,
    });
  });

  it('a restorable time after the trigger: the primary ran after it, so the loss is read up to now', () => {
    // A re-delivered trigger an hour old, the primary cut off from the vantage points only: its
    // logs still ship, and what it wrote since the restorable time is what a promotion loses.
    const out = decideFromBackups([{ latestRestorableTime: new Date(later.getTime() - 300_000) }], 'p', at(later), 0, 'strict');
    expect(out).toMatchObject({ lagSeconds: 300, boundSeconds: 300, withinBudget: false });
    expect(out.detail).toContain('300 s before now (the backups reach past the trigger at 2026-06-01T10:00:30.000Z: the primary ran after it');
    expect(decideFromBackups([{ latestRestorableTime: new Date(T.getTime() + 60_000) }], 'p', at(), 30)).toMatchObject({ lagSeconds: 0, withinBudget: true });
  });

  it('a verdict other than confirmed-down reads up to now', () => {
    const out = decideFromBackups([{ latestRestorableTime: new Date('2026-06-01T09:55:30Z') }], 'p', at(new Date(T.getTime() + 120_000), true), 400);
    expect(out).toMatchObject({ lagSeconds: 420, withinBudget: false });
    expect(out.detail).toContain('420 s before now (the verdict is not confirmed-down');
  });

  it('no backup: null, over budget', () => {
    expect(decideFromBackups([], 'orders-primary', at(), 30)).toMatchObject({
      lagSeconds: null,
      withinBudget: false,
      detail: expect.stringContaining('No replicated automated backup of orders-primary'),
    });
  });
});
