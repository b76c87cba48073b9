/**
 * The twin's EventBridge Scheduler: schedule expressions as Scheduler reads them (cron with its
 * six fields and wildcards in a time zone, rate, at), CreateSchedule's validation, and firing in
 * virtual time as the execution role (retries, then the dead-letter record).
 */
import { describe, expect, it } from 'vitest';
import { nextFire, parseScheduleExpression, ScheduleExpressionError, type ScheduleExpression } from '../../../lib/schedule-expression.js';
import { SchedulerService, type ScheduleSpec } from '../../../twin/services/scheduler.js';
import { World } from '../../../twin/world.js';

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());
/** The next `n` fire times after `from`. */
function fires(expr: string, from: string, n: number, tz = 'UTC'): (string | undefined)[] {
  const e: ScheduleExpression = parseScheduleExpression(expr);
  const out: (string | undefined)[] = [];
  let after = ms(from) - 1;
  for (let i = 0; i < n; i++) {
    const t = nextFire(e, tz, ms(from), after);
    out.push(iso(t));
    if (t === undefined) break;
    after = t;
  }
  return out;
}

describe('schedule expressions: cron', () => {
  it.each([
    ['every day at 10:15', 'cron(15 10 * * ? *)', '2026-01-01T00:00:00Z', ['2026-01-01T10:15:00.000Z', '2026-01-02T10:15:00.000Z']],
    ['weekdays at 18:00', 'cron(0 18 ? * MON-FRI *)', '2026-01-02T18:30:00Z', ['2026-01-05T18:00:00.000Z', '2026-01-06T18:00:00.000Z']],
    [
      'every 10 minutes from the first',
      'cron(1/10 * * * ? *)',
      '2026-01-01T00:00:00Z',
      ['2026-01-01T00:01:00.000Z', '2026-01-01T00:11:00.000Z', '2026-01-01T00:21:00.000Z'],
    ],
    ['the last day of each month', 'cron(0 12 L * ? *)', '2026-01-31T13:00:00Z', ['2026-02-28T12:00:00.000Z', '2026-03-31T12:00:00.000Z']],
    ['the weekday nearest the 1st (a Sunday: the Monday after)', 'cron(0 9 1W * ? *)', '2026-03-01T00:00:00Z', ['2026-03-02T09:00:00.000Z']],
    ['the weekday nearest the 31st (a Saturday: the Friday before)', 'cron(0 9 31W * ? *)', '2026-01-01T00:00:00Z', ['2026-01-30T09:00:00.000Z']],
    ['the last weekday of the month', 'cron(0 9 LW * ? *)', '2026-05-01T00:00:00Z', ['2026-05-29T09:00:00.000Z']],
    ['the last Friday of the month', 'cron(0 9 ? * 6L *)', '2026-01-01T00:00:00Z', ['2026-01-30T09:00:00.000Z', '2026-02-27T09:00:00.000Z']],
    [
      'quarterly: the second Tuesday of Jan, Apr, Jul, Oct',
      'cron(0 10 ? 1,4,7,10 TUE#2 *)',
      '2026-01-14T00:00:00Z',
      ['2026-04-14T10:00:00.000Z', '2026-07-14T10:00:00.000Z', '2026-10-13T10:00:00.000Z', '2027-01-12T10:00:00.000Z'],
    ],
    ['a year range that has ended', 'cron(0 0 1 1 ? 2020-2025)', '2026-01-01T00:00:00Z', [undefined]],
    ['February 30th never comes', 'cron(0 0 30 2 ? *)', '2026-01-01T00:00:00Z', [undefined]],
  ] as const)('%s: %s', (_label, expr, from, expected) => {
    expect(fires(expr, from, expected.length)).toEqual(expected);
  });

  it("evaluates in the schedule's time zone, across daylight-saving changes", () => {
    // 10:00 in New York: 15:00 UTC in winter (EST), 14:00 UTC in summer (EDT, from 8 March 2026).
    expect(fires('cron(0 10 * * ? *)', '2026-03-06T16:00:00Z', 3, 'America/New_York')).toEqual([
      '2026-03-07T15:00:00.000Z',
      '2026-03-08T14:00:00.000Z',
      '2026-03-09T14:00:00.000Z',
    ]);
    // 02:30 does not exist on 8 March 2026 in New York: it runs at the instant it maps to after the jump.
    expect(fires('cron(30 2 * * ? *)', '2026-03-07T12:00:00Z', 2, 'America/New_York')).toEqual(['2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
    // 01:30 happens twice on 1 November 2026: once.
    expect(fires('cron(30 1 * * ? *)', '2026-10-31T12:00:00Z', 2, 'America/New_York')).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it.each([
    ['five fields (the Unix form)', 'cron(0 10 * * ?)', /6 fields/],
    ['both day fields given', 'cron(0 10 1 * MON *)', /exactly one of day-of-month and day-of-week must be \?/],
    ['both day fields ?', 'cron(0 10 ? * ? *)', /exactly one of/],
    ['minute 60', 'cron(60 10 * * ? *)', /minutes "60" is not in 0-59/],
    ['hour 24', 'cron(0 24 * * ? *)', /hours "24" is not in 0-23/],
    ['day 0', 'cron(0 0 0 * ? *)', /day-of-month "0" is not in 1-31/],
    ['day-of-week 0 (Sunday is 1)', 'cron(0 0 ? * 0 *)', /day-of-week "0" is not in 1-7/],
    ['a month name that is not one', 'cron(0 0 1 JANUARY ? *)', /month "JANUARY"/],
    ['year 1969', 'cron(0 0 1 1 ? 1969)', /year "1969" is not in 1970-2199/],
    ['a backwards range', 'cron(0 0 ? * FRI-MON *)', /runs backwards/],
    ['# in day-of-month', 'cron(0 0 1#2 * ? *)', /day-of-month "1#2"/],
    ['W in day-of-week', 'cron(0 0 ? * 2W *)', /day-of-week "2W"/],
    ['the 6th Monday', 'cron(0 0 ? * 2#6 *)', /day-of-week # "6" is not in 1-5/],
    ['rate 0', 'rate(0 minutes)', /positive/],
    ['rate with the singular unit for 5', 'rate(5 minute)', /plural unit/],
    ['rate in seconds', 'rate(30 seconds)', /minutes, hours or days/],
    ['at a date that does not exist', 'at(2026-02-30T10:00:00)', /do not exist/],
    ['at without seconds', 'at(2026-02-03T10:00)', /yyyy-mm-ddThh:mm:ss/],
    ["an EventBridge rule's nothing", 'every day', /expected rate\(\.\.\.\), cron\(\.\.\.\) or at\(\.\.\.\)/],
  ])('refuses %s: %s', (_label, expr, message) => {
    expect(() => parseScheduleExpression(expr)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expr)).toThrow(message);
  });
});

describe('schedule expressions: rate and at', () => {
  it('a rate fires at once, then every period', () => {
    expect(fires('rate(6 hours)', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T06:00:00.000Z', '2026-01-01T12:00:00.000Z']);
    expect(fires('rate(1 day)', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
  });
  it("at fires once, at its local time in the schedule's time zone", () => {
    expect(fires('at(2026-01-01T00:05:00)', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-01T00:05:00.000Z', undefined]);
    expect(fires('at(2026-07-01T09:00:00)', '2026-01-01T00:00:00Z', 1, 'Europe/Paris')).toEqual(['2026-07-01T07:00:00.000Z']);
    expect(fires('at(2025-12-31T23:00:00)', '2026-01-01T00:00:00Z', 1)).toEqual([undefined]);
  });
});

describe('the Scheduler service', () => {
  const BUS = 'arn:aws:events:us-west-2:123456789012:event-bus/failover-events';
  const ROLE = 'arn:aws:iam::123456789012:role/scheduler-role';
  const spec = (over: Partial<ScheduleSpec> = {}, target: Partial<NonNullable<ScheduleSpec['Target']>> = {}): ScheduleSpec => ({
    Name: 'failover-orders-drill',
    GroupName: 'failover-game-days',
    ScheduleExpression: 'at(2026-01-01T00:05:00)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    ...over,
    Target: {
      Arn: BUS,
      RoleArn: ROLE,
      Input: JSON.stringify({ database: 'orders-drill', requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true }),
      EventBridgeParameters: { Source: 'rds-failover.game-day', DetailType: 'Drill Requested' },
      RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 3 },
      DeadLetterConfig: { Arn: 'arn:aws:sqs:us-west-2:123456789012:failover-trigger-dead-letters' },
      ...target,
    },
  });
  const allow = [
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow' as const, Action: 'events:PutEvents', Resource: BUS },
        { Effect: 'Allow' as const, Action: 'sqs:SendMessage', Resource: '*' },
      ],
    },
  ];
  const world = (policies = allow) => {
    const w = new World();
    w.events.createBus('us-west-2', 'failover-events');
    w.scheduler.createScheduleGroup('us-west-2', 'failover-game-days');
    w.iam.putRole('scheduler-role', policies);
    return { w, principal: w.iam.assumeRole('scheduler-role', 'scheduler') };
  };

  it('fires in virtual time as the role: one Drill Requested on the bus, at the minute', async () => {
    const { w, principal } = world();
    w.events.putRule(
      { Name: 'drills', EventBusName: 'failover-events', EventPattern: JSON.stringify({ source: ['rds-failover.game-day'] }) },
      { region: 'us-west-2' },
    );
    const seen: unknown[] = [];
    w.events.registerTarget('arn:aws:lambda:us-west-2:123456789012:function:sink', async (payload: unknown) => void seen.push(payload));
    w.events.putTargets(
      { Rule: 'drills', EventBusName: 'failover-events', Targets: [{ Id: 'sink', Arn: 'arn:aws:lambda:us-west-2:123456789012:function:sink' }] },
      { region: 'us-west-2' },
    );
    w.scheduler.createSchedule('us-west-2', spec(), principal);
    expect(w.scheduler.describe('us-west-2', 'failover-orders-drill', 'failover-game-days')).toMatchObject({ NextInvocation: '2026-01-01T00:05:00.000Z' });
    await w.clock.advanceBy(4 * 60_000);
    expect(seen).toHaveLength(0);
    await w.clock.advanceBy(2 * 60_000);
    expect(seen).toEqual([
      expect.objectContaining({
        source: 'rds-failover.game-day',
        'detail-type': 'Drill Requested',
        detail: { database: 'orders-drill', requestedFor: 'orders', fault: 'disrupt-connectivity', scheduled: true },
      }),
    ]);
    expect(w.scheduler.invocations).toEqual([
      { schedule: 'failover-orders-drill', scheduledAt: '2026-01-01T00:05:00.000Z', deliveredAt: '2026-01-01T00:05:00.000Z', attempts: 1 },
    ]);
  });

  it('a role that may not put the event: retried, then dead-lettered (AWS finds it only when it fires); checkRole says so before', async () => {
    const { w, principal } = world([{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' }] }]);
    expect(SchedulerService.checkRole(spec(), principal)).toMatch(
      /may not events:PutEvents on arn:aws:events:us-west-2:123456789012:event-bus\/failover-events/,
    );
    w.scheduler.createSchedule('us-west-2', spec(), principal);
    await w.clock.advanceBy(10 * 60_000);
    expect(w.scheduler.deadLetters).toEqual([
      {
        schedule: 'failover-orders-drill',
        scheduledAt: '2026-01-01T00:05:00.000Z',
        attempts: 4,
        error: 'AccessDeniedException',
        deadLetterArn: 'arn:aws:sqs:us-west-2:123456789012:failover-trigger-dead-letters',
      },
    ]);
    expect(SchedulerService.checkRole(spec(), world().principal)).toBeNull();
  });

  it.each([
    ['a bad expression', spec({ ScheduleExpression: 'cron(0 10 * * *)' }), /ValidationException|6 fields/],
    ['an unknown time zone', spec({ ScheduleExpressionTimezone: 'Mars/Olympus' }), /not an IANA time zone/],
    ['no flexible time window', spec({ FlexibleTimeWindow: undefined }), /FlexibleTimeWindow.Mode must be OFF or FLEXIBLE/],
    ['a window with Mode OFF', spec({ FlexibleTimeWindow: { Mode: 'OFF', MaximumWindowInMinutes: 5 } }), /only allowed with Mode FLEXIBLE/],
    ['a group that does not exist', spec({ GroupName: 'nope' }), /Schedule group nope does not exist/],
    ['a name too long', spec({ Name: 'x'.repeat(65) }), /must be 1-64/],
    ['a role that is not a role ARN', spec({}, { RoleArn: 'scheduler-role' }), /is not an IAM role ARN/],
    [
      'a PutEvents target without EventBridgeParameters',
      spec({}, { EventBridgeParameters: undefined }),
      /EventBridgeParameters \(Source and DetailType\) is required/,
    ],
    ['an aws. source', spec({}, { EventBridgeParameters: { Source: 'aws.events', DetailType: 'x' } }), /may not start with "aws\."/],
    ['an Input that is not a JSON object', spec({}, { Input: '"drill"' }), /must be a JSON object/],
    ['a retry policy past its bounds', spec({}, { RetryPolicy: { MaximumEventAgeInSeconds: 30, MaximumRetryAttempts: 3 } }), /60-86400/],
    ['too many retries', spec({}, { RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 186 } }), /0-185/],
    ['a dead-letter queue that is not an SQS ARN', spec({}, { DeadLetterConfig: { Arn: 'arn:aws:sns:us-west-2:123456789012:topic' } }), /not an SQS queue ARN/],
  ] as const)('CreateSchedule refuses %s', (_label, s, message) => {
    const { w, principal } = world();
    expect(() => w.scheduler.createSchedule('us-west-2', s, principal)).toThrow(message);
  });

  it('refuses a second schedule of the same name in the group', () => {
    const { w, principal } = world();
    w.scheduler.createSchedule('us-west-2', spec(), principal);
    expect(() => w.scheduler.createSchedule('us-west-2', spec(), principal)).toThrow(/already exists/);
  });
});
