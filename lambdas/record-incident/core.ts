/**
 * What recording an incident phase produces: the timeline entry, the event, the metrics and the
 * notification. Secrets never get this far: every key named like a token, a secret or a password
 * is dropped from the detail first, at any depth.
 */
import type { DatabaseConfig } from '../shared/config-schema.js';
import { DETAIL_TYPES, EVENT_SOURCE, METRICS, type DrillMarker, type IncidentPhase } from '../shared/contracts.js';
import { judgeObjectives } from '../shared/drill-objectives.js';
import { stripSensitive } from '../shared/redact.js';

export interface IncidentFacts {
  database: DatabaseConfig;
  incidentId: string;
  epoch: number | null;
  phase: IncidentPhase;
  /** Already stripped of sensitive keys (see {@link cleanDetail}). */
  detail: Record<string, unknown>;
  /** ISO 8601. */
  at: string;
  /** The drill marker of a drill run. */
  drill?: DrillMarker | null;
  /**
   * When the drill's fault experiment started (its `fault-started` entry's `startedAt`), read from
   * the record for a drill's `failed-over`: the drill's RTO counts from it ({@link drillRtoOf}).
   */
  faultStartedAt?: string | null;
}

/** The detail without tokens, secrets or passwords. */
export const cleanDetail = (detail: Record<string, unknown>): Record<string, unknown> => stripSensitive(detail);

/** The incident record's key. */
export const incidentKey = (incidentId: string): { pk: string; sk: string } => ({ pk: `INCIDENT#${incidentId}`, sk: 'INCIDENT' });

/** One timeline entry. */
export const timelineEntry = (f: IncidentFacts): { at: string; phase: IncidentPhase; detail: Record<string, unknown> } => ({
  at: f.at,
  phase: f.phase,
  // The unfenced window's lengths are kept with the instants (the record states the accepted risk);
  // a drill's failed-over keeps the drill's RTO and where it counts from.
  detail:
    f.phase === 'old-primary-fenced'
      ? { ...f.detail, ...unfencedWindow(f.detail, f.at) }
      : f.phase === 'failed-over' && f.drill
        ? { ...f.detail, drillRto: drillRtoOf(f) }
        : f.detail,
});

/** The EventBridge entry (detail-type "Failover Phase Changed"), without the bus name. */
export function phaseEvent(f: IncidentFacts): { Source: string; DetailType: string; Detail: string; Time: Date } {
  return {
    Source: EVENT_SOURCE,
    DetailType: DETAIL_TYPES.phase,
    Detail: JSON.stringify({
      database: f.database.name,
      incidentId: f.incidentId,
      epoch: f.epoch,
      phase: f.phase,
      detail: f.detail,
      at: f.at,
      ...(f.drill ? { drill: f.drill } : {}),
    }),
    Time: new Date(f.at),
  };
}

export interface Datum {
  MetricName: string;
  Dimensions: { Name: string; Value: string }[];
  Value: number;
  Unit: 'Count' | 'Seconds';
  Timestamp: Date;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The workflow's view of the RTO: seconds from the trigger to the first verified write through the
 * DNS name. JSONPath cannot subtract times, so the workflow passes both instants and this computes
 * the difference; an explicit `rtoSeconds` wins. Null when either instant is missing or unreadable.
 */
export function rtoSecondsOf(detail: Record<string, unknown>): number | null {
  if (finite(detail.rtoSeconds)) return detail.rtoSeconds;
  const from = typeof detail.triggeredAt === 'string' ? Date.parse(detail.triggeredAt) : NaN;
  const to = typeof detail.writesVerifiedAt === 'string' ? Date.parse(detail.writesVerifiedAt) : NaN;
  return Number.isFinite(from) && Number.isFinite(to) && to >= from ? (to - from) / 1000 : null;
}

/**
 * Metrics for this phase: Incident=1 on `detected`; Verdict=1 (dimension Verdict) on `verdict`;
 * FailoverRtoSeconds on `failed-over` (from `rtoSeconds`, or `triggeredAt` to `writesVerifiedAt`); ReplicaLagAtDecisionSeconds
 * whenever the detail has a numeric `lagSeconds`.
 */
export function phaseMetrics(f: IncidentFacts): Datum[] {
  const base = [{ Name: 'Database', Value: f.database.name }];
  const ts = new Date(f.at);
  const data: Datum[] = [];
  if (f.phase === 'detected') data.push({ MetricName: METRICS.incident, Dimensions: base, Value: 1, Unit: 'Count', Timestamp: ts });
  if (f.phase === 'verdict' && typeof f.detail.verdict === 'string' && f.detail.verdict) {
    data.push({ MetricName: METRICS.verdict, Dimensions: [...base, { Name: 'Verdict', Value: f.detail.verdict }], Value: 1, Unit: 'Count', Timestamp: ts });
  }
  const rto = f.phase === 'failed-over' ? rtoSecondsOf(f.detail) : null;
  if (rto !== null) data.push({ MetricName: METRICS.rto, Dimensions: base, Value: rto, Unit: 'Seconds', Timestamp: ts });
  if (finite(f.detail.lagSeconds)) {
    data.push({ MetricName: METRICS.replicaLag, Dimensions: base, Value: f.detail.lagSeconds, Unit: 'Seconds', Timestamp: ts });
  }
  return [...data, ...drillMetrics(f)];
}

/**
 * A drill's RTO (docs/game-days.md, "Evidence"): from the fault's onset (the start
 * of its FIS experiment, `faultStartedAt`) when the run started one, else from the trigger (the
 * request), to the first verified write through the DNS name. `from` says which.
 */
export function drillRtoOf(f: IncidentFacts): { seconds: number | null; from: 'fault-onset' | 'trigger'; since: string | null } {
  const onset = typeof f.faultStartedAt === 'string' && Number.isFinite(Date.parse(f.faultStartedAt)) ? f.faultStartedAt : null;
  if (onset !== null && !finite(f.detail.rtoSeconds)) {
    const seconds = rtoSecondsOf({ triggeredAt: onset, writesVerifiedAt: f.detail.writesVerifiedAt });
    if (seconds !== null) return { seconds, from: 'fault-onset', since: onset };
  }
  return { seconds: rtoSecondsOf(f.detail), from: 'trigger', since: typeof f.detail.triggeredAt === 'string' ? f.detail.triggeredAt : null };
}

/** Phases that close a failover run without failing over (a drill that ends so did not recover). */
export const DRILL_UNRECOVERED_PHASES: ReadonlySet<IncidentPhase> = new Set([
  'false-alarm',
  'rejected',
  'approval-timed-out',
  'escalated',
  'stood-down',
  'blocked',
  'fault-not-started',
]);

/**
 * The data at risk a run decided on: what its budget check compared with the budget (the last
 * sample's lag, or the strict bound with `rpoEstimate: strict`); null when not recorded.
 */
export function dataAtRiskOf(f: IncidentFacts): number | null {
  const strict = f.database.failover.rpoEstimate === 'strict';
  const v = strict ? f.detail.boundSeconds : f.detail.lagSeconds;
  return finite(v) ? v : null;
}

/**
 * A drill run's metrics when it closes (docs/game-days.md, "Evidence"), dimension Database = the
 * production database whose game day asked for it: on `failed-over`, DrillRtoSeconds (the fault's
 * onset, else the trigger, to the first verified write: {@link drillRtoOf}) and DrillDataLossSeconds (the data at risk at the decision: the
 * loss itself is not observed in an account); on any close, DrillObjectivesMet (1 or 0) when the
 * marker carries the objectives. A run that closes without failing over met none.
 */
export function drillMetrics(f: IncidentFacts): Datum[] {
  const drill = f.drill;
  if (!drill || (f.phase !== 'failed-over' && !DRILL_UNRECOVERED_PHASES.has(f.phase))) return [];
  const base = [{ Name: 'Database', Value: drill.requestedFor }];
  const ts = new Date(f.at);
  const data: Datum[] = [];
  const rto = f.phase === 'failed-over' ? drillRtoOf(f).seconds : null;
  const risk = f.phase === 'failed-over' ? dataAtRiskOf(f) : null;
  if (rto !== null) data.push({ MetricName: METRICS.drillRto, Dimensions: base, Value: rto, Unit: 'Seconds', Timestamp: ts });
  if (risk !== null) data.push({ MetricName: METRICS.drillDataLoss, Dimensions: base, Value: risk, Unit: 'Seconds', Timestamp: ts });
  if (drill.objectives)
    data.push({
      MetricName: METRICS.drillObjectivesMet,
      Dimensions: base,
      Value: judgeObjectives(drill.objectives, rto, risk).met ? 1 : 0,
      Unit: 'Count',
      Timestamp: ts,
    });
  return data;
}

const secondsBetween = (from: unknown, to: unknown): number | null => {
  const a = typeof from === 'string' ? Date.parse(from) : NaN;
  const b = typeof to === 'string' ? Date.parse(to) : NaN;
  return Number.isFinite(a) && Number.isFinite(b) && b >= a ? (b - a) / 1000 : null;
};

/**
 * The unfenced window after a promotion over an unconfirmed fence: how long the old primary stayed
 * unfenced (from the record of the unfenced promotion, `unfencedSince`, to this record, `at`:
 * JSONPath cannot subtract instants), and the most it can have taken writes: its Region did not
 * answer the attempt before the one that fenced it, so at most one check interval
 * (`checkIntervalSeconds`) plus the attempt itself. Null figures when a fact is missing.
 */
export function unfencedWindow(detail: Record<string, unknown>, at: string): { unfencedSeconds: number | null; overlapAtMostSeconds: number | null } {
  const interval = finite(detail.checkIntervalSeconds) ? detail.checkIntervalSeconds : null;
  const unfencedSeconds = secondsBetween(detail.unfencedSince, at);
  return { unfencedSeconds, overlapAtMostSeconds: interval === null ? null : unfencedSeconds === null ? interval : Math.min(interval, unfencedSeconds) };
}
