import { describe, expect, it } from 'vitest';
import { HEARTBEAT_LATENCY_METRIC, heartbeatDatums, verificationRequest, WAL_BYTES_BEHIND_METRIC } from '../../../lambdas/heartbeat/core.js';

const at = new Date('2026-06-01T10:00:00.000Z');
const Dimensions = [
  { Name: 'Database', Value: 'orders' },
  { Name: 'Site', Value: 'in-region' },
];

describe('heartbeatDatums', () => {
  it.each([
    [
      'success: 1 and the latency',
      { ok: true, latencyMs: 41.6 },
      [
        { MetricName: 'HeartbeatSuccess', Dimensions, Timestamp: at, Value: 1, Unit: 'Count' },
        { MetricName: HEARTBEAT_LATENCY_METRIC, Dimensions, Timestamp: at, Value: 42, Unit: 'Milliseconds' },
      ],
    ],
    ['failure: 0 and no latency', { ok: false, latencyMs: 3000 }, [{ MetricName: 'HeartbeatSuccess', Dimensions, Timestamp: at, Value: 0, Unit: 'Count' }]],
    [
      'PostgreSQL success with the WAL the replicas lack',
      { ok: true, latencyMs: 12, walBytesBehind: 0 },
      [
        { MetricName: 'HeartbeatSuccess', Dimensions, Timestamp: at, Value: 1, Unit: 'Count' },
        { MetricName: HEARTBEAT_LATENCY_METRIC, Dimensions, Timestamp: at, Value: 12, Unit: 'Milliseconds' },
        { MetricName: WAL_BYTES_BEHIND_METRIC, Dimensions, Timestamp: at, Value: 0, Unit: 'Bytes' },
      ],
    ],
    [
      'a failed heartbeat publishes no WAL figure',
      { ok: false, latencyMs: 3000, walBytesBehind: 0 },
      [{ MetricName: 'HeartbeatSuccess', Dimensions, Timestamp: at, Value: 0, Unit: 'Count' }],
    ],
  ])('%s', (_label, result, expected) => {
    expect(heartbeatDatums({ database: 'orders', site: 'in-region', at, ...result })).toEqual(expected);
  });
});

describe('verificationRequest: a failed heartbeat asks for a verification itself', () => {
  const failed = { database: 'orders', site: 'cross-region', ok: false, latencyMs: 3000, at, error: 'connecting: timed out' };
  it.each([
    ['a successful heartbeat asks nothing', { ...failed, ok: true }, 'OK', 'failover-events', undefined],
    ['no bus configured', failed, 'OK', undefined, 'not-configured'],
    ['the alarm is already in ALARM (it started a run)', failed, 'ALARM', 'failover-events', 'alarm-already-in-alarm'],
  ] as const)('%s', (_label, result, state, bus, outcome) => {
    const out = verificationRequest(result, state, bus);
    expect(out.entry).toBeUndefined();
    expect(out.outcome).toBe(outcome);
  });

  it.each([['OK'], ['INSUFFICIENT_DATA'], [undefined]])('alarm %s: one "Heartbeat Failed" entry timed at the attempt\'s start', (state) => {
    const out = verificationRequest(failed, state, 'failover-events');
    expect(out.entry).toEqual({
      Source: 'rds-failover.heartbeat',
      DetailType: 'Heartbeat Failed',
      EventBusName: 'failover-events',
      Time: at,
      Detail: JSON.stringify({ database: 'orders', site: 'cross-region', at: '2026-06-01T10:00:00.000Z', error: 'connecting: timed out' }),
    });
  });

  it('keeps the event small: the error is cut to 500 characters', () => {
    const out = verificationRequest({ ...failed, error: 'x'.repeat(5000) }, 'OK', 'failover-events');
    expect((JSON.parse(out.entry!.Detail) as { error: string }).error).toHaveLength(500);
  });
});
