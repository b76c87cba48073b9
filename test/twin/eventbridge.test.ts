import { EventBridgeClient, InvalidEventPatternException, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { useSdkTwin } from '../helpers/sdk-twin.js';
import { matchesPattern, validatePattern } from '../../twin/services/event-pattern.js';
import { transform, type TwinEvent } from '../../twin/services/eventbridge.js';
import { World } from '../../twin/world.js';
import { heartbeatTriggerGrants } from '../../lib/constructs/permissions.js';
import { Arns } from '../../lib/arns.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const alarmEvent = {
  version: '0',
  id: 'e1',
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  account: '123456789012',
  time: '2026-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-heartbeat'],
  detail: { alarmName: 'orders-heartbeat', state: { value: 'ALARM' }, previousState: { value: 'OK' }, lag: 42, tags: ['a', 'b'], flag: null },
};

describe('event pattern matching', () => {
  it.each([
    [{ source: ['aws.cloudwatch'] }, true],
    [{ source: ['aws.rds', 'aws.cloudwatch'] }, true],
    [{ source: ['aws.rds'] }, false],
    [{ detail: { state: { value: ['ALARM'] } } }, true],
    [{ detail: { state: { value: ['OK'] } } }, false],
    [{ detail: { alarmName: [{ prefix: 'orders-' }] } }, true],
    [{ detail: { alarmName: [{ suffix: '-heartbeat' }] } }, true],
    [{ detail: { alarmName: [{ prefix: { 'equals-ignore-case': 'ORDERS' } }] } }, true],
    [{ detail: { alarmName: [{ 'equals-ignore-case': 'ORDERS-HEARTBEAT' }] } }, true],
    [{ detail: { alarmName: [{ wildcard: 'orders-*beat' }] } }, true],
    [{ detail: { state: { value: [{ 'anything-but': 'OK' }] } } }, true],
    [{ detail: { state: { value: [{ 'anything-but': ['OK', 'ALARM'] }] } } }, false],
    [{ detail: { alarmName: [{ 'anything-but': { prefix: 'orders' } }] } }, false],
    [{ detail: { missing: [{ 'anything-but': 'x' }] } }, false], // anything-but needs the field
    [{ detail: { lag: [{ exists: true }] } }, true],
    [{ detail: { missing: [{ exists: false }] } }, true],
    [{ detail: { lag: [{ exists: false }] } }, false],
    [{ detail: { lag: [{ numeric: ['>', 30, '<=', 42] }] } }, true],
    [{ detail: { lag: [{ numeric: ['<', 30] }] } }, false],
    [{ detail: { lag: [42] } }, true],
    [{ detail: { lag: ['42'] } }, false], // types matter
    [{ detail: { tags: ['b'] } }, true], // array in the event: any element
    [{ detail: { tags: ['c'] } }, false],
    [{ resources: [{ prefix: 'arn:aws:cloudwatch:us-east-1' }] }, true],
    [{ detail: { flag: [null] } }, true],
    [{ $or: [{ source: ['aws.rds'] }, { detail: { lag: [{ numeric: ['>=', 40] }] } }] }, true],
    [{ source: ['aws.cloudwatch'], detail: { state: { value: ['ALARM'] }, previousState: { value: ['ALARM'] } } }, false],
  ])('%j -> %s', (pattern, expected) => {
    validatePattern(pattern);
    expect(matchesPattern(pattern as Record<string, unknown>, alarmEvent)).toBe(expected);
  });

  it.each([
    [{ source: 'aws.rds' }, /must be an object or an array/],
    [{ source: [] }, /Empty arrays/],
    [{ detail: { x: [{ bogus: 1 }] } }, /Unrecognized match type bogus/],
    [{ detail: { x: [{ numeric: ['>>', 1] }] } }, /Unrecognized numeric range operator/],
    [{ detail: { x: [{ exists: 'yes' }] } }, /exists match pattern must be either true or false/],
    [{ detail: { ip: [{ cidr: '10.0.0.0/8' }] } }, /not modelled/],
  ])('invalid pattern %j', (pattern, message) => {
    expect(() => validatePattern(pattern)).toThrow(message);
  });
});

describe('InputTransformer', () => {
  it('fills quoted and unquoted placeholders and the reserved whole-event variables', () => {
    const out = transform(
      {
        InputPathsMap: { alarm: '$.detail.alarmName', lag: '$.detail.lag', dt: "$['detail-type']", first: '$.resources[0]' },
        InputTemplate: '{"name": "<alarm> fired", "lag": <lag>, "type": "<dt>", "res": <first>, "event": <aws.events.event>, "rule": "<aws.events.rule-name>"}',
      },
      alarmEvent as TwinEvent,
      { arn: 'arn:aws:events:us-west-2:123456789012:rule/r', name: 'r' },
    ) as any;
    expect(out).toEqual({
      name: 'orders-heartbeat fired',
      lag: 42,
      type: 'CloudWatch Alarm State Change',
      res: alarmEvent.resources[0],
      event: alarmEvent,
      rule: 'r',
    });
    expect(() => transform({ InputTemplate: '{"x": <nope>}' }, alarmEvent as TwinEvent, { arn: 'a', name: 'r' })).toThrow(/not in InputPathsMap/);
  });
});

describe('rules, targets and delivery on the clock', () => {
  const setup = () => {
    const w = new World();
    const got: { payload: any; at: number; meta: any }[] = [];
    const smArn = 'arn:aws:states:us-west-2:123456789012:stateMachine:failover';
    w.events.registerTarget(smArn, (payload, meta) => got.push({ payload, at: w.clock.now(), meta }));
    return { w, got, smArn };
  };

  it('an alarm event in the primary Region reaches a state machine in the control Region through a cross-Region bus', async () => {
    const { w, got, smArn } = setup();
    const E1 = { region: 'us-east-1' };
    const W2 = { region: 'us-west-2' };
    w.events.putRule({ Name: 'forward', EventPattern: JSON.stringify({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] }) }, E1);
    w.events.putTargets({ Rule: 'forward', Targets: [{ Id: 'bus', Arn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }] }, E1);
    w.events.putRule({ Name: 'start-failover', EventPattern: JSON.stringify({ source: ['aws.cloudwatch'], detail: { state: { value: ['ALARM'] } } }) }, W2);
    w.events.putTargets(
      {
        Rule: 'start-failover',
        Targets: [
          {
            Id: 'sm',
            Arn: smArn,
            InputTransformer: {
              InputPathsMap: { a: '$.detail.alarmName' },
              InputTemplate: '{"database": "orders", "alarm": "<a>", "event": <aws.events.event>}',
            },
          },
        ],
      },
      W2,
    );
    const original = w.events.emitAws('us-east-1', {
      source: 'aws.cloudwatch',
      detailType: 'CloudWatch Alarm State Change',
      detail: { alarmName: 'hb', state: { value: 'ALARM' } },
    })!;
    expect(got).toHaveLength(0); // asynchronous
    await w.clock.advanceBy(10_000);
    expect(got).toHaveLength(1);
    expect(got[0]!.payload.alarm).toBe('hb');
    expect(got[0]!.payload.event.id).not.toBe(original.id); // event ids change across buses
    expect(got[0]!.payload.event.region).toBe('us-east-1');
    expect(got[0]!.at).toBeGreaterThan(w.startMs);
    expect(w.events.deliveries.every((d) => d.ok)).toBe(true);
  });

  it('the duplicate fault delivers the next matching event extra times', async () => {
    const { w, got, smArn } = setup();
    const W2 = { region: 'us-west-2' };
    w.events.putRule({ Name: 'r', EventPattern: JSON.stringify({ source: ['app'] }) }, W2);
    w.events.putTargets({ Rule: 'r', Targets: [{ Id: 'sm', Arn: smArn, Input: '{"fixed":true}' }] }, W2);
    w.duplicateNextEvent((e) => e.source === 'app', 2);
    w.events.putEvents({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }, W2);
    w.events.putEvents({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }, W2);
    await w.clock.advanceBy(10_000);
    expect(got).toHaveLength(4);
    expect(got[0]!.payload).toEqual({ fixed: true });
  });

  it('a failing target is retried with backoff; an outage of the target Region is waited out', async () => {
    const w = new World();
    let calls = 0;
    const target = 'arn:aws:states:us-west-2:123456789012:stateMachine:sm';
    w.events.registerTarget(target, () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('boom'), { name: 'ServiceException' });
    });
    w.events.putRule({ Name: 'r', EventPattern: '{"source":["app"]}' }, { region: 'us-west-2' });
    w.events.putTargets({ Rule: 'r', Targets: [{ Id: 't', Arn: target }] }, { region: 'us-west-2' });
    w.events.putEvents({ Entries: [{ Source: 'app', DetailType: 'x', Detail: '{}' }] }, { region: 'us-west-2' });
    await w.clock.advanceBy(60_000);
    expect(calls).toBe(3);
    expect(w.events.deliveries.map((d) => d.ok)).toEqual([false, false, true]);
  });

  it('events of a Region that is out are lost; rate() schedules fire on the clock', async () => {
    const w = new World();
    const seen: any[] = [];
    w.events.registerTarget('arn:aws:lambda:us-east-1:123456789012:function:heartbeat', (p) => seen.push(p));
    w.events.putRule({ Name: 'tick', ScheduleExpression: 'rate(1 minute)' }, { region: 'us-east-1' });
    w.events.putTargets(
      { Rule: 'tick', Targets: [{ Id: 'hb', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:heartbeat', Input: '{"site":"in-region"}' }] },
      { region: 'us-east-1' },
    );
    await w.clock.advanceBy(5 * 60_000 + 5000);
    expect(seen).toHaveLength(5);
    expect(seen[0]).toEqual({ site: 'in-region' });
    w.regionOutage('us-east-1', true);
    await w.clock.advanceBy(5 * 60_000);
    expect(seen).toHaveLength(5);
    expect(w.events.emitAws('us-east-1', { source: 'aws.rds', detailType: 'x', detail: {} })).toBeUndefined();
    expect(() => w.events.putRule({ Name: 'c', ScheduleExpression: 'cron(0 * * * ? *)' }, { region: 'us-east-1' })).toThrow(/rate/);
  });

  it('PutEvents is authorized per entry with events:source and events:detail-type (the heartbeat may put only "Heartbeat Failed")', async () => {
    const w = new World();
    w.events.createBus('us-west-2', 'failover-events');
    const bus = 'arn:aws:events:us-west-2:123456789012:event-bus/failover-events';
    const statement = heartbeatTriggerGrants(
      'failover',
      'in-region',
      'us-east-1',
      bus,
      new Arns('aws', '123456789012'),
    ).statements[0]!.toStatementJson() as any;
    w.iam.putRole('hb', [{ Version: '2012-10-17', Statement: [statement] }]);
    const as = { region: 'us-east-1', principal: w.iam.assumeRole('hb', 'heartbeat') };
    const entry = (Source: string, DetailType: string) => ({ Source, DetailType, Detail: JSON.stringify({ database: 'orders' }), EventBusName: bus });
    await expect(w.call('events', 'PutEvents', { Entries: [entry('rds-failover.heartbeat', 'Heartbeat Failed')] }, as)).resolves.toMatchObject({
      FailedEntryCount: 0,
    });
    for (const denied of [
      [entry('rds-failover.operator', 'Failover Requested')],
      [entry('rds-failover.heartbeat', 'Failover Requested')],
      [entry('rds-failover.heartbeat', 'Heartbeat Failed'), entry('rds-failover.operator', 'Heartbeat Failed')],
    ]) {
      await expect(w.call('events', 'PutEvents', { Entries: denied }, as)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
    // Another bus (the control Region's default bus) is not allowed either.
    await expect(
      w.call(
        'events',
        'PutEvents',
        { Entries: [{ ...entry('rds-failover.heartbeat', 'Heartbeat Failed'), EventBusName: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }] },
        as,
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('PutEvents reports per-entry errors like AWS', () => {
    const w = new World();
    const out = w.events.putEvents(
      {
        Entries: [
          { Source: 'aws.rds', DetailType: 'x', Detail: '{}' },
          { Source: 'app', DetailType: 'x', Detail: 'not json' },
          { Source: 'app', DetailType: 'x', Detail: '{"a":1}' },
        ],
      },
      { region: 'us-east-1' },
    ) as any;
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries[0]).toEqual({ ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' });
    expect(out.Entries[1].ErrorCode).toBe('MalformedDetail');
    expect(out.Entries[2].EventId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('EventBridge through the SDK', () => {
  const twin = useSdkTwin();
  it('PutRule/PutTargets/PutEvents with a real client; invalid patterns are InvalidEventPatternException', async () => {
    const w = twin.use(new World());
    const got: unknown[] = [];
    w.events.registerTarget('arn:aws:states:us-west-2:123456789012:stateMachine:sm', (p) => got.push(p));
    const eb = new EventBridgeClient({ region: 'us-west-2' });
    await expect(eb.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source":"x"}' }))).rejects.toBeInstanceOf(InvalidEventPatternException);
    const rule = await eb.send(
      new PutRuleCommand({ Name: 'ops', EventPattern: JSON.stringify({ source: ['rds-failover'], 'detail-type': ['Failover Requested'] }) }),
    );
    expect(rule.RuleArn).toBe('arn:aws:events:us-west-2:123456789012:rule/ops');
    await eb.send(new PutTargetsCommand({ Rule: 'ops', Targets: [{ Id: 'sm', Arn: 'arn:aws:states:us-west-2:123456789012:stateMachine:sm' }] }));
    const put = await eb.send(
      new PutEventsCommand({ Entries: [{ Source: 'rds-failover', DetailType: 'Failover Requested', Detail: JSON.stringify({ database: 'orders' }) }] }),
    );
    expect(put.FailedEntryCount).toBe(0);
    await w.clock.advanceBy(5000);
    expect(got).toEqual([expect.objectContaining({ source: 'rds-failover', detail: { database: 'orders' } })]);
  });
});
