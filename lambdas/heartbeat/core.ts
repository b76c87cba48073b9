/**
 * The heartbeat's metrics. Pure: shapes the PutMetricData datums from one heartbeat's result.
 * `HeartbeatSuccess` (1 or 0) feeds the trigger alarm of the site; `HeartbeatLatency` is published
 * only for a successful heartbeat (the time a failure took to show is not a latency).
 * `WalBytesBehind` (PostgreSQL, when the user may read `pg_stat_replication`): the WAL the
 * primary's slowest replica had not flushed just before the heartbeat wrote. It is published in the
 * site's Region, so the cross-Region site's figure stays readable when the primary's Region is out
 * (the data-loss guard uses it where the source's `OldestReplicationSlotLag` cannot be read).
 */
import { METRICS } from '../shared/contracts.js';

/** Name of the latency metric, in {@link METRICS.namespace}, with the same dimensions. */
export const HEARTBEAT_LATENCY_METRIC = 'HeartbeatLatency';
/** Name of the WAL-behind metric, in {@link METRICS.namespace}, with the same dimensions. */
export const WAL_BYTES_BEHIND_METRIC = 'WalBytesBehind';

/**
 * The heartbeat function's timeout (both sites): an attempt that fails has failed within this many
 * seconds of its start (its datapoint's timestamp), which bounds when the primary can last have
 * committed (check-data-loss-budget, the strict bound).
 */
export const HEARTBEAT_TIMEOUT_SECONDS = 30;

/** One PutMetricData datum (the SDK's MetricDatum, restricted to what is sent). */
export interface Datum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Timestamp: Date;
  Value: number;
  Unit: 'Count' | 'Milliseconds' | 'Bytes';
}

export interface HeartbeatResult {
  database: string;
  site: string;
  ok: boolean;
  latencyMs: number;
  at: Date;
  /** PostgreSQL: WAL bytes the slowest replica had not flushed (undefined: not known). */
  walBytesBehind?: number;
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
  const latency: Datum = { MetricName: HEARTBEAT_LATENCY_METRIC, Dimensions, Timestamp: result.at, Value: Math.max(0, Math.round(result.latencyMs)), Unit: 'Milliseconds' };
  if (result.walBytesBehind === undefined || !Number.isFinite(result.walBytesBehind)) return [success, latency];
  return [success, latency, { MetricName: WAL_BYTES_BEHIND_METRIC, Dimensions, Timestamp: result.at, Value: Math.max(0, result.walBytesBehind), Unit: 'Bytes' }];
}
