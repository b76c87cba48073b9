/**
 * The heartbeat's metrics. Pure: shapes the PutMetricData datums from one heartbeat's result.
 * `HeartbeatSuccess` (1 or 0) feeds the trigger alarm of the site; `HeartbeatLatency` is published
 * only for a successful heartbeat (the time a failure took to show is not a latency).
 * `WalBytesBehind` (PostgreSQL, when the user may read `pg_stat_replication`): the WAL the
 * primary's slowest replica had not flushed just before the heartbeat wrote. It is published in the
 * site's Region, so the cross-Region site's figure stays readable when the primary's Region is out
 * (the data-loss guard uses it where the source's `OldestReplicationSlotLag` cannot be read).
 * A failed heartbeat also asks for a verification itself ({@link verificationRequest}).
 */
import { DETAIL_TYPES, METRICS } from '../shared/contracts.js';
import { HEARTBEAT_EVENT_SOURCE } from '../shared/names.js';

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
  const latency: Datum = {
    MetricName: HEARTBEAT_LATENCY_METRIC,
    Dimensions,
    Timestamp: result.at,
    Value: Math.max(0, Math.round(result.latencyMs)),
    Unit: 'Milliseconds',
  };
  if (result.walBytesBehind === undefined || !Number.isFinite(result.walBytesBehind)) return [success, latency];
  return [
    success,
    latency,
    { MetricName: WAL_BYTES_BEHIND_METRIC, Dimensions, Timestamp: result.at, Value: Math.max(0, result.walBytesBehind), Unit: 'Bytes' },
  ];
}

/** What a failed heartbeat did about a verification (the handler's output says it). */
export type VerificationOutcome = 'sent' | 'alarm-already-in-alarm' | 'not-configured' | 'failed-to-send';

/** One PutEvents entry (the SDK's PutEventsRequestEntry, restricted to what is sent). */
export interface VerificationEntry {
  Source: typeof HEARTBEAT_EVENT_SOURCE;
  DetailType: typeof DETAIL_TYPES.heartbeatFailed;
  Detail: string;
  EventBusName: string;
  Time: Date;
}

/**
 * Whether a heartbeat asks for a verification itself (a "Heartbeat Failed" event on the product
 * bus, which starts the failover workflow: the probes' quorum decides, a healthy verdict stands
 * down) instead of leaving detection to its alarm's M of N datapoints. Only a failed heartbeat
 * asks, and only while its site's alarm is not in ALARM: an alarm in ALARM already started a run
 * when it went there, so a failure that lasts asks at most until the alarm fires (no trigger
 * storm); an alarm state that could not be read (undefined) does not stop the request (the
 * lease turns a duplicate into "already handled").
 */
export function verificationRequest(
  result: HeartbeatResult & { error?: string },
  alarmState: string | undefined,
  busName: string | undefined,
): { entry?: VerificationEntry; outcome?: VerificationOutcome } {
  if (result.ok) return {};
  if (!busName) return { outcome: 'not-configured' };
  if (alarmState === 'ALARM') return { outcome: 'alarm-already-in-alarm' };
  const detail = { database: result.database, site: result.site, at: result.at.toISOString(), ...(result.error ? { error: result.error.slice(0, 500) } : {}) };
  return {
    entry: { Source: HEARTBEAT_EVENT_SOURCE, DetailType: DETAIL_TYPES.heartbeatFailed, Detail: JSON.stringify(detail), EventBusName: busName, Time: result.at },
  };
}
