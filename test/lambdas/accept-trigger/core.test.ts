import { describe, expect, it } from 'vitest';
import {
  acceptTrigger,
  incidentIdOf,
  normaliseTimestamp,
  RDS_CLUSTER_TRIGGER_EVENT_IDS,
  RDS_INSTANCE_TRIGGER_EVENT_IDS,
} from '../../../lambdas/accept-trigger/core.js';
import { InvalidTriggerError } from '../../../lambdas/shared/errors.js';
import {
  MAX_WATCH_CHECKS,
  WATCH_EVENT_BUDGET,
  WATCH_EVENTS_FIXED,
  WATCH_EVENTS_PER_VANTAGE,
  watchChecks,
  watchIntervalSeconds,
} from '../../../lambdas/shared/history-budget.js';
import { auroraDatabase, exampleDatabase } from '../shared/database-fixture.js';

const db = exampleDatabase();
const EXEC = 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:run-42';
const ctx = { prefix: 'failover', executionId: EXEC, now: new Date('2026-01-01T00:00:00.000Z') };

const alarm = (name: string, value = 'ALARM', timestamp = '2019-10-02T17:04:40.989+0000') => ({
  version: '0',
  source: 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  time: '2019-10-02T17:04:41Z',
  resources: [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`],
  detail: {
    alarmName: name,
    state: { value, reason: 'Threshold Crossed: 2 out of the last 3 datapoints were less than the threshold (1.0)', reasonData: '{}', timestamp },
    previousState: { value: 'OK', reason: '', timestamp: '2019-10-02T16:00:00.000+0000' },
  },
});

const rdsEvent = (id: string, sourceIdentifier = 'orders-primary', detailType = 'RDS DB Instance Event') => ({
  source: 'aws.rds',
  'detail-type': detailType,
  time: '2026-03-01T10:00:05Z',
  detail: {
    EventCategories: ['failure'],
    SourceType: 'DB_INSTANCE',
    SourceIdentifier: sourceIdentifier,
    EventID: id,
    Message: 'DB instance failed',
    Date: '2026-03-01T10:00:00.123Z',
  },
});

const operator = (detail: Record<string, unknown>, time?: string) => ({
  source: 'rds-failover.operator',
  'detail-type': 'Failover Requested',
  ...(time ? { time } : {}),
  detail,
});

const heartbeat = (detail: Record<string, unknown>) => ({
  source: 'rds-failover.heartbeat',
  'detail-type': 'Heartbeat Failed',
  time: '2026-03-01T10:00:31Z',
  detail,
});

describe('acceptTrigger: accepted triggers', () => {
  it.each([['in-region'], ['cross-region']])("accepts a failed %s heartbeat of this database, timed at the attempt's start", (site) => {
    const out = acceptTrigger(db, heartbeat({ database: 'orders', site, at: '2026-03-01T10:00:00.250Z', error: 'connecting: timed out' }), ctx);
    expect(out).toMatchObject({ kind: 'heartbeat', source: site, at: '2026-03-01T10:00:00.250Z', incidentId: 'run-42' });
    expect(out.summary).toBe(`Heartbeat of orders failed (${site}): connecting: timed out`);
    expect(out.rounds).toHaveLength(db.detection.probeRounds);
    expect(out.requestedBy).toBeUndefined();
  });

  it.each([
    ['in-region heartbeat alarm', 'failover-orders-heartbeat-in-region'],
    ['cross-region heartbeat alarm', 'failover-orders-heartbeat-cross-region'],
  ])('accepts the %s in ALARM, with the timestamp normalised to ISO', (_label, name) => {
    const out = acceptTrigger(db, alarm(name), ctx);
    expect(out).toMatchObject({ kind: 'alarm', source: name, at: '2019-10-02T17:04:40.989Z', incidentId: 'run-42' });
    expect(out.summary).toContain(`Alarm ${name} went to ALARM`);
    expect(out.requestedBy).toBeUndefined();
  });

  it.each(RDS_INSTANCE_TRIGGER_EVENT_IDS.map((id) => [id]))('accepts RDS instance event %s on the primary', (id) => {
    const out = acceptTrigger(db, rdsEvent(id), ctx);
    expect(out).toMatchObject({ kind: 'rds-event', source: id, at: '2026-03-01T10:00:00.123Z' });
    expect(out.summary).toBe(`RDS event ${id} on orders-primary: DB instance failed`);
  });

  it('matches the RDS source identifier case-insensitively (RDS stores ids in lowercase)', () => {
    const upper = exampleDatabase({ primary: { region: 'us-east-1', instanceId: 'Orders-Primary' } });
    expect(acceptTrigger(upper, rdsEvent('RDS-EVENT-0031'), ctx).kind).toBe('rds-event');
  });

  it('falls back to the event time when the RDS detail has no Date', () => {
    const e = rdsEvent('RDS-EVENT-0004');
    delete (e.detail as Partial<typeof e.detail>).Date;
    expect(acceptTrigger(db, e, ctx).at).toBe('2026-03-01T10:00:05.000Z');
  });

  it('accepts an Aurora cluster failure event of the primary cluster', () => {
    const out = acceptTrigger(auroraDatabase(), rdsEvent(RDS_CLUSTER_TRIGGER_EVENT_IDS[0], 'orders-east', 'RDS DB Cluster Event'), ctx);
    expect(out).toMatchObject({ kind: 'rds-event', source: 'RDS-EVENT-0069' });
  });

  it('accepts an operator request for this database and records who asked', () => {
    const out = acceptTrigger(db, operator({ database: 'orders', requestedBy: 'alice@example.com', reason: 'game day' }, '2026-02-02T12:00:00Z'), ctx);
    expect(out).toMatchObject({
      kind: 'operator',
      source: 'alice@example.com',
      requestedBy: 'alice@example.com',
      at: '2026-02-02T12:00:00.000Z',
      summary: 'Failover requested by alice@example.com: game day',
    });
  });

  it.each([
    [60, 5, 30],
    [1200, 5, 30],
    [1800, 5, 45],
    [3600, 5, 90],
    [1800, 30, 164],
    [7 * 24 * 3600, 5, 15120],
  ])('probes every max(30 s, timeout / checks) while a question of %i s waits (%i vantage points): every %i s', (timeout, vantages, interval) => {
    expect(watchIntervalSeconds(timeout, vantages)).toBe(interval);
    const checks = Math.floor(timeout / interval);
    expect(checks).toBeLessThanOrEqual(MAX_WATCH_CHECKS);
    expect(checks * (WATCH_EVENTS_FIXED + WATCH_EVENTS_PER_VANTAGE * vantages)).toBeLessThanOrEqual(WATCH_EVENT_BUDGET);
  });

  it('fits fewer checks in the watch budget the more vantage points probe', () => {
    expect(watchChecks(5)).toBe(40);
    expect(watchChecks(30)).toBe(11);
    expect(watchChecks(1000)).toBe(1);
  });

  it('uses now for an operator request without a time', () => {
    expect(acceptTrigger(db, operator({ database: 'orders', requestedBy: 'bob' }), ctx).at).toBe('2026-01-01T00:00:00.000Z');
  });

  it('derives the approval and promotion timeouts and the probe rounds from the config', () => {
    const custom = exampleDatabase({
      detection: { probeRounds: 4, probeIntervalSeconds: 15 },
      failover: { approvalTimeoutMinutes: 45, promotionTimeoutMinutes: 90 },
    });
    const out = acceptTrigger(custom, alarm('failover-orders-heartbeat-in-region'), ctx);
    expect(out.approvalTimeoutSeconds).toBe(2700);
    // Probes while a verdict question waits: every 30 s at most, and at most 40 of them over the timeout.
    expect(out.watchIntervalSeconds).toBe(watchIntervalSeconds(2700, custom.detection.vantagePoints.length + 1));
    expect(out.promotionTimeoutSeconds).toBe(5400);
    expect(acceptTrigger(exampleDatabase(), alarm('failover-orders-heartbeat-in-region'), ctx).promotionTimeoutSeconds).toBe(7200);
    expect(out.rounds).toEqual([
      { round: 1, waitSeconds: 0 },
      { round: 2, waitSeconds: 15 },
      { round: 3, waitSeconds: 15 },
      { round: 4, waitSeconds: 15 },
    ]);
  });

  it('uses the configured resource prefix for the alarm names', () => {
    expect(acceptTrigger(db, alarm('acme-orders-heartbeat-in-region'), { ...ctx, prefix: 'acme' }).source).toBe('acme-orders-heartbeat-in-region');
    expect(() => acceptTrigger(db, alarm('failover-orders-heartbeat-in-region'), { ...ctx, prefix: 'acme' })).toThrow(/does not belong/);
  });
});

describe('acceptTrigger: refused triggers (InvalidTriggerError naming what was wrong)', () => {
  const cases: [string, unknown, RegExp, ReturnType<typeof exampleDatabase>?][] = [
    ['a string', 'hello', /not an EventBridge event/],
    ['null', null, /not an EventBridge event/],
    ['an array', [alarm('failover-orders-heartbeat-in-region')], /not an EventBridge event/],
    [
      'a foreign source',
      { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', detail: {} },
      /event source "aws\.ec2" is not a trigger/,
    ],
    ['no source', { detail: {} }, /event source \(missing\) is not a trigger/],
    ['an alarm in OK', alarm('failover-orders-heartbeat-in-region', 'OK'), /changed to OK, not ALARM/],
    ['an alarm in INSUFFICIENT_DATA', alarm('failover-orders-heartbeat-in-region', 'INSUFFICIENT_DATA'), /INSUFFICIENT_DATA, not ALARM/],
    ['a foreign alarm', alarm('billing-alarm'), /alarm "billing-alarm" does not belong to database "orders"/],
    ["another database's alarm", alarm('failover-payments-heartbeat-in-region'), /does not belong to database "orders"/],
    [
      'an alarm with a bad timestamp',
      alarm('failover-orders-heartbeat-in-region', 'ALARM', 'yesterday'),
      /alarm state timestamp "yesterday" is not a timestamp/,
    ],
    ['an alarm without detail', { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change' }, /malformed CloudWatch alarm event.*detail/],
    [
      'an alarm with a wrong detail-type',
      { ...alarm('failover-orders-heartbeat-in-region'), 'detail-type': 'CloudWatch Alarm Configuration Change' },
      /malformed CloudWatch alarm event/,
    ],
    ['an alarm with an unknown state', alarm('failover-orders-heartbeat-in-region', 'BROKEN'), /malformed CloudWatch alarm event/],
    ['RDS-EVENT-0006 (restarted)', rdsEvent('RDS-EVENT-0006'), /RDS-EVENT-0006 on "orders-primary" is not a failure or availability event/],
    ['RDS-EVENT-0087 (stopped, e.g. by our own fence)', rdsEvent('RDS-EVENT-0087'), /RDS-EVENT-0087 .* is not a failure/],
    ['RDS-EVENT-0013 (Multi-AZ failover started)', rdsEvent('RDS-EVENT-0013'), /not a failure/],
    // 0034: a *requested* failover was not attempted because one happened recently: it says nothing about the primary's health.
    ['RDS-EVENT-0034 (a requested failover was not attempted)', rdsEvent('RDS-EVENT-0034'), /RDS-EVENT-0034 .* is not a failure/],
    [
      'an RDS event of another instance',
      rdsEvent('RDS-EVENT-0031', 'orders-replica'),
      /source "orders-replica" is not the primary of database "orders" \(expected "orders-primary"\)/,
    ],
    [
      'an RDS cluster event for an instance database',
      rdsEvent('RDS-EVENT-0069', 'orders-primary', 'RDS DB Cluster Event'),
      /"RDS DB Cluster Event" is not a trigger for postgres database "orders"/,
    ],
    ['an RDS snapshot event', rdsEvent('RDS-EVENT-0042', 'orders-primary', 'RDS DB Snapshot Event'), /malformed RDS event/],
    ['an RDS event without EventID', { ...rdsEvent('x'), detail: { SourceIdentifier: 'orders-primary' } }, /malformed RDS event.*EventID/],
    [
      'an operator request for another database',
      operator({ database: 'payments', requestedBy: 'alice' }),
      /operator request is for database "payments", not "orders"/,
    ],
    ['an operator request without requestedBy', operator({ database: 'orders' }), /malformed operator request event.*requestedBy/],
    ['an operator request with an empty requestedBy', operator({ database: 'orders', requestedBy: '' }), /malformed operator request event/],
    [
      'an operator request with the wrong detail-type',
      { ...operator({ database: 'orders', requestedBy: 'a' }), 'detail-type': 'Failback Requested' },
      /malformed operator request event/,
    ],
    ['an operator request with a bad time', operator({ database: 'orders', requestedBy: 'a' }, 'soon'), /operator request time "soon"/],
    [
      'a failed heartbeat of another database',
      heartbeat({ database: 'payments', site: 'in-region', at: '2026-03-01T10:00:00Z' }),
      /failed heartbeat is of database "payments", not "orders"/,
    ],
    ['a failed heartbeat of an unknown site', heartbeat({ database: 'orders', site: 'moon', at: '2026-03-01T10:00:00Z' }), /malformed heartbeat event.*site/],
    ['a failed heartbeat without a time', heartbeat({ database: 'orders', site: 'in-region' }), /malformed heartbeat event.*at/],
    ['a failed heartbeat with a bad time', heartbeat({ database: 'orders', site: 'in-region', at: 'now' }), /heartbeat time "now" is not a timestamp/],
    [
      'a heartbeat event with another detail-type',
      { ...heartbeat({ database: 'orders', site: 'in-region', at: '2026-03-01T10:00:00Z' }), 'detail-type': 'Heartbeat Succeeded' },
      /malformed heartbeat event/,
    ],
    [
      'an instance event for an Aurora database',
      rdsEvent('RDS-EVENT-0031', 'orders-east'),
      /"RDS DB Instance Event" is not a trigger for aurora-postgresql database/,
      auroraDatabase(),
    ],
    [
      'Aurora global failover events (0185)',
      rdsEvent('RDS-EVENT-0185', 'orders-east', 'RDS DB Cluster Event'),
      /RDS-EVENT-0185 .* is not a failure/,
      auroraDatabase(),
    ],
    [
      'Aurora global failover events (0187)',
      rdsEvent('RDS-EVENT-0187', 'orders-east', 'RDS DB Cluster Event'),
      /RDS-EVENT-0187 .* is not a failure/,
      auroraDatabase(),
    ],
    [
      'a cluster event of the standby cluster',
      rdsEvent('RDS-EVENT-0069', 'orders-west', 'RDS DB Cluster Event'),
      /"orders-west" is not the primary/,
      auroraDatabase(),
    ],
  ];

  it.each(cases)('refuses %s', (_label, event, message, database) => {
    let thrown: unknown;
    try {
      acceptTrigger(database ?? db, event, ctx);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidTriggerError);
    expect((thrown as Error).name).toBe('InvalidTriggerError');
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('helpers', () => {
  it.each([
    ['2019-10-02T17:04:40.989+0000', '2019-10-02T17:04:40.989Z'],
    ['2019-10-02T19:04:40.989+0200', '2019-10-02T17:04:40.989Z'],
    ['2019-10-02T17:04:40Z', '2019-10-02T17:04:40.000Z'],
    ['2019-10-02T17:04:40.989-05:30', '2019-10-02T22:34:40.989Z'],
    ['not a time', undefined],
    ['1570035880', undefined],
    ['2019-13-45T99:00:00Z', undefined],
  ])('normaliseTimestamp(%s) = %s', (input, expected) => {
    expect(normaliseTimestamp(input)).toBe(expected);
  });

  it.each([
    ['arn:aws:states:us-west-2:123456789012:execution:failover:abc-123', 'abc-123'],
    ['plain-name', 'plain-name'],
  ])('incidentIdOf(%s) = %s', (input, expected) => {
    expect(incidentIdOf(input)).toBe(expected);
  });
});

describe('acceptTrigger: drill requests (docs/game-days.md "Drill runs")', () => {
  const pair = { ...exampleDatabase(), name: 'orders-drill', drillTarget: true };
  const production = { ...exampleDatabase(), name: 'orders-drill', drillTarget: false };
  const gameDay = (over: Record<string, unknown> = {}) => ({
    requestedFor: 'orders',
    drillPair: 'orders-drill',
    allowProductionTarget: false,
    faults: ['disrupt-connectivity', 'reboot-with-failover'],
    ...over,
  });
  const drill = (
    detail: Record<string, unknown> = {},
    game: Record<string, unknown> | null = gameDay(),
    time: string | undefined = '2026-01-01T00:05:00Z',
  ) => ({
    source: 'rds-failover.game-day',
    'detail-type': 'Drill Requested',
    ...(time ? { time } : {}),
    detail: { database: 'orders-drill', requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true, ...detail },
    ...(game ? { gameDay: game } : {}),
  });

  it.each([
    ['a scheduled drill on a designated drill pair', pair, drill(), { requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true }],
    [
      'a drill by hand without a fault experiment',
      pair,
      drill({ fault: null, scheduled: false, requestedBy: 'alice' }),
      { requestedFor: 'orders', fault: null, scheduled: false },
    ],
    ['a drill with no fault given', pair, drill({ fault: undefined, scheduled: undefined }), { requestedFor: 'orders', fault: null, scheduled: false }],
    [
      'a drill on a production pair WITH the explicit opt-in',
      production,
      drill({}, gameDay({ allowProductionTarget: true })),
      { requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true },
    ],
  ] as const)('accepts %s, marked as a drill', (_label, database, event, marker) => {
    const out = acceptTrigger(database, event, ctx);
    expect(out.kind).toBe('drill');
    expect(out.drill).toEqual(marker);
    expect(out.source).toBe('orders');
    expect(out.at).toBe('2026-01-01T00:05:00.000Z');
    expect(out.summary).toMatch(/^DRILL of orders on drill pair orders-drill/);
    expect(out.incidentId).toBe('run-42');
  });

  it('times a drill request without a time at now', () => {
    expect(acceptTrigger(pair, drill({}, gameDay(), ''), ctx).at).toBe(ctx.now.toISOString());
  });

  it('leaves the marker off every other trigger', () => {
    expect(acceptTrigger(db, operator({ database: 'orders', requestedBy: 'alice' }), ctx).drill).toBeUndefined();
  });

  it.each([
    [
      'a drill on a production pair without the opt-in (the run-time guard)',
      production,
      drill(),
      /drill refused: "orders-drill" is a production pair \(drillTarget is not true\) and "orders" has no gameDay.allowProductionTarget/,
    ],
    ["a drill request without the rule's game-day settings (a bare event)", pair, drill({}, null), /carries no game-day settings/],
    ["a drill for another database than the run's", { ...pair, name: 'payments' }, drill(), /targets "orders-drill".*this run is for "payments"/],
    ['a drill whose rule names another drill pair', pair, drill({}, gameDay({ drillPair: 'other' })), /"orders" drills "other"/],
    [
      "a drill request of another game day than the rule's",
      pair,
      drill({ requestedFor: 'payments' }),
      /game day of "payments", but the rule that delivered it is "orders"'s/,
    ],
    [
      'a fault that is not deployed',
      pair,
      drill({ fault: 'failover-db-cluster' }),
      /drill fault "failover-db-cluster" is not one of "orders"'s gameDay.faults/,
    ],
    ['an unknown fault', pair, drill({ fault: 'pull-the-plug' }), /malformed drill request event/],
    ['a drill request with a bad time', pair, drill({}, gameDay(), 'yesterday'), /drill request time "yesterday" is not a timestamp/],
  ] as const)('refuses %s', (_label, database, event, message) => {
    const run = () => acceptTrigger(database, event, ctx);
    expect(run).toThrow(InvalidTriggerError);
    expect(run).toThrow(message);
  });
});

describe('acceptTrigger: a re-delivered trigger (docs/design.md "No trigger is lost to a lease")', () => {
  const holder = 'arn:aws:states:us-west-2:123456789012:execution:failover-failover:drill-7';
  const waited = {
    kind: 'alarm',
    source: 'failover-orders-heartbeat-in-region',
    at: '2026-01-01T00:46:00.000Z',
    summary: 'Alarm failover-orders-heartbeat-in-region went to ALARM',
    stoodDownAt: '2026-01-01T00:46:01.000Z',
    heldBy: holder,
  };
  const redelivered = (detail: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    source: 'rds-failover.lease',
    'detail-type': 'Failover Trigger Redelivered',
    time: '2026-01-01T00:53:51Z',
    detail: { database: 'orders', trigger: waited, releasedBy: holder, ...detail },
    ...extra,
  });

  it('is the original trigger again (its kind, source and time: the cooldown and stale rules judge it as the original), marked as re-delivered', () => {
    expect(acceptTrigger(db, redelivered({}), ctx)).toMatchObject({
      kind: 'alarm',
      source: 'failover-orders-heartbeat-in-region',
      at: '2026-01-01T00:46:00.000Z',
      summary: 'Alarm failover-orders-heartbeat-in-region went to ALARM (re-delivered: it stood down at 2026-01-01T00:46:01.000Z while drill-7 held the lease)',
      incidentId: 'run-42',
      redelivered: { releasedBy: holder, stoodDownAt: '2026-01-01T00:46:01.000Z', heldBy: holder },
    });
  });

  it("an operator's request keeps who asked (it skips the cooldown as the original would have)", () => {
    const out = acceptTrigger(db, redelivered({ trigger: { ...waited, kind: 'operator', source: 'alice', requestedBy: 'alice' } }), ctx);
    expect(out).toMatchObject({ kind: 'operator', requestedBy: 'alice' });
    expect(out).not.toHaveProperty('drill');
  });

  it.each([
    ['for another database', redelivered({ database: 'payments' }), /re-delivered trigger is for database "payments", not "orders"/],
    ['a drill (never kept, so never re-delivered)', redelivered({ trigger: { ...waited, kind: 'drill' } }), /malformed re-delivered trigger event.*kind/],
    ['without a trigger', redelivered({ trigger: undefined }), /malformed re-delivered trigger event.*trigger/],
    ['a trigger time that is not a time', redelivered({ trigger: { ...waited, at: 'yesterday' } }), /re-delivered trigger time "yesterday" is not a timestamp/],
    ['without who released it', redelivered({ releasedBy: '' }), /malformed re-delivered trigger event.*releasedBy/],
    ['with a wrong detail-type', redelivered({}, { 'detail-type': 'Failover Requested' }), /malformed re-delivered trigger event/],
  ])('refuses one %s', (_label, event, message) => {
    const run = () => acceptTrigger(db, event, ctx);
    expect(run).toThrow(InvalidTriggerError);
    expect(run).toThrow(message);
  });
});
