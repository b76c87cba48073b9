import { CloudWatchClient, GetMetricDataCommand, InvalidParameterValueException, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import {
  decideAlarmState,
  evaluateAlarmRule,
  parseAlarmRule,
  ruleAlarms,
  type AlarmStateValue,
  type TreatMissingData,
} from '../../twin/services/cloudwatch.js';
import { World } from '../../twin/world.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const R = { region: 'us-east-1' };
/** Parses the user guide's notation, oldest first: "0 - X - X" (0 ok, X breaching, - missing). */
const parse = (s: string): (number | undefined)[] =>
  s
    .split(' ')
    .map((c) => (c === '-' ? undefined : c === 'X' ? 1 : 0))
    .reverse(); // newest first
const decide = (points: string, n: number, m: number, treat: TreatMissingData, current: AlarmStateValue = 'OK') =>
  decideAlarmState({ buckets: parse(points), evaluationPeriods: n, datapointsToAlarm: m, treatMissingData: treat, breaches: (v) => v === 1, current }).value;

describe('alarm decision: the CloudWatch user guide tables', () => {
  // columns: MISSING, IGNORE, BREACHING, NOT BREACHING; "retain" = keep the current state
  it.each([
    ['0 - X - X', 3, 3, ['OK', 'OK', 'OK', 'OK']],
    ['0 - - - -', 3, 3, ['OK', 'OK', 'OK', 'OK']],
    ['- - - - -', 3, 3, ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
    ['0 X X - X', 3, 3, ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['- - - - X', 3, 3, ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
    ['X - - - -', 3, 3, ['ALARM', 'retain', 'ALARM', 'OK']],
    ['0 - X - X', 3, 2, ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 0 X 0 X', 3, 2, ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['0 - X - -', 3, 2, ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - 0', 3, 2, ['OK', 'OK', 'ALARM', 'OK']],
    ['- - - - X', 3, 2, ['INSUFFICIENT_DATA', 'retain', 'ALARM', 'OK']],
    // docs/aws-behaviour.md §3 example
    ['- - X - -', 3, 3, ['ALARM', 'retain', 'ALARM', 'OK']],
  ] as const)('%s with %i evaluation periods, %i to alarm', (points, n, m, expected) => {
    const treats: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
    treats.forEach((t, i) => {
      const want = expected[i];
      if (want === 'retain') {
        expect(decide(points, n, m, t, 'OK')).toBe('OK');
        expect(decide(points, n, m, t, 'ALARM')).toBe('ALARM');
      } else {
        expect(decide(points, n, m, t)).toBe(want);
      }
    });
  });

  it('M of N: breaching points need not be consecutive', () => {
    expect(decide('X 0 X', 3, 2, 'missing')).toBe('ALARM');
    expect(decide('X 0 0', 3, 2, 'missing')).toBe('OK');
  });
});

describe('alarms evaluated on the clock', () => {
  const heartbeatAlarm = (w: World, extra: object = {}) =>
    w.cloudwatch.putMetricAlarm(
      {
        AlarmName: 'orders-heartbeat',
        AlarmDescription: 'heartbeat',
        Namespace: 'RdsFailover',
        MetricName: 'HeartbeatSuccess',
        Dimensions: [{ Name: 'Database', Value: 'orders' }],
        Statistic: 'Minimum',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        ...extra,
      } as never,
      R,
    );
  const beat = (w: World, v: number) =>
    w.cloudwatch.putMetricData(
      { Namespace: 'RdsFailover', MetricData: [{ MetricName: 'HeartbeatSuccess', Dimensions: [{ Name: 'Database', Value: 'orders' }], Value: v }] },
      R,
    );

  it('2 of 3 breaching minutes raise the alarm and emit the state-change event with the AWS shape', async () => {
    const w = new World();
    for (let i = 0; i < 5; i++) {
      await w.clock.advanceBy(20_000);
      beat(w, 1);
      await w.clock.advanceBy(40_000);
    }
    // created while the heartbeat already flows (a new alarm with missing history and
    // TreatMissingData=breaching would go straight to ALARM, as in AWS)
    heartbeatAlarm(w);
    for (let i = 0; i < 2; i++) {
      await w.clock.advanceBy(20_000);
      beat(w, 1);
      await w.clock.advanceBy(40_000);
    }
    expect(w.cloudwatch.alarmState('us-east-1', 'orders-heartbeat')).toBe('OK');
    const failedAt = w.clock.now();
    for (let i = 0; i < 3; i++) {
      await w.clock.advanceBy(20_000);
      beat(w, 0);
      await w.clock.advanceBy(40_000);
    }
    const hist = w.cloudwatch.alarmHistory('us-east-1', 'orders-heartbeat');
    expect(hist.map((h) => `${h.from}->${h.to}`)).toEqual(['INSUFFICIENT_DATA->OK', 'OK->ALARM']);
    expect((hist[1]!.t - failedAt) / 1000).toBe(120); // two complete minutes of failed heartbeats
    const ev = w.events.log
      .map((e) => e.event)
      .filter((e) => e['detail-type'] === 'CloudWatch Alarm State Change')
      .pop()!;
    expect(ev.source).toBe('aws.cloudwatch');
    expect(ev.resources).toEqual(['arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-heartbeat']);
    const d = ev.detail as any;
    expect(d.alarmName).toBe('orders-heartbeat');
    expect(d.state.value).toBe('ALARM');
    expect(d.previousState.value).toBe('OK');
    expect(d.state.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(JSON.parse(d.state.reasonData)).toMatchObject({ version: '1.0', statistic: 'Minimum', period: 60, threshold: 1 });
    expect(d.state.reason).toMatch(/^Threshold Crossed: 2 out of the last 3 datapoints/);
    expect(d.configuration).toEqual({
      description: 'heartbeat',
      metrics: [
        {
          id: expect.any(String),
          metricStat: { metric: { namespace: 'RdsFailover', name: 'HeartbeatSuccess', dimensions: { Database: 'orders' } }, period: 60, stat: 'Minimum' },
          returnData: true,
        },
      ],
    });
  });

  it('missing heartbeats count as breaching under TreatMissingData=breaching; the alarm dies with its Region', async () => {
    const w = new World();
    heartbeatAlarm(w);
    await w.clock.advanceBy(3 * 60_000);
    expect(w.cloudwatch.alarmState('us-east-1', 'orders-heartbeat')).toBe('ALARM');
    const w2 = new World();
    heartbeatAlarm(w2);
    w2.regionOutage('us-east-1', true);
    await w2.clock.advanceBy(10 * 60_000);
    expect(w2.cloudwatch.alarmState('us-east-1', 'orders-heartbeat')).toBe('INSUFFICIENT_DATA');
  });

  it('SetAlarmState changes the state until the next evaluation and notifies SNS alarm actions', async () => {
    const w = new World();
    const topic = w.sns.createTopic('us-east-1', 'ops');
    heartbeatAlarm(w, { AlarmActions: [topic], TreatMissingData: 'notBreaching' });
    await w.clock.advanceBy(60_000);
    expect(w.cloudwatch.alarmState('us-east-1', 'orders-heartbeat')).toBe('OK');
    w.cloudwatch.setAlarmState({ AlarmName: 'orders-heartbeat', StateValue: 'ALARM', StateReason: 'drill' }, R);
    expect(w.cloudwatch.alarmState('us-east-1', 'orders-heartbeat')).toBe('ALARM');
    expect(w.sns.published).toHaveLength(1);
    expect(JSON.parse(w.sns.published[0]!.message)).toMatchObject({ AlarmName: 'orders-heartbeat', NewStateValue: 'ALARM', OldStateValue: 'OK' });
    await w.clock.advanceBy(60_000);
    expect(w.cloudwatch.alarmState('us-east-1', 'orders-heartbeat')).toBe('OK');
    expect(() => w.cloudwatch.setAlarmState({ AlarmName: 'nope', StateValue: 'ALARM', StateReason: 'x' }, R)).toThrow(/not found/);
  });

  it('DescribeAlarmHistory: the state updates within the dates, newest first, with HistoryData as AWS writes it', async () => {
    const w = new World();
    heartbeatAlarm(w, { TreatMissingData: 'notBreaching' });
    await w.clock.advanceBy(60_000);
    const since = new Date(w.clock.now());
    w.cloudwatch.setAlarmState({ AlarmName: 'orders-heartbeat', StateValue: 'ALARM', StateReason: 'drill' }, R);
    await w.clock.advanceBy(60_000); // the next evaluation puts it back to OK
    const out = w.cloudwatch.describeAlarmHistory({ AlarmName: 'orders-heartbeat', HistoryItemType: 'StateUpdate', StartDate: since }, R) as any;
    expect(out.AlarmHistoryItems.map((i: any) => i.HistorySummary)).toEqual(['Alarm updated from ALARM to OK', 'Alarm updated from OK to ALARM']);
    expect(JSON.parse(out.AlarmHistoryItems[1].HistoryData)).toMatchObject({
      oldState: { stateValue: 'OK' },
      newState: { stateValue: 'ALARM', stateReason: 'drill' },
    });
    // Before `since`: the first evaluation (INSUFFICIENT_DATA -> OK) is not listed; an unknown alarm has an empty history.
    expect((w.cloudwatch.describeAlarmHistory({ AlarmName: 'orders-heartbeat' }, R) as any).AlarmHistoryItems).toHaveLength(3);
    expect((w.cloudwatch.describeAlarmHistory({ AlarmName: 'nope', StartDate: since }, R) as any).AlarmHistoryItems).toEqual([]);
    expect(() => w.cloudwatch.describeAlarmHistory({ AlarmName: 'orders-heartbeat', MaxRecords: 0 }, R)).toThrow(/MaxRecords/);
  });

  it('DescribeAlarms filters by name, prefix and state', async () => {
    const w = new World();
    heartbeatAlarm(w);
    heartbeatAlarm(w, { AlarmName: 'other' });
    const d = w.cloudwatch.describeAlarms({ AlarmNamePrefix: 'orders' }, R) as any;
    expect(d.MetricAlarms.map((a: any) => a.AlarmName)).toEqual(['orders-heartbeat']);
    expect(d.MetricAlarms[0]).toMatchObject({
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      Period: 60,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
    });
    expect((w.cloudwatch.describeAlarms({ StateValue: 'ALARM' }, R) as any).MetricAlarms).toEqual([]);
  });

  it('rejects invalid alarm definitions', () => {
    const w = new World();
    expect(() => heartbeatAlarm(w, { Period: 45 })).toThrow(/Period must be 10, 20, 30 or a multiple of 60/);
    expect(() => heartbeatAlarm(w, { DatapointsToAlarm: 4 })).toThrow(/DatapointsToAlarm/);
    expect(() => heartbeatAlarm(w, { Period: 3600, EvaluationPeriods: 200 })).toThrow(/must not exceed/);
  });

  it('AWS/DynamoDB alarms always ignore missing data', async () => {
    const w = new World();
    w.cloudwatch.putMetricAlarm(
      {
        AlarmName: 'ddb',
        Namespace: 'AWS/DynamoDB',
        MetricName: 'ThrottledRequests',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'breaching',
      } as never,
      R,
    );
    await w.clock.advanceBy(5 * 60_000);
    expect(w.cloudwatch.alarmState('us-east-1', 'ddb')).toBe('INSUFFICIENT_DATA');
  });
});

describe('metrics', () => {
  it('PutMetricData rejects NaN/Infinity and the AWS/ namespace', () => {
    const w = new World();
    const put =
      (v: number, ns = 'App') =>
      () =>
        w.cloudwatch.putMetricData({ Namespace: ns, MetricData: [{ MetricName: 'm', Value: v }] }, R);
    expect(put(Number.NaN)).toThrow(InvalidParameterValueException);
    expect(put(Number.POSITIVE_INFINITY)).toThrow(/The value Infinity for parameter MetricData.member.1.Value is invalid/);
    expect(put(1, 'AWS/RDS')).toThrow(/Namespace is invalid/);
    expect(put(1)).not.toThrow();
  });

  it('GetMetricData aggregates per period, newest first, for each statistic', async () => {
    const w = new World();
    for (const [t, v] of [
      [0, 1],
      [10_000, 3],
      [70_000, 10],
      [130_000, 7],
    ] as const) {
      await w.clock.advanceTo(w.startMs + t);
      w.cloudwatch.putMetricData({ Namespace: 'App', MetricData: [{ MetricName: 'lat', Value: v }] }, R);
    }
    const q = (Stat: string) =>
      (
        w.cloudwatch.getMetricData(
          {
            StartTime: new Date(w.startMs),
            EndTime: new Date(w.startMs + 180_000),
            MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: 'App', MetricName: 'lat' }, Period: 60, Stat } }],
          },
          R,
        ) as any
      ).MetricDataResults[0];
    expect(q('Average').Values).toEqual([7, 10, 2]);
    expect(q('Sum').Values).toEqual([7, 10, 4]);
    expect(q('Maximum').Values).toEqual([7, 10, 3]);
    expect(q('SampleCount').Values).toEqual([1, 1, 2]);
    expect(q('Minimum').Timestamps.map((d: Date) => d.toISOString())).toEqual([
      '2026-01-01T00:02:00.000Z',
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ]);
    expect(() => q('p99')).toThrow(/TwinUnsupported|statistics/);
  });
});

describe('composite alarms', () => {
  /** A metric alarm that is OK with no data (notBreaching) and moves only by SetAlarmState until its next evaluation. */
  const metricAlarm = (w: World, name: string, region = 'us-east-1') =>
    w.cloudwatch.defineAlarm(region, {
      AlarmName: name,
      Namespace: 'App',
      MetricName: name,
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  const set = (w: World, name: string, value: AlarmStateValue) => w.cloudwatch.setAlarmState({ AlarmName: name, StateValue: value, StateReason: 'test' }, R);
  const world = async () => {
    const w = new World();
    metricAlarm(w, 'app-5xx');
    metricAlarm(w, 'app-latency');
    await w.clock.advanceBy(60_000); // both evaluated: OK
    return w;
  };

  it.each([
    ['ALARM(a) OR ALARM(b)', { a: 'OK', b: 'ALARM' }, true],
    ['ALARM(a) AND ALARM(b)', { a: 'OK', b: 'ALARM' }, false],
    ['ALARM("a") AND NOT ALARM("b")', { a: 'ALARM', b: 'OK' }, true],
    ['ALARM(a) OR ALARM(b) AND ALARM(c)', { a: 'ALARM', b: 'OK', c: 'OK' }, true], // AND binds tighter
    ['(ALARM(a) OR ALARM(b)) AND ALARM(c)', { a: 'ALARM', b: 'OK', c: 'OK' }, false],
    ['OK(a) AND INSUFFICIENT_DATA(b)', { a: 'OK', b: 'INSUFFICIENT_DATA' }, true],
    ['TRUE', {}, true],
    ['NOT TRUE OR FALSE', {}, false],
    ['ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:a)', { 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:a': 'ALARM' }, true],
  ] as const)('the rule %s with %j is %s', (rule, states, value) => {
    expect(evaluateAlarmRule(parseAlarmRule(rule), (n) => (states as Record<string, AlarmStateValue>)[n])).toBe(value);
  });

  it.each(['ALARM(a) AND', 'ALARM()', 'ALARM(a', 'MAYBE(a)', 'ALARM(a) ALARM(b)', '', '(TRUE'])('refuses the malformed rule %j', (rule) => {
    expect(() => parseAlarmRule(rule)).toThrow(expect.objectContaining({ name: 'ValidationError', message: expect.stringMatching(/^Error in AlarmRule: /) }));
  });

  it('lists the alarms a rule names, once each', () => {
    expect(ruleAlarms(parseAlarmRule('ALARM(a) OR (OK("b") AND NOT ALARM(a))'))).toEqual(['a', 'b']);
  });

  it('starts in INSUFFICIENT_DATA, is evaluated at once, then follows its alarms as they change (events and SNS actions included)', async () => {
    const w = await world();
    const topic = w.sns.createTopic('us-east-1', 'ops');
    w.cloudwatch.putCompositeAlarm({ AlarmName: 'app-health', AlarmRule: 'ALARM("app-5xx") OR ALARM("app-latency")', AlarmActions: [topic] }, R);
    expect(w.cloudwatch.alarmHistory('us-east-1', 'app-health').map((h) => `${h.from}->${h.to}`)).toEqual(['INSUFFICIENT_DATA->OK']);
    set(w, 'app-latency', 'ALARM');
    expect(w.cloudwatch.alarmState('us-east-1', 'app-health')).toBe('ALARM');
    expect(JSON.parse(w.sns.published.at(-1)!.message)).toMatchObject({ AlarmName: 'app-health', NewStateValue: 'ALARM', OldStateValue: 'OK' });
    await w.clock.advanceBy(60_000); // app-latency's next evaluation: OK again, and so the composite
    expect(w.cloudwatch.alarmState('us-east-1', 'app-latency')).toBe('OK');
    expect(w.cloudwatch.alarmHistory('us-east-1', 'app-health').map((h) => `${h.from}->${h.to}`)).toEqual(['INSUFFICIENT_DATA->OK', 'OK->ALARM', 'ALARM->OK']);
  });

  it('a composite of composites follows its child composite; an update keeps the state and evaluates again', async () => {
    const w = await world();
    w.cloudwatch.putCompositeAlarm({ AlarmName: 'app-health', AlarmRule: 'ALARM(app-5xx)' }, R);
    w.cloudwatch.putCompositeAlarm({ AlarmName: 'service-health', AlarmRule: 'ALARM(app-health) OR ALARM(app-latency)' }, R);
    set(w, 'app-5xx', 'ALARM');
    expect(w.cloudwatch.alarmState('us-east-1', 'service-health')).toBe('ALARM');
    w.cloudwatch.putCompositeAlarm({ AlarmName: 'service-health', AlarmRule: 'ALARM(app-latency)' }, R);
    expect(w.cloudwatch.alarmState('us-east-1', 'service-health')).toBe('OK');
    expect(w.cloudwatch.alarmHistory('us-east-1', 'service-health').map((h) => h.to)).toEqual(['OK', 'ALARM', 'OK']);
  });

  it('refuses a rule naming an alarm that does not exist (or itself, or an ARN of another Region), and a name a metric alarm has', async () => {
    const w = await world();
    expect(() => w.cloudwatch.putCompositeAlarm({ AlarmName: 'c', AlarmRule: 'ALARM(nope)' }, R)).toThrow(
      'Error in AlarmRule: the alarm nope does not exist in us-east-1',
    );
    expect(() => w.cloudwatch.putCompositeAlarm({ AlarmName: 'c', AlarmRule: 'ALARM(c)' }, R)).toThrow(/cannot depend on itself/);
    expect(() => w.cloudwatch.putCompositeAlarm({ AlarmName: 'c', AlarmRule: 'ALARM(arn:aws:cloudwatch:us-west-2:123456789012:alarm:app-5xx)' }, R)).toThrow(
      /is not an alarm ARN of this account in us-east-1/,
    );
    expect(() => w.cloudwatch.putCompositeAlarm({ AlarmName: 'app-5xx', AlarmRule: 'TRUE' }, R)).toThrow(/already exists/);
    expect(w.cloudwatch.alarmState('us-east-1', 'c')).toBeUndefined();
  });

  it('DescribeAlarms: composites only with AlarmTypes CompositeAlarm; without AlarmTypes, metric alarms only', async () => {
    const w = await world();
    w.cloudwatch.putCompositeAlarm({ AlarmName: 'app-health', AlarmRule: 'ALARM(app-5xx)', AlarmDescription: 'the app' }, R);
    const names = (out: any) => [...out.MetricAlarms, ...out.CompositeAlarms].map((a: any) => a.AlarmName);
    expect(names(w.cloudwatch.describeAlarms({ AlarmNames: ['app-health', 'app-5xx'] }, R))).toEqual(['app-5xx']);
    expect(names(w.cloudwatch.describeAlarms({ AlarmNames: ['app-health', 'app-5xx'], AlarmTypes: ['CompositeAlarm'] }, R))).toEqual(['app-health']);
    const both = w.cloudwatch.describeAlarms({ AlarmNames: ['app-health', 'app-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }, R) as any;
    expect(names(both)).toEqual(['app-5xx', 'app-health']);
    expect(both.CompositeAlarms[0]).toMatchObject({
      AlarmName: 'app-health',
      AlarmRule: 'ALARM(app-5xx)',
      AlarmDescription: 'the app',
      StateValue: 'OK',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:app-health',
    });
    expect(() => w.cloudwatch.describeAlarms({ AlarmTypes: ['Composite'] }, R)).toThrow(/AlarmTypes/);
  });

  it("DescribeAlarmHistory: a composite's history only with AlarmTypes CompositeAlarm", async () => {
    const w = await world();
    w.cloudwatch.putCompositeAlarm({ AlarmName: 'app-health', AlarmRule: 'ALARM(app-5xx)' }, R);
    set(w, 'app-5xx', 'ALARM');
    expect((w.cloudwatch.describeAlarmHistory({ AlarmName: 'app-health' }, R) as any).AlarmHistoryItems).toEqual([]);
    const items = (w.cloudwatch.describeAlarmHistory({ AlarmName: 'app-health', AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }, R) as any).AlarmHistoryItems;
    expect(items.map((i: any) => [i.AlarmType, i.HistorySummary])).toEqual([
      ['CompositeAlarm', 'Alarm updated from OK to ALARM'],
      ['CompositeAlarm', 'Alarm updated from INSUFFICIENT_DATA to OK'],
    ]);
  });
});

describe('composite alarms and IAM: only a permission on "*" shows them', () => {
  const twin = useSdkTwin();

  const setup = async (resource: string | string[]) => {
    const w = twin.use(new World());
    w.cloudwatch.defineAlarm('us-east-1', {
      AlarmName: 'app-5xx',
      Namespace: 'App',
      MetricName: 'e',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    await w.clock.advanceBy(60_000);
    w.cloudwatch.defineCompositeAlarm('us-east-1', { AlarmName: 'app-health', AlarmRule: 'ALARM(app-5xx)' });
    w.cloudwatch.setAlarmState({ AlarmName: 'app-5xx', StateValue: 'ALARM', StateReason: 'test' }, R);
    w.iam.putRole('gate', [
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory'], Resource: resource }] },
    ]);
    return { w, as: w.iam.assumeRole('gate') };
  };
  const call = (w: World, as: ReturnType<World['iam']['assumeRole']>, op: string, input: object) =>
    w.call('cloudwatch', op, input, { region: 'us-east-1', principal: as }) as Promise<any>;

  it("a permission on the alarms' ARNs: the call succeeds, but the composite is not in the answer nor its history", async () => {
    const { w, as } = await setup(['arn:aws:cloudwatch:us-east-1:123456789012:alarm:app-health', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:app-5xx']);
    const out = await call(w, as, 'DescribeAlarms', { AlarmNames: ['app-health', 'app-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(out.MetricAlarms.map((a: any) => a.AlarmName)).toEqual(['app-5xx']);
    expect(out.CompositeAlarms).toEqual([]);
    const history = await call(w, as, 'DescribeAlarmHistory', { AlarmName: 'app-health', AlarmTypes: ['CompositeAlarm'] });
    expect(history.AlarmHistoryItems).toEqual([]);
  });

  it('a permission on a wildcard ARN is narrower than "*" too', async () => {
    const { w, as } = await setup('arn:aws:cloudwatch:*:123456789012:alarm:*');
    expect((await call(w, as, 'DescribeAlarms', { AlarmNames: ['app-health'], AlarmTypes: ['CompositeAlarm'] })).CompositeAlarms).toEqual([]);
  });

  it('a permission on "*": the composite, in ALARM, and its history', async () => {
    const { w, as } = await setup('*');
    const out = await call(w, as, 'DescribeAlarms', { AlarmNames: ['app-health', 'app-5xx'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(out.CompositeAlarms.map((a: any) => [a.AlarmName, a.StateValue])).toEqual([['app-health', 'ALARM']]);
    const history = await call(w, as, 'DescribeAlarmHistory', { AlarmName: 'app-health', AlarmTypes: ['CompositeAlarm'] });
    expect(history.AlarmHistoryItems.map((i: any) => i.HistorySummary)).toEqual([
      'Alarm updated from OK to ALARM',
      'Alarm updated from INSUFFICIENT_DATA to OK',
    ]);
  });

  it('PutCompositeAlarm needs cloudwatch:PutCompositeAlarm on the alarm', async () => {
    const { w, as } = await setup('*');
    await expect(call(w, as, 'PutCompositeAlarm', { AlarmName: 'x', AlarmRule: 'TRUE' })).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('cloudwatch:PutCompositeAlarm on resource: arn:aws:cloudwatch:us-east-1:123456789012:alarm:x'),
    });
  });
});

describe('CloudWatch through the SDK', () => {
  const twin = useSdkTwin();
  it('PutMetricData and GetMetricData with a real client', async () => {
    const w = twin.use(new World());
    const cw = new CloudWatchClient({ region: 'us-west-2' });
    await cw.send(new PutMetricDataCommand({ Namespace: 'RdsFailover', MetricData: [{ MetricName: 'HeartbeatSuccess', Value: 1 }] }));
    await expect(
      cw.send(new PutMetricDataCommand({ Namespace: 'RdsFailover', MetricData: [{ MetricName: 'HeartbeatSuccess', Value: Number.NaN }] })),
    ).rejects.toBeInstanceOf(InvalidParameterValueException);
    const out = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(w.startMs),
        EndTime: new Date(w.startMs + 60_000),
        MetricDataQueries: [{ Id: 'h', MetricStat: { Metric: { Namespace: 'RdsFailover', MetricName: 'HeartbeatSuccess' }, Period: 60, Stat: 'Sum' } }],
      }),
    );
    expect(out.MetricDataResults?.[0]?.Values).toEqual([1]);
    expect(w.apiCalls['cloudwatch:PutMetricData']).toBe(2);
  });
});
