/**
 * `failover history DB`: the database's past incidents from their records in the state table
 * (`INCIDENT#<id>`, written by record-incident): when each opened, what it was (a failover run or a
 * failback run), the verdict, how it ended, the RTO, the data at risk at the decision and who
 * answered each approval. Read-only (a filtered Scan of the table).
 *
 * {@link summarizeIncident} is pure (tests run it on fixed records).
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { rtoSecondsOf } from '../../lambdas/record-incident/core.js';
import { readCall, type OpsEnv } from './env.js';
import { locateControl, type ControlResources } from './locate.js';

/** One timeline entry of an incident record. */
export interface IncidentEntry {
  at: string;
  phase: string;
  detail?: Record<string, unknown>;
}

/** An incident record as stored (unmarshalled). */
export interface IncidentRecord {
  pk: string;
  database?: string;
  openedAt?: string;
  updatedAt?: string;
  lastPhase?: string;
  epoch?: number;
  timeline?: IncidentEntry[];
  /** A drill run's marker (docs/game-days.md "Drill runs"). */
  drill?: { requestedFor: string; fault: string | null; scheduled: boolean };
}

/** A human's (or the policy's) answer recorded in the incident. */
export interface AnswerView {
  at: string;
  decision: string;
  approver: string;
  reason?: string;
  /** The question was promoting without a confirmed fence. */
  unfenced?: boolean;
}

/** One incident as history shows it. */
export interface IncidentSummary {
  incidentId: string;
  kind: 'failover' | 'failback';
  openedAt: string;
  updatedAt: string;
  /**
   * How it ended: the last outcome phase recorded (`failed-over`, `false-alarm`, `rejected`,
   * `approval-timed-out`, `escalated`, `blocked`, `stood-down`, `failed-back`, `failback-declined`, ...),
   * or `in progress` when none was.
   */
  outcome: string;
  /** The last phase recorded. */
  lastPhase: string;
  /** The verification's verdict (`confirmed-down`, `ambiguous`, `healthy`, ...), when one was recorded. */
  verdict?: string;
  epoch?: number;
  /** The workflow's RTO: the trigger to the first verified write through the DNS name. */
  rtoSeconds: number | null;
  /** The standby's data behind the primary at the decision (seconds), when measured. */
  dataAtRiskSeconds: number | null;
  answers: AnswerView[];
  /** Who asked for the run by hand (`failover start`), when an operator did. */
  requestedBy?: string;
  phases: number;
  /** A drill run: the incident record's marker. */
  drill?: { requestedFor: string; fault: string | null; scheduled: boolean };
}

/** Phases that say how an incident ended (or how far it got), as record-incident writes them. */
export const OUTCOME_PHASES: ReadonlySet<string> = new Set([
  'false-alarm',
  'rejected',
  'approval-timed-out',
  'failed-over',
  'escalated',
  'blocked',
  'stood-down',
  'failed-back',
  'failback-declined',
  'switchover-aborted',
  'traffic-rolled-back',
  'drill-stood-down',
]);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The summary of one incident record (pure). */
export function summarizeIncident(record: IncidentRecord): IncidentSummary {
  const incidentId = record.pk.replace(/^INCIDENT#/, '');
  const timeline = record.timeline ?? [];
  const last = <T>(pick: (e: IncidentEntry) => T | undefined | null): T | undefined => {
    for (let i = timeline.length - 1; i >= 0; i -= 1) {
      const v = pick(timeline[i]!);
      if (v !== undefined && v !== null) return v;
    }
    return undefined;
  };
  const verdict = last((e) => (e.phase === 'verdict' || e.phase === 'failed-over' ? str(e.detail?.verdict) : undefined));
  const failedOver = last((e) => (e.phase === 'failed-over' ? e : undefined));
  const lag = failedOver ? num(failedOver.detail?.lagSeconds) : null;
  const answers: AnswerView[] = timeline
    .filter((e) => e.phase === 'approved' || e.phase === 'rejected')
    .map((e) => {
      const a = (e.detail?.approval ?? {}) as Record<string, unknown>;
      return {
        at: e.at,
        decision: str(a.decision) ?? (e.phase === 'approved' ? 'approve' : 'reject'),
        approver: str(a.approver) ?? 'unknown',
        ...(str(a.reason) ? { reason: str(a.reason) } : {}),
        ...(e.detail?.unfenced === true ? { unfenced: true } : {}),
      };
    });
  const requestedBy = last((e) =>
    e.phase === 'detected' ? (str((e.detail?.trigger as Record<string, unknown> | undefined)?.requestedBy) ?? str(e.detail?.requestedBy)) : undefined,
  );
  return {
    incidentId,
    kind: incidentId.endsWith('-failback') ? 'failback' : 'failover',
    openedAt: record.openedAt ?? timeline[0]?.at ?? '',
    updatedAt: record.updatedAt ?? timeline[timeline.length - 1]?.at ?? '',
    outcome: last((e) => (OUTCOME_PHASES.has(e.phase) ? e.phase : undefined)) ?? 'in progress',
    lastPhase: record.lastPhase ?? timeline[timeline.length - 1]?.phase ?? 'unknown',
    ...(verdict ? { verdict } : {}),
    ...(record.epoch !== undefined ? { epoch: record.epoch } : {}),
    rtoSeconds: failedOver ? rtoSecondsOf(failedOver.detail ?? {}) : null,
    dataAtRiskSeconds: lag ?? last((e) => num(e.detail?.lagSeconds)) ?? null,
    answers,
    ...(requestedBy ? { requestedBy } : {}),
    phases: timeline.length,
    ...(record.drill ? { drill: record.drill } : {}),
  };
}

/** Every incident record of one database, oldest first. */
export async function readIncidents(env: OpsEnv, control: ControlResources, database: string): Promise<IncidentRecord[]> {
  const ddb = env.clients(control.region).ddb;
  const records: IncidentRecord[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const out = await readCall(env, 'dynamodb:Scan', control.region, `table ${control.tableName}`, () =>
      ddb.send(
        new ScanCommand({
          TableName: control.tableName,
          FilterExpression: 'begins_with(pk, :prefix) AND #database = :database',
          ExpressionAttributeNames: { '#database': 'database' },
          ExpressionAttributeValues: marshall({ ':prefix': 'INCIDENT#', ':database': database }),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      ),
    );
    for (const item of out.Items ?? []) records.push(unmarshall(item) as IncidentRecord);
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return records.sort((a, b) => (a.openedAt ?? '').localeCompare(b.openedAt ?? ''));
}

export interface HistoryReport {
  where: 'aws' | 'twin';
  database: string;
  control: ControlResources;
  incidents: IncidentSummary[];
}

/** Reads the history of one database. */
export async function readHistory(config: FailoverConfig, env: OpsEnv, database: string): Promise<HistoryReport> {
  const control = await locateControl(config, env);
  const incidents = (await readIncidents(env, control, database)).map(summarizeIncident);
  return { where: env.where, database, control, incidents };
}

const seconds = (n: number | null): string => (n === null ? '–' : `${Math.round(n * 10) / 10} s`);

/** The history as lines for people (pure). */
export function formatHistory(report: HistoryReport): string[] {
  const lines = [
    `history of ${report.database}${report.where === 'twin' ? ' (cloud twin)' : ''}: ${report.incidents.length} incident${report.incidents.length === 1 ? '' : 's'} (table ${report.control.tableName}, ${report.control.region})`,
  ];
  for (const i of report.incidents) {
    lines.push('');
    lines.push(`${i.openedAt}  ${i.drill ? 'DRILL ' : ''}${i.kind} ${i.incidentId}${i.epoch !== undefined ? ` (epoch ${i.epoch})` : ''}`);
    if (i.drill) lines.push(`  drill of ${i.drill.requestedFor}'s game day${i.drill.scheduled ? ' (scheduled)' : ''}; fault: ${i.drill.fault ?? 'none'}`);
    lines.push(`  outcome: ${i.outcome}${i.verdict ? `, verdict ${i.verdict}` : ''}; last phase ${i.lastPhase} at ${i.updatedAt}`);
    lines.push(`  RTO: ${seconds(i.rtoSeconds)}; data at risk at the decision: ${seconds(i.dataAtRiskSeconds)}`);
    if (i.requestedBy) lines.push(`  requested by ${i.requestedBy}`);
    if (i.answers.length === 0) lines.push('  approvals: none asked');
    for (const a of i.answers)
      lines.push(`  ${a.decision}${a.unfenced ? ' (without a confirmed fence)' : ''} by ${a.approver} at ${a.at}${a.reason ? `: ${a.reason}` : ''}`);
  }
  return lines;
}
