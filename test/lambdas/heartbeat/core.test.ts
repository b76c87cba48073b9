import { describe, expect, it } from 'vitest';
import { HEARTBEAT_LATENCY_METRIC, heartbeatDatums, WAL_BYTES_BEHIND_METRIC } from '../../../lambdas/heartbeat/core.js';

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
    ['a failed heartbeat publishes no WAL figure', { ok: false, latencyMs: 3000, walBytesBehind: 0 }, [{ MetricName: 'HeartbeatSuccess', Dimensions, Timestamp: at, Value: 0, Unit: 'Count' }]],
  ])('%s', (_label, result, expected) => {
    expect(heartbeatDatums({ database: 'orders', site: 'in-region', at, ...result })).toEqual(expected);
  });
});
