import { describe, expect, it } from 'vitest';
import { alarmedSince, changeBatch, currentWeights, firingAlarms, restoreWeights, stepWeights, wentToAlarm } from '../../../lambdas/shift-traffic/core.js';
import type { TrafficConfig } from '../../../lambdas/shared/config-schema.js';

const traffic: TrafficConfig = {
  hostedZoneId: 'Z0APP',
  recordName: 'app.orders.example.com',
  type: 'CNAME',
  ttlSeconds: 60,
  targets: [
    { region: 'us-east-1', setIdentifier: 'use1', value: 'lb-use1.example.com' },
    { region: 'us-west-2', setIdentifier: 'usw2', value: 'lb-usw2.example.com' },
  ],
  drainSteps: [10, 50, 100],
  stepObservationMinutes: 10,
};
// Failback view: writes at us-west-2 now, the original site is us-east-1.
const sites = { primary: { region: 'us-west-2' }, standby: { region: 'us-east-1' } } as never;

describe('traffic weights', () => {
  it.each([
    [10, 10, 90],
    [50, 50, 50],
    [100, 100, 0],
  ])('step %i %%: %i to the original Region, %i to the current one', (percent, original, current) => {
    expect(stepWeights(traffic, sites, percent)).toEqual([
      { setIdentifier: 'use1', region: 'us-east-1', weight: original },
      { setIdentifier: 'usw2', region: 'us-west-2', weight: current },
    ]);
  });

  it('reads the weights of exactly the configured records (name compared without the final dot, case-insensitive)', () => {
    const records = [
      { Name: 'app.orders.example.com.', Type: 'CNAME', SetIdentifier: 'usw2', Weight: 100 },
      { Name: 'APP.orders.example.com.', Type: 'CNAME', SetIdentifier: 'use1', Weight: 0 },
      { Name: 'app.orders.example.com.', Type: 'A', SetIdentifier: 'use1', Weight: 7 },
      { Name: 'other.orders.example.com.', Type: 'CNAME', SetIdentifier: 'use1', Weight: 9 },
    ];
    expect(currentWeights(traffic, records)).toEqual([
      { setIdentifier: 'use1', region: 'us-east-1', weight: 0 },
      { setIdentifier: 'usw2', region: 'us-west-2', weight: 100 },
    ]);
    expect(currentWeights(traffic, [])).toEqual([
      { setIdentifier: 'use1', region: 'us-east-1', weight: null },
      { setIdentifier: 'usw2', region: 'us-west-2', weight: null },
    ]);
  });

  it('a rollback puts the weights back; a record that did not exist gets weight 0', () => {
    expect(
      restoreWeights([
        { setIdentifier: 'use1', region: 'us-east-1', weight: null },
        { setIdentifier: 'usw2', region: 'us-west-2', weight: 100 },
      ]).map((w) => w.weight),
    ).toEqual([0, 100]);
  });

  it('one all-or-nothing batch of UPSERTs of weighted records', () => {
    expect(changeBatch(traffic, stepWeights(traffic, sites, 50), 'step 50')).toEqual({
      Comment: 'step 50',
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'app.orders.example.com',
            Type: 'CNAME',
            SetIdentifier: 'use1',
            Weight: 50,
            TTL: 60,
            ResourceRecords: [{ Value: 'lb-use1.example.com' }],
          },
        },
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'app.orders.example.com',
            Type: 'CNAME',
            SetIdentifier: 'usw2',
            Weight: 50,
            TTL: 60,
            ResourceRecords: [{ Value: 'lb-usw2.example.com' }],
          },
        },
      ],
    });
  });

  it("keeps each record's health check: an UPSERT replaces the whole record set, so a missing HealthCheckId would drop it", () => {
    const records = [
      { Name: 'app.orders.example.com.', Type: 'CNAME', SetIdentifier: 'use1', Weight: 0, HealthCheckId: 'hc-use1' },
      { Name: 'app.orders.example.com.', Type: 'CNAME', SetIdentifier: 'usw2', Weight: 100 },
      { Name: 'other.example.com.', Type: 'CNAME', SetIdentifier: 'usw2', Weight: 1, HealthCheckId: 'hc-other' },
    ];
    const sets = changeBatch(traffic, stepWeights(traffic, sites, 10), 'step 10', records).Changes!.map((c) => c.ResourceRecordSet!);
    expect(sets.map((r) => [r.SetIdentifier, r.Weight, r.HealthCheckId])).toEqual([
      ['use1', 10, 'hc-use1'],
      ['usw2', 90, undefined],
    ]);
    expect('HealthCheckId' in sets[1]!).toBe(false);
  });
});

describe('firingAlarms', () => {
  it.each([
    ['all OK', [{ region: 'us-east-1', name: 'app-5xx', state: 'OK' }], [], []],
    ['one in ALARM', [{ region: 'us-east-1', name: 'app-5xx', state: 'ALARM' }], [], ['app-5xx (us-east-1) is in ALARM']],
    ['INSUFFICIENT_DATA does not stop the drain', [{ region: 'us-east-1', name: 'app-5xx', state: 'INSUFFICIENT_DATA' }], [], []],
    ['a named alarm found nowhere cannot gate', [], [], ['app-5xx was found in no Region: it cannot gate the drain']],
    ['the heartbeat alarm may be missing', [{ region: 'us-east-1', name: 'app-5xx', state: 'OK' }], ['hb'], []],
    [
      'a Region that cannot be read stops the drain',
      [{ region: 'us-east-1', error: 'TimeoutError' }],
      [],
      ['alarms in us-east-1 could not be read (TimeoutError)'],
    ],
  ] as const)('%s', (_label, readings, optional, expected) => {
    expect(firingAlarms(readings, ['app-5xx', ...optional], optional)).toEqual(expected);
  });
});

describe('alarmedSince', () => {
  const item = (from: string, to: string, t: string) => ({
    Timestamp: new Date(t),
    HistorySummary: `Alarm updated from ${from} to ${to}`,
    HistoryData: JSON.stringify({ oldState: { stateValue: from }, newState: { stateValue: to } }),
  });
  it('reports an alarm that went to ALARM since the last check, with the first time, and nothing for other transitions', () => {
    expect(
      alarmedSince([
        {
          region: 'us-east-1',
          name: 'a',
          items: [item('ALARM', 'OK', '2026-04-02T08:03:00Z'), item('OK', 'ALARM', '2026-04-02T08:02:00Z'), item('OK', 'ALARM', '2026-04-02T08:01:00Z')],
        },
        { region: 'us-west-2', name: 'b', items: [item('INSUFFICIENT_DATA', 'OK', '2026-04-02T08:02:00Z')] },
        { region: 'us-west-2', name: 'c', items: [] },
      ]),
    ).toEqual(['a (us-east-1) went to ALARM at 2026-04-02T08:01:00.000Z since the last check']);
  });
  it('does not repeat an alarm already reported in ALARM now; an unreadable history is reported', () => {
    expect(alarmedSince([{ region: 'us-east-1', name: 'a', items: [item('OK', 'ALARM', '2026-04-02T08:01:00Z')] }], ['a (us-east-1) is in ALARM'])).toEqual([]);
    expect(alarmedSince([{ region: 'us-east-1', name: 'a', error: 'AccessDenied' }])).toEqual([
      'the history of a in us-east-1 could not be read (AccessDenied)',
    ]);
  });
  it('reads the summary when HistoryData is not JSON', () => {
    expect(wentToAlarm({ HistoryData: 'x', HistorySummary: 'Alarm updated from OK to ALARM' })).toBe(true);
    expect(wentToAlarm({ HistorySummary: 'Alarm updated from ALARM to OK' })).toBe(false);
  });
});
