import { describe, expect, it } from 'vitest';
import {
  asksRdsAboutStandby,
  standbyFoundOutcome,
  stoppedHolderDecision,
  holderToAsk,
  readDecision,
  type HolderStatus,
  type LeaseOutcome,
  acquiredOutcome,
  acquirePlan,
  acquireRefused,
  cooldownStart,
  LeaseNotHeldError,
  recordedAfterUpdate,
  recordFailover,
  recordRefused,
  recordStandby,
  recordStandbyRefused,
  readOutcome,
  standbyRecordedAfterUpdate,
  releasedAfterUpdate,
  releasedOutcome,
  releasePlan,
  clearWaitingPlan,
  keepTriggerPlan,
  triggerToKeep,
  type LeaseItem,
} from '../../../lambdas/manage-lease/core.js';

const now = new Date('2026-04-01T12:00:00.000Z');
const me = 'arn:aws:states:us-west-2:1:execution:sm:me';
const other = 'arn:aws:states:us-west-2:1:execution:sm:other';
const request = { holder: me, incidentId: 'me', ignoreCooldown: false, cooldownMinutes: 60 };

describe('acquirePlan', () => {
  it('takes the lease only when free and outside the cooldown, incrementing the epoch', () => {
    expect(acquirePlan(request, now)).toEqual({
      ConditionExpression: '(attribute_not_exists(#holder)) AND (attribute_not_exists(#lastChangeAt) OR #lastChangeAt < :cooldownStart)',
      UpdateExpression: 'SET #holder = :holder, #incidentId = :incidentId, #acquiredAt = :now, #writer = if_not_exists(#writer, :primary) ADD #epoch :one',
      ExpressionAttributeNames: {
        '#holder': 'holder',
        '#incidentId': 'incidentId',
        '#epoch': 'epoch',
        '#acquiredAt': 'acquiredAt',
        '#writer': 'writer',
        '#lastChangeAt': 'lastChangeAt',
      },
      ExpressionAttributeValues: {
        ':holder': me,
        ':incidentId': 'me',
        ':now': '2026-04-01T12:00:00.000Z',
        ':primary': 'primary',
        ':one': 1,
        ':cooldownStart': '2026-04-01T11:00:00.000Z',
      },
    });
  });

  it('drops the cooldown part when the cooldown is ignored (operator request)', () => {
    const plan = acquirePlan({ ...request, ignoreCooldown: true }, now);
    expect(plan.ConditionExpression).toBe('attribute_not_exists(#holder)');
    expect(plan.ExpressionAttributeValues).not.toHaveProperty(':cooldownStart');
    expect(plan.ExpressionAttributeNames).not.toHaveProperty('#lastChangeAt');
  });

  it('with the trigger time, also refuses a trigger from before the last change (a late or replayed delivery)', () => {
    const plan = acquirePlan({ ...request, triggeredAt: '2026-04-01T08:00:00.000Z' }, now);
    expect(plan.ConditionExpression).toBe(
      '(attribute_not_exists(#holder)) AND (attribute_not_exists(#lastChangeAt) OR (#lastChangeAt < :cooldownStart AND #lastChangeAt < :triggeredAt))',
    );
    expect(plan.ExpressionAttributeValues).toMatchObject({ ':cooldownStart': '2026-04-01T11:00:00.000Z', ':triggeredAt': '2026-04-01T08:00:00.000Z' });
    // An operator's request is never stale.
    const operator = acquirePlan({ ...request, ignoreCooldown: true, triggeredAt: '2026-04-01T08:00:00.000Z' }, now);
    expect(operator.ConditionExpression).toBe('attribute_not_exists(#holder)');
    expect(operator.ExpressionAttributeValues).not.toHaveProperty(':triggeredAt');
  });

  it.each([
    [0, '2026-04-01T12:00:00.000Z'],
    [60, '2026-04-01T11:00:00.000Z'],
    [1440, '2026-03-31T12:00:00.000Z'],
  ])('cooldownStart with %i minutes is %s', (minutes, expected) => {
    expect(cooldownStart(now, minutes)).toBe(expected);
  });
});

describe('acquire outcomes', () => {
  it('acquired: reports the new epoch and writer', () => {
    expect(acquiredOutcome({ holder: me, epoch: 4, writer: 'standby', lastFailoverAt: '2026-01-01T00:00:00.000Z' })).toEqual({
      acquired: true,
      outcome: 'acquired',
      epoch: 4,
      writer: 'standby',
      lastFailoverAt: '2026-01-01T00:00:00.000Z',
      lastIncidentId: '',
      standbyReady: true,
    });
  });

  const refusals: [string, LeaseItem | undefined, boolean, object][] = [
    [
      'held by me (re-run after a crash): reentered with the same epoch',
      { holder: me, epoch: 3, writer: 'primary' },
      false,
      { acquired: true, outcome: 'reentered', epoch: 3, writer: 'primary' },
    ],
    [
      'held by another execution: already-handled',
      { holder: other, epoch: 3 },
      false,
      { acquired: false, outcome: 'already-handled', heldBy: other, epoch: 3, writer: 'primary' },
    ],
    ['held by another even when the cooldown is ignored', { holder: other, epoch: 3 }, true, { acquired: false, outcome: 'already-handled', heldBy: other }],
    [
      'free, failover 10 minutes ago: cooldown',
      { epoch: 2, writer: 'standby', lastChangeAt: '2026-04-01T11:50:00.000Z', lastFailoverAt: '2026-04-01T11:50:00.000Z' },
      false,
      { acquired: false, outcome: 'cooldown', epoch: 2, writer: 'standby', lastFailoverAt: '2026-04-01T11:50:00.000Z' },
    ],
    ['free, change exactly at the cooldown start: cooldown', { epoch: 2, lastChangeAt: '2026-04-01T11:00:00.000Z' }, false, { outcome: 'cooldown' }],
  ];
  it.each(refusals)('%s', (_label, old, ignoreCooldown, expected) => {
    expect(acquireRefused(old, { ...request, ignoreCooldown }, now)).toMatchObject(expected);
  });

  it('free, past the cooldown, but changed after the trigger happened: stale-trigger', () => {
    const old = { epoch: 2, writer: 'standby' as const, lastChangeAt: '2026-04-01T10:00:00.000Z' };
    expect(acquireRefused(old, { ...request, triggeredAt: '2026-04-01T09:59:00.000Z' }, now)).toMatchObject({
      acquired: false,
      outcome: 'stale-trigger',
      epoch: 2,
      writer: 'standby',
    });
    // A trigger after the change explains nothing: the item changed under us.
    expect(() => acquireRefused(old, { ...request, triggeredAt: '2026-04-01T10:01:00.000Z' }, now)).toThrow(
      expect.objectContaining({ name: 'ResourceBusyError' }),
    );
  });

  it.each([
    ['no item at all', undefined, false],
    ['free and outside the cooldown', { epoch: 1, lastChangeAt: '2026-04-01T10:00:00.000Z' }, false],
    ['free, in the cooldown, but the cooldown is ignored', { epoch: 1, lastChangeAt: '2026-04-01T11:59:00.000Z' }, true],
  ])('an item that explains nothing (%s) is ResourceBusyError, so the workflow retries', (_label, old, ignoreCooldown) => {
    expect(() => acquireRefused(old as LeaseItem | undefined, { ...request, ignoreCooldown }, now)).toThrow(
      expect.objectContaining({ name: 'ResourceBusyError' }),
    );
  });
});

describe('a failback that waits without the lease: drills stay off', () => {
  it('its release marks the wait, its acquire to act again clears the mark', () => {
    expect(releasePlan({ ...request, waiting: true })).toMatchObject({
      UpdateExpression: 'REMOVE #holder, #incidentId, #pendingTrigger SET #failbackWaiting = :holder',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeValues: { ':holder': me },
    });
    expect(acquirePlan({ ...request, ignoreCooldown: true, waiting: true }, now)).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#holder)',
      UpdateExpression:
        'SET #holder = :holder, #incidentId = :incidentId, #acquiredAt = :now, #writer = if_not_exists(#writer, :primary) REMOVE #failbackWaiting ADD #epoch :one',
    });
  });
  it('a drill takes the lease only while no failback waits; a real trigger takes it all the same', () => {
    expect(acquirePlan({ ...request, drill: true }, now).ConditionExpression).toBe(
      '(attribute_not_exists(#holder) AND attribute_not_exists(#failbackWaiting)) AND (attribute_not_exists(#lastChangeAt) OR #lastChangeAt < :cooldownStart)',
    );
    expect(acquirePlan(request, now).ConditionExpression).not.toContain('failbackWaiting');
    const waitedBy = { epoch: 4, failbackWaiting: other };
    expect(acquireRefused(waitedBy, { ...request, drill: true }, now)).toMatchObject({ acquired: false, outcome: 'already-handled', heldBy: other });
    expect(() => acquireRefused(waitedBy, request, now)).toThrow(expect.objectContaining({ name: 'ResourceBusyError' }));
  });
  it('a failback that ends without taking the lease again clears its own mark only', () => {
    expect(clearWaitingPlan(request)).toEqual({
      UpdateExpression: 'REMOVE #failbackWaiting',
      ConditionExpression: '#failbackWaiting = :holder',
      ExpressionAttributeNames: { '#failbackWaiting': 'failbackWaiting' },
      ExpressionAttributeValues: { ':holder': me },
      ReturnValues: 'ALL_OLD',
    });
  });
});

describe('release', () => {
  it('removes the holder only if it is this execution', () => {
    expect(releasePlan(request)).toEqual({
      UpdateExpression: 'REMOVE #holder, #incidentId, #pendingTrigger',
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeNames: { '#holder': 'holder', '#incidentId': 'incidentId', '#pendingTrigger': 'pendingTrigger' },
      ExpressionAttributeValues: { ':holder': me },
      ReturnValues: 'ALL_OLD',
    });
  });

  const waiting = {
    kind: 'alarm' as const,
    source: 'failover-orders-heartbeat-in-region',
    at: '2026-04-01T11:50:00.000Z',
    summary: 'Alarm went to ALARM',
    stoodDownAt: '2026-04-01T11:50:01.000Z',
    heldBy: other,
  };
  it.each([
    ['a trigger waited: handed back', { holder: me, epoch: 5, pendingTrigger: waiting }, { pendingTrigger: waiting }],
    ['nothing waited', { holder: me, epoch: 5 }, {}],
  ])('our release, from the item as it was (ALL_OLD): %s', (_label, old, extra) => {
    expect(releasedAfterUpdate(old)).toEqual({
      acquired: false,
      outcome: 'released',
      epoch: 5,
      writer: 'primary',
      lastIncidentId: '',
      standbyReady: true,
      ...extra,
    });
  });

  it.each([
    ['after our own trigger: handed back', '2026-04-01T11:49:00.000Z', true],
    ['at the same time as our own (a duplicate delivery of the same signal): covered by our verification', '2026-04-01T11:50:00.000Z', false],
    ['before our own (a late delivery): covered by our verification', '2026-04-01T11:55:00.000Z', false],
  ])('a trigger that waited, happened %s', (_label, ownTriggerAt, handedBack) => {
    const out = releasedAfterUpdate({ holder: me, epoch: 5, pendingTrigger: waiting }, ownTriggerAt);
    expect(out.outcome).toBe('released');
    expect(out.pendingTrigger).toEqual(handedBack ? waiting : undefined);
  });

  it("a release that found someone else's lease hands back nothing (not this run's to re-deliver)", () => {
    expect(releasedOutcome({ holder: other, epoch: 6, pendingTrigger: waiting }, request)).not.toHaveProperty('pendingTrigger');
  });

  it.each([
    ['released by us', { epoch: 5, writer: 'primary' as const }, { acquired: false, outcome: 'released', epoch: 5, writer: 'primary' }],
    ['nobody held it', { epoch: 5 }, { acquired: false, outcome: 'released', epoch: 5 }],
    ['no item at all', undefined, { acquired: false, outcome: 'released', epoch: 0, writer: 'primary' }],
    ['someone else holds it (untouched)', { holder: other, epoch: 6 }, { acquired: false, outcome: 'released', heldBy: other, epoch: 6 }],
  ])('always released: %s', (_label, item, expected) => {
    const out = releasedOutcome(item, request);
    expect(out).toMatchObject(expected);
    if (!(item as LeaseItem | undefined)?.holder) expect(out.heldBy).toBeUndefined();
  });
});

describe('a trigger that stood down while another run held the lease', () => {
  const trigger = {
    kind: 'heartbeat' as const,
    source: 'in-region',
    at: '2026-04-01T11:59:00.000Z',
    summary: 'Heartbeat of orders failed (in-region)',
    incidentId: 'ignored',
  };
  const kept = { kind: 'heartbeat', source: 'in-region', at: '2026-04-01T11:59:00.000Z', summary: 'Heartbeat of orders failed (in-region)' };
  const refused = (outcome: LeaseOutcome['outcome'], heldBy?: string): LeaseOutcome => ({
    acquired: false,
    outcome,
    epoch: 4,
    writer: 'primary',
    lastIncidentId: '',
    standbyReady: true,
    ...(heldBy ? { heldBy } : {}),
  });
  it.each([
    ['another run holds the lease: kept', refused('already-handled', other), trigger, kept],
    ['a stopped run holds it (it may be redriven): kept', refused('held-by-stopped-run', other), trigger, kept],
    [
      'an operator request: kept with who asked',
      refused('already-handled', other),
      { ...trigger, kind: 'operator' as const, requestedBy: 'alice' },
      { ...kept, kind: 'operator', requestedBy: 'alice' },
    ],
    ['a drill: never kept', refused('already-handled', other), { ...trigger, kind: 'drill' as const }, undefined],
    ['a drill marker: never kept', refused('already-handled', other), { ...trigger, drill: { requestedFor: 'orders' } }, undefined],
    ['a null drill marker (not a drill): kept', refused('already-handled', other), { ...trigger, drill: null }, kept],
    ['the cooldown: not kept (no holder will release it)', refused('cooldown'), trigger, undefined],
    ['a stale trigger: not kept', refused('stale-trigger'), trigger, undefined],
    ['acquired: nothing to keep', { ...refused('acquired'), acquired: true }, trigger, undefined],
    ['no trigger given (the failback acquires): nothing to keep', refused('already-handled', other), undefined, undefined],
  ])('%s', (_label, outcome, given, expected) => {
    expect(triggerToKeep(outcome, given)).toEqual(expected);
  });

  // After a failover the writer is the configured standby; RDS events about the configured primary
  // (the site a failback fences, stops and rebuilds) are that failback's echo, no failure of the writer.
  const rdsEvent = (subject: string) => ({ ...trigger, kind: 'rds-event' as const, source: 'RDS-EVENT-0004', subject });
  it.each([
    [
      'an RDS event about the writer: kept, with its subject',
      rdsEvent('orders-replica'),
      ['orders-replica'],
      { ...kept, kind: 'rds-event', source: 'RDS-EVENT-0004', subject: 'orders-replica' },
    ],
    [
      'the subject as RDS spells it (lowercase) against a configured id with capitals',
      rdsEvent('Orders-Replica'),
      ['orders-replica'],
      { ...kept, kind: 'rds-event', source: 'RDS-EVENT-0004', subject: 'Orders-Replica' },
    ],
    ['an RDS event about the site that does not take writes: not kept', rdsEvent('orders-primary'), ['orders-replica'], undefined],
    ['an alarm (about the DNS name, so the writer): kept whatever the writer', trigger, ['orders-replica'], kept],
    ['no writer known: kept', rdsEvent('orders-primary'), [], { ...kept, kind: 'rds-event', source: 'RDS-EVENT-0004', subject: 'orders-primary' }],
  ])('%s', (_label, given, writerIds, expected) => {
    expect(triggerToKeep(refused('already-handled', other), given, writerIds)).toEqual(expected);
  });

  it('is kept with one conditional write, only while that run still holds the lease, the latest replacing an earlier one', () => {
    expect(keepTriggerPlan(kept as never, other, now)).toEqual({
      UpdateExpression: 'SET #pendingTrigger = :trigger',
      ConditionExpression: '#holder = :heldBy',
      ExpressionAttributeNames: { '#holder': 'holder', '#pendingTrigger': 'pendingTrigger' },
      ExpressionAttributeValues: { ':heldBy': other, ':trigger': { ...kept, stoodDownAt: '2026-04-01T12:00:00.000Z', heldBy: other } },
    });
  });
});

describe('record-failover', () => {
  it.each([
    ['primary', 'standby'],
    ['standby', 'primary'],
    [undefined, 'standby'],
  ] as const)('writer %s moves to %s, restarts the cooldown and releases the lease', (from, to) => {
    const decision = recordFailover({ holder: me, epoch: 3, ...(from ? { writer: from } : {}) }, request, now);
    expect(decision).toEqual({
      kind: 'update',
      plan: {
        ConditionExpression: '#holder = :holder',
        UpdateExpression:
          'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId, #standbyNotReadySince = :now REMOVE #holder, #incidentId, #pendingTrigger',
        ExpressionAttributeNames: {
          '#holder': 'holder',
          '#incidentId': 'incidentId',
          '#writer': 'writer',
          '#lastFailoverAt': 'lastFailoverAt',
          '#lastChangeAt': 'lastChangeAt',
          '#lastIncidentId': 'lastIncidentId',
          '#standbyNotReadySince': 'standbyNotReadySince',
          '#pendingTrigger': 'pendingTrigger',
        },
        ExpressionAttributeValues: { ':holder': me, ':writer': to, ':now': '2026-04-01T12:00:00.000Z', ':incidentId': 'me' },
      },
    });
  });

  it('already recorded for this incident: done, nothing to send', () => {
    const item = { epoch: 3, writer: 'standby' as const, lastIncidentId: 'me', lastFailoverAt: '2026-04-01T11:59:00.000Z' };
    expect(recordFailover(item, request, now)).toEqual({
      kind: 'done',
      output: {
        acquired: false,
        outcome: 'recorded',
        epoch: 3,
        writer: 'standby',
        lastFailoverAt: '2026-04-01T11:59:00.000Z',
        lastIncidentId: 'me',
        standbyReady: true,
      },
    });
  });

  it.each([
    ['held by another execution', { holder: other, epoch: 4 }, /held by .*other, not by/],
    ['not held and not recorded', { epoch: 4, lastIncidentId: 'older' }, /the lease is not held/],
    ['no item', undefined, /the lease is not held/],
  ])('refuses when %s (LeaseNotHeldError)', (_label, item, message) => {
    let thrown: unknown;
    try {
      recordFailover(item as LeaseItem | undefined, request, now);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(LeaseNotHeldError);
    expect((thrown as Error).name).toBe('LeaseNotHeldError');
    expect((thrown as Error).message).toMatch(message);
  });

  it('after the update: recorded with the new writer', () => {
    expect(recordedAfterUpdate({ epoch: 3, writer: 'standby', lastFailoverAt: 'T' })).toEqual({
      acquired: false,
      outcome: 'recorded',
      epoch: 3,
      writer: 'standby',
      lastFailoverAt: 'T',
      lastIncidentId: '',
      standbyReady: true,
    });
  });

  it('keepLease (failback): flips the writer without releasing the lease', () => {
    const decision = recordFailover({ holder: me, epoch: 3, writer: 'standby' }, { ...request, keepLease: true }, now);
    expect(decision).toMatchObject({
      kind: 'update',
      plan: {
        UpdateExpression:
          'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId, #standbyNotReadySince = :now REMOVE #pendingTrigger',
        ExpressionAttributeValues: { ':writer': 'primary' },
      },
    });
    if (decision.kind === 'update') expect(decision.plan.ExpressionAttributeNames).not.toHaveProperty('#incidentId');
  });

  it('already recorded by this incident while the lease is still held (keepLease re-run): done, never a second flip', () => {
    expect(recordFailover({ holder: me, epoch: 3, writer: 'primary', lastIncidentId: 'me' }, { ...request, keepLease: true }, now)).toMatchObject({
      kind: 'done',
      output: { outcome: 'recorded', writer: 'primary' },
    });
  });

  it('a failed condition after a first attempt that succeeded is recorded; otherwise the lease is lost', () => {
    expect(recordRefused({ epoch: 3, writer: 'standby', lastIncidentId: 'me' }, request)).toMatchObject({ outcome: 'recorded', writer: 'standby' });
    expect(() => recordRefused({ epoch: 3, holder: other }, request)).toThrow(LeaseNotHeldError);
    expect(() => recordRefused(undefined, request)).toThrow(LeaseNotHeldError);
  });
});

describe('read', () => {
  it.each([
    ['no item', undefined, { acquired: false, outcome: 'read', epoch: 0, writer: 'primary', lastIncidentId: '', standbyReady: true }],
    [
      'held, failed over',
      { holder: other, epoch: 5, writer: 'standby' as const, lastIncidentId: 'inc-2', standbyReady: true },
      { acquired: false, outcome: 'read', epoch: 5, writer: 'standby', lastIncidentId: 'inc-2', standbyReady: true, heldBy: other },
    ],
  ])('%s', (_label, item, expected) => {
    expect(readOutcome(item)).toEqual(expected);
  });
});

describe('standby readiness (a former primary is not a standby until rebuilt)', () => {
  const since = '2026-04-01T11:00:00.000Z';
  it.each([
    ['no item: the configured standby is a replica', undefined, { standbyReady: true }],
    ['never failed over', { epoch: 2, writer: 'primary' as const }, { standbyReady: true }],
    [
      'failed over, former primary not rebuilt',
      { epoch: 3, writer: 'standby' as const, standbyNotReadySince: since },
      { standbyReady: false, standbyNotReadySince: since },
    ],
    ['failed over and rebuilt (record-standby removed the mark)', { epoch: 4, writer: 'standby' as const, lastFailoverAt: since }, { standbyReady: true }],
  ])('%s', (_label, item, expected) => {
    for (const out of [readOutcome(item), releasedOutcome(item, request)]) {
      expect(out).toMatchObject(expected);
      if (expected.standbyReady) expect(out.standbyNotReadySince).toBeUndefined();
    }
  });

  it.each([
    [
      'a failover marks the former writer as no standby',
      {},
      'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId, #standbyNotReadySince = :now REMOVE #holder, #incidentId, #pendingTrigger',
    ],
    [
      'a failback keeping its lease too',
      { keepLease: true },
      'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId, #standbyNotReadySince = :now REMOVE #pendingTrigger',
    ],
    [
      'an Aurora switchover keeps the old primary replicating: still a standby',
      { keepLease: true, standbyReplicates: true },
      'SET #writer = :writer, #lastFailoverAt = :now, #lastChangeAt = :now, #lastIncidentId = :incidentId REMOVE #standbyNotReadySince, #pendingTrigger',
    ],
  ])('record-failover: %s', (_label, extra, update) => {
    const decision = recordFailover({ holder: me, epoch: 3, writer: 'primary' }, { ...request, ...extra }, now);
    expect(decision.kind).toBe('update');
    if (decision.kind === 'update') {
      expect(decision.plan.UpdateExpression).toBe(update);
      expect(decision.plan.ExpressionAttributeNames).toHaveProperty('#standbyNotReadySince', 'standbyNotReadySince');
    }
  });

  it.each([
    ['not marked: done, nothing sent', { holder: me, epoch: 3 }, { kind: 'done' }],
    [
      'marked and held by me: remove the mark, only while I hold the lease',
      { holder: me, epoch: 3, standbyNotReadySince: since },
      {
        kind: 'update',
        plan: {
          UpdateExpression: 'REMOVE #standbyNotReadySince',
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder', '#standbyNotReadySince': 'standbyNotReadySince' },
          ExpressionAttributeValues: { ':holder': me },
        },
      },
    ],
  ] as const)('record-standby: %s', (_label, item, expected) => {
    const decision = recordStandby(item as LeaseItem, request);
    expect(decision).toMatchObject(expected);
    if (decision.kind === 'done') expect(decision.output).toMatchObject({ outcome: 'standby-recorded', standbyReady: true });
  });

  it.each([
    ['held by another', { holder: other, epoch: 3, standbyNotReadySince: since }, /held by/],
    ['not held', { epoch: 3, standbyNotReadySince: since }, /not held/],
  ])('record-standby without the lease (%s): LeaseNotHeldError', (_label, item, message) => {
    expect(() => recordStandby(item, request)).toThrow(message);
    expect(() => recordStandbyRefused(item, request)).toThrow(expect.objectContaining({ name: 'LeaseNotHeldError' }));
  });

  it('record-standby outcomes: after the update, or found already recorded by a first attempt', () => {
    expect(standbyRecordedAfterUpdate({ holder: me, epoch: 3, writer: 'standby' })).toMatchObject({
      outcome: 'standby-recorded',
      standbyReady: true,
      writer: 'standby',
    });
    expect(recordStandbyRefused({ epoch: 3 }, request)).toMatchObject({ outcome: 'standby-recorded', standbyReady: true });
  });
});

describe('stoppedHolderDecision: a lease held by a stopped run is taken over only on a human request', () => {
  const refused = { acquired: false, epoch: 4, outcome: 'already-handled', writer: 'primary', heldBy: other, lastIncidentId: '', standbyReady: true } as const;
  it.each([
    ['the holder runs: refused as it is', refused, undefined, true, { kind: 'done', output: refused }],
    ['the holder says RUNNING: refused as it is', refused, 'RUNNING', true, { kind: 'done', output: refused }],
    ['a redrive under way counts as running', refused, 'PENDING_REDRIVE', true, { kind: 'done', output: refused }],
    [
      'stopped, no human asked: held-by-stopped-run',
      refused,
      'FAILED',
      false,
      { kind: 'done', output: { ...refused, outcome: 'held-by-stopped-run', holderStatus: 'FAILED' } },
    ],
    ['stopped, an operator asks: take it over', refused, 'TIMED_OUT', true, { kind: 'take-over', from: other, status: 'TIMED_OUT' }],
    ['gone, an operator asks: take it over', refused, 'GONE', true, { kind: 'take-over', from: other, status: 'GONE' }],
    [
      'a cooldown refusal is never a take-over',
      { ...refused, outcome: 'cooldown' },
      'FAILED',
      true,
      { kind: 'done', output: { ...refused, outcome: 'cooldown' } },
    ],
    ['no holder named: nothing to take over', { ...refused, heldBy: undefined }, 'ABORTED', true, { kind: 'done', output: { ...refused, heldBy: undefined } }],
  ] as const)('%s', (_label, outcome, status, takeOver, expected) => {
    expect(stoppedHolderDecision(outcome as LeaseOutcome, status, takeOver)).toEqual(expected);
  });
});

describe('a lease held by another run: whom to ask, and what a read says', () => {
  const base = { acquired: false, epoch: 4, writer: 'primary', lastIncidentId: '', standbyReady: true } as const;
  it.each([
    ['an acquisition refused by another run', { ...base, outcome: 'already-handled', heldBy: other }, other],
    ['a read of a lease held by another run', { ...base, outcome: 'read', heldBy: other }, other],
    ["a read of the reader's own lease", { ...base, outcome: 'read', heldBy: me }, undefined],
    ['a read of a free lease', { ...base, outcome: 'read' }, undefined],
    ['acquired', { ...base, acquired: true, outcome: 'acquired' }, undefined],
    ['re-entered by the same run', { ...base, acquired: true, outcome: 'reentered' }, undefined],
    ['refused by the cooldown', { ...base, outcome: 'cooldown' }, undefined],
    ['released while another holds it (nothing to decide)', { ...base, outcome: 'released', heldBy: other }, undefined],
  ] as const)('holderToAsk: %s -> %s', (_label, outcome, asked) => expect(holderToAsk(outcome as LeaseOutcome, me)).toBe(asked));

  const read = { ...base, outcome: 'read', heldBy: other } as const;
  it.each([
    ['not asked (free, or the reader holds it)', undefined, read],
    ['RUNNING', 'RUNNING', read],
    ['PENDING_REDRIVE: a redrive under way', 'PENDING_REDRIVE', read],
    ['ABORTED', 'ABORTED', { ...read, outcome: 'held-by-stopped-run', holderStatus: 'ABORTED' }],
    ['FAILED', 'FAILED', { ...read, outcome: 'held-by-stopped-run', holderStatus: 'FAILED' }],
    ['TIMED_OUT', 'TIMED_OUT', { ...read, outcome: 'held-by-stopped-run', holderStatus: 'TIMED_OUT' }],
    ['SUCCEEDED (ended without releasing)', 'SUCCEEDED', { ...read, outcome: 'held-by-stopped-run', holderStatus: 'SUCCEEDED' }],
    ['GONE (Step Functions no longer knows it)', 'GONE', { ...read, outcome: 'held-by-stopped-run', holderStatus: 'GONE' }],
  ] as const)('readDecision, the holder %s', (_label, status, expected) =>
    expect(readDecision(read as LeaseOutcome, status as HolderStatus | undefined)).toEqual(expected),
  );
});

describe('the standby as RDS knows it', () => {
  const notReady = {
    acquired: true,
    epoch: 4,
    outcome: 'acquired',
    writer: 'standby',
    lastIncidentId: 'inc-1',
    standbyReady: false,
    standbyNotReadySince: '2026-04-01T11:00:00.000Z',
  } as const;
  it.each([
    ['acquire, recorded as no standby: ask', notReady, 'acquire', true],
    ['read, recorded as no standby: ask', notReady, 'read', true],
    ['record-failover: never ask (it records)', notReady, 'record-failover', false],
    ['release: never ask', notReady, 'release', false],
    ['acquire, standby ready: nothing to ask', { ...notReady, standbyReady: true, standbyNotReadySince: undefined }, 'acquire', false],
  ] as const)('%s', (_label, outcome, action, asks) => {
    expect(asksRdsAboutStandby(outcome as LeaseOutcome, action)).toBe(asks);
  });

  it('a replica found by RDS makes the other site a standby again (the not-ready facts cleared)', () => {
    expect(standbyFoundOutcome({ ...notReady, standbyDetail: 'x' })).toEqual({
      acquired: true,
      epoch: 4,
      outcome: 'acquired',
      writer: 'standby',
      lastIncidentId: 'inc-1',
      standbyReady: true,
    });
  });
});
