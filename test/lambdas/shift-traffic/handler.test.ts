import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { currentRoles } from '../../../lambdas/shared/roles.js';
import { hotDb, regionsOf } from '../shared/failover-steps-fixture.js';

process.env.AWS_REGION = 'us-west-2';
process.env.RESOURCE_PREFIX = 'failover';
const { handler } = await import('../../../lambdas/shift-traffic/handler.js');
const r53 = mockClient(Route53Client);
const cw = mockClient(CloudWatchClient);
const db = currentRoles(
  hotDb((r) => {
    (r as Record<string, unknown>).traffic = {
      hostedZoneId: 'Z0APP',
      recordName: 'app.orders.example.com',
      type: 'CNAME',
      targets: [
        { region: 'us-east-1', setIdentifier: 'use1', value: 'lb-use1.example.com' },
        { region: 'us-west-2', setIdentifier: 'usw2', value: 'lb-usw2.example.com' },
      ],
      alarmNames: ['app-5xx'],
    };
  }),
  'standby',
);
const event = (action: string, over: Record<string, unknown> = {}) => ({ database: db, action, incidentId: 'inc-1-failback', epoch: 8, ...over });

beforeEach(() => {
  r53.reset();
  cw.reset();
  r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C77', Status: 'PENDING', SubmittedAt: new Date() } });
});

describe('shift-traffic', () => {
  it('read: the weights before the drain', async () => {
    r53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [{ Name: 'app.orders.example.com.', Type: 'CNAME', SetIdentifier: 'usw2', Weight: 100 }],
      IsTruncated: false,
      MaxItems: 300,
    });
    await expect(handler(event('read'))).resolves.toMatchObject({
      weights: [
        { setIdentifier: 'use1', weight: null },
        { setIdentifier: 'usw2', weight: 100 },
      ],
    });
    expect(r53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, {
      HostedZoneId: 'Z0APP',
      StartRecordName: 'app.orders.example.com',
      StartRecordType: 'CNAME',
    });
  });

  it('shift: UPSERTs both weighted records in one batch, percent to the original Region', async () => {
    await expect(handler(event('shift', { percent: 10 }))).resolves.toMatchObject({
      changeId: 'C77',
      weights: [
        { setIdentifier: 'use1', weight: 10 },
        { setIdentifier: 'usw2', weight: 90 },
      ],
    });
    const batch = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!;
    expect(batch.Changes!.map((c) => [c.Action, c.ResourceRecordSet!.SetIdentifier, c.ResourceRecordSet!.Weight])).toEqual([
      ['UPSERT', 'use1', 10],
      ['UPSERT', 'usw2', 90],
    ]);
    expect(batch.Comment).toMatch(/inc-1-failback epoch 8: 10% to us-east-1/);
  });

  it("shift and restore keep each weighted record's HealthCheckId (an UPSERT replaces the whole record set)", async () => {
    r53.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [
        {
          Name: 'app.orders.example.com.',
          Type: 'CNAME',
          SetIdentifier: 'use1',
          Weight: 0,
          HealthCheckId: 'hc-use1',
          TTL: 60,
          ResourceRecords: [{ Value: 'lb-use1.example.com' }],
        },
        {
          Name: 'app.orders.example.com.',
          Type: 'CNAME',
          SetIdentifier: 'usw2',
          Weight: 100,
          HealthCheckId: 'hc-usw2',
          TTL: 60,
          ResourceRecords: [{ Value: 'lb-usw2.example.com' }],
        },
      ],
      IsTruncated: false,
      MaxItems: 300,
    });
    await handler(event('shift', { percent: 50 }));
    await handler(
      event('restore', {
        before: [
          { setIdentifier: 'use1', region: 'us-east-1', weight: 0 },
          { setIdentifier: 'usw2', region: 'us-west-2', weight: 100 },
        ],
      }),
    );
    for (const call of r53.commandCalls(ChangeResourceRecordSetsCommand)) {
      expect(call.args[0].input.ChangeBatch!.Changes!.map((c) => c.ResourceRecordSet!.HealthCheckId)).toEqual(['hc-use1', 'hc-usw2']);
    }
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(2);
  });

  it('restore: puts back the weights read before the drain', async () => {
    await handler(
      event('restore', {
        before: [
          { setIdentifier: 'use1', region: 'us-east-1', weight: null },
          { setIdentifier: 'usw2', region: 'us-west-2', weight: 100 },
        ],
      }),
    );
    const changes = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes!;
    expect(changes.map((c) => c.ResourceRecordSet!.Weight)).toEqual([0, 100]);
  });

  it('check-alarms: the named alarms and the heartbeat alarm, in both site Regions; one in ALARM fails the step', async () => {
    cw.on(DescribeAlarmsCommand).callsFake(async (_input: unknown, getClient: () => CloudWatchClient) => {
      const region = await getClient().config.region();
      return { MetricAlarms: region === 'us-east-1' ? [{ AlarmName: 'app-5xx', StateValue: 'ALARM' }] : [{ AlarmName: 'app-5xx', StateValue: 'OK' }] };
    });
    await expect(handler(event('check-alarms'))).resolves.toMatchObject({ ok: false, firing: ['app-5xx (us-east-1) is in ALARM'] });
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['app-5xx', 'failover-orders-heartbeat-in-region'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect((await regionsOf(cw, DescribeAlarmsCommand)).sort()).toEqual(['us-east-1', 'us-west-2']);
  });

  it('check-alarms: all OK passes', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'app-5xx', StateValue: 'OK' }] });
    await expect(handler(event('check-alarms'))).resolves.toMatchObject({ ok: true, firing: [] });
  });

  it('check-alarms since the last check: an alarm that went to ALARM and is OK again still fails the step (its state-update history)', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'app-5xx', StateValue: 'OK' }] });
    cw.on(DescribeAlarmHistoryCommand).callsFake(async (input: { AlarmName: string }, getClient: () => CloudWatchClient) => {
      const region = await getClient().config.region();
      if (region !== 'us-east-1' || input.AlarmName !== 'app-5xx') return { AlarmHistoryItems: [] };
      return {
        AlarmHistoryItems: [
          {
            AlarmName: 'app-5xx',
            Timestamp: new Date('2026-04-02T08:01:40.000Z'),
            HistoryItemType: 'StateUpdate',
            HistorySummary: 'Alarm updated from ALARM to OK',
            HistoryData: JSON.stringify({ oldState: { stateValue: 'ALARM' }, newState: { stateValue: 'OK' } }),
          },
          {
            AlarmName: 'app-5xx',
            Timestamp: new Date('2026-04-02T08:01:10.000Z'),
            HistoryItemType: 'StateUpdate',
            HistorySummary: 'Alarm updated from OK to ALARM',
            HistoryData: JSON.stringify({ oldState: { stateValue: 'OK' }, newState: { stateValue: 'ALARM' } }),
          },
        ],
      };
    });
    const out = await handler({ ...event('check-alarms'), since: '2026-04-02T08:00:00.000Z' });
    expect(out).toMatchObject({ ok: false, firing: ['app-5xx (us-east-1) went to ALARM at 2026-04-02T08:01:10.000Z since the last check'] });
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, {
      AlarmName: 'app-5xx',
      HistoryItemType: 'StateUpdate',
      StartDate: new Date('2026-04-02T08:00:00.000Z'),
    });
    // A history that cannot be read fails the step too (the gate cannot vouch for it).
    cw.on(DescribeAlarmHistoryCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    await expect(handler({ ...event('check-alarms'), since: '2026-04-02T08:00:00.000Z' })).resolves.toMatchObject({
      ok: false,
      firing: expect.arrayContaining(['the history of app-5xx in us-east-1 could not be read (Throttling)']),
    });
  });

  describe('a composite gating alarm (CloudWatch lists it under CompositeAlarms, and only when AlarmTypes asks for it)', () => {
    /** DescribeAlarms as CloudWatch answers it: the composite `app-5xx` in us-east-1 only, when asked for composites. */
    const composite = (state: string) =>
      cw.on(DescribeAlarmsCommand).callsFake(async (input: { AlarmTypes?: string[] }, getClient: () => CloudWatchClient) => {
        const region = await getClient().config.region();
        const asked = (input.AlarmTypes ?? []).includes('CompositeAlarm');
        return {
          MetricAlarms: [],
          CompositeAlarms: region === 'us-east-1' && asked ? [{ AlarmName: 'app-5xx', AlarmRule: 'ALARM(a) OR ALARM(b)', StateValue: state }] : [],
        };
      });

    it.each([
      ['OK lets the step proceed', 'OK', { ok: true, firing: [] }],
      ['in ALARM fails the step', 'ALARM', { ok: false, firing: ['app-5xx (us-east-1) is in ALARM'] }],
    ] as const)('%s', async (_what, state, expected) => {
      composite(state);
      await expect(handler(event('check-alarms'))).resolves.toMatchObject(expected);
    });

    it('that went to ALARM between two checks fails the step: its history is asked for with AlarmTypes CompositeAlarm', async () => {
      composite('OK');
      cw.on(DescribeAlarmHistoryCommand).callsFake(async (input: { AlarmName: string; AlarmTypes?: string[] }) => {
        // Without AlarmTypes, CloudWatch returns metric alarms' history only.
        if (!(input.AlarmTypes ?? []).includes('CompositeAlarm')) return { AlarmHistoryItems: [] };
        return {
          AlarmHistoryItems: [
            {
              AlarmName: 'app-5xx',
              AlarmType: 'CompositeAlarm',
              Timestamp: new Date('2026-04-02T08:00:30.000Z'),
              HistoryItemType: 'StateUpdate',
              HistorySummary: 'Alarm updated from OK to ALARM',
              HistoryData: JSON.stringify({ newState: { stateValue: 'ALARM' } }),
            },
          ],
        };
      });
      const out = await handler({ ...event('check-alarms'), since: '2026-04-02T08:00:00.000Z' });
      expect(out).toMatchObject({ ok: false, firing: ['app-5xx (us-east-1) went to ALARM at 2026-04-02T08:00:30.000Z since the last check'] });
      expect(cw).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, { AlarmName: 'app-5xx', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    });

    it('not shown at all (a role without DescribeAlarms on "*") counts as firing: found in no Region', async () => {
      cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
      await expect(handler(event('check-alarms'))).resolves.toMatchObject({ ok: false, firing: ['app-5xx was found in no Region: it cannot gate the drain'] });
    });
  });

  it('check-alarms without `since` reads no history; every action says when it ran', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'app-5xx', StateValue: 'OK' }] });
    const out = await handler(event('check-alarms'));
    expect(out.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(cw).not.toHaveReceivedCommand(DescribeAlarmHistoryCommand);
  });

  it('refuses a database without traffic records, and a shift without percent', async () => {
    await expect(handler({ ...event('read'), database: hotDb() })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(handler(event('shift'))).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect(r53).not.toHaveReceivedAnyCommand();
  });
});
