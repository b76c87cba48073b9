/**
 * The heartbeat's metrics. Pure: shapes the PutMetricData datums from one heartbeat's result.
 * `HeartbeatSuccess` (1 or 0) feeds the trigger alarm of the site; `HeartbeatLatency` is published
 * only for a successful heartbeat (the time a failure took to show is not a latency).
 */
import { METRICS } from '../shared/contracts.js';

/** Name of the latency metric, in {@link METRICS.namespace}, with the same dimensions. */
export const HEARTBEAT_LATENCY_METRIC = 'HeartbeatLatency';

/** One PutMetricData datum (the SDK's MetricDatum, restricted to what is sent). */
export interface Datum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Timestamp: Date;
  Value: number;
  Unit: 'Count' | 'Milliseconds';
}

export interface HeartbeatResult {
  database: string;
  site: string;
  ok: boolean;
  latencyMs: number;
  at: Date;
}

/** Dimensions of every heartbeat metric: Database and Site (the alarms use exactly these). */
export const heartbeatDimensions = (database: string, site: string) => [
  { Name: 'Database', Value: database },
  { Name: 'Site', Value: site },
];

/** The datums to publish for one heartbeat. */
export function heartbeatDatums(result: HeartbeatResult): Datum[] {
  const Dimensions = heartbeatDimensions(result.database, result.site);
  const success: Datum = { MetricName: METRICS.heartbeat, Dimensions, Timestamp: result.at, Value: result.ok ? 1 : 0, Unit: 'Count' };
  if (!result.ok) return [success];
  return [success, { MetricName: HEARTBEAT_LATENCY_METRIC, Dimensions, Timestamp: result.at, Value: Math.max(0, Math.round(result.latencyMs)), Unit: 'Milliseconds' }];
}
