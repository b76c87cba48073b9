/**
 * The data-loss guard (safety rule 4): how much would be lost by promoting the standby, judged as
 * of the failure's onset, against `rpoBudgetSeconds`. Pure: picks the figure and decides; the
 * handler fetches. An unknown figure is never within budget (a human must accept the risk).
 *
 * The figure is the data behind (lambdas/shared/data-behind.ts): for PostgreSQL the source's
 * OldestReplicationSlotLag overrules ReplicaLag (the time since the last replayed commit) when it
 * says nothing was unreceived. It is read from the last metric period that ended by the failure's
 * onset ({@link onsetOf}): after the onset a PostgreSQL replica's ReplicaLag keeps growing with the
 * time its source has been unreachable, which is not data.
 */
import type { CheckBudgetOutput } from '../shared/contracts.js';
import { describeFigure, latestFigure, type DataBehind, type LagPoint } from '../shared/data-behind.js';

/** One CloudWatch datapoint (the timestamp is the start of its period). */
export type Datapoint = LagPoint;

/** How far before the onset datapoints are fetched. */
export const LOOKBACK_MS = 10 * 60_000;
export const PERIOD_SECONDS = 60;

/** One heartbeat site's `HeartbeatSuccess` datapoints (Maximum per heartbeat period: 1 = a heartbeat committed). */
export interface HeartbeatRecord {
  site: string;
  /** Undefined: the metric could not be read (e.g. the primary's Region does not answer). */
  points?: readonly Datapoint[];
}

/** The failure's onset as estimated, and on what. */
export interface Onset {
  at: Date;
  basis: string;
}

/**
 * The failure's onset: the end of the last heartbeat period, before the trigger, in which a
 * heartbeat committed on the primary through the DNS name. The primary took writes then, and a
 * failure that began earlier would have failed that heartbeat. Of several heartbeat sites the
 * latest such moment counts (a site that still committed saw no failure yet); a figure read up to
 * it may include a little of the failure (never stale data). Capped at the trigger. With no
 * successful heartbeat on record (none readable, or none in the window) the onset is the trigger
 * itself: then figures taken after the failure began may count, which can only over-estimate.
 */
export function onsetOf(records: readonly HeartbeatRecord[], triggeredAt: Date, periodSeconds: number): Onset {
  const ends = records.flatMap((r) =>
    (r.points ?? [])
      .filter((p) => Number.isFinite(p.value) && p.value >= 1 && p.timestamp.getTime() < triggeredAt.getTime())
      .map((p) => ({ site: r.site, end: Math.min(p.timestamp.getTime() + periodSeconds * 1000, triggeredAt.getTime()) })),
  );
  const last = ends.reduce<{ site: string; end: number } | undefined>((best, e) => (!best || e.end > best.end ? e : best), undefined);
  if (!last) {
    const unread = records.filter((r) => !r.points).map((r) => r.site);
    return {
      at: triggeredAt,
      basis: `no successful heartbeat on record before the trigger${unread.length ? ` (${unread.join(', ')} not readable)` : ''}: the onset is taken as the trigger`,
    };
  }
  return { at: new Date(last.end), basis: `the last ${last.site} heartbeat period with a committed heartbeat ended then` };
}

/**
 * The window of HeartbeatSuccess datapoints, aligned to the heartbeat period: before the trigger,
 * the alarm's whole evaluation range plus two periods (at least the 10-minute lookback), so the
 * last successful heartbeat before the breaching ones is in it.
 */
export function heartbeatWindow(triggeredAt: Date, heartbeat: { periodSeconds: number; evaluationPeriods: number }): { start: Date; end: Date } {
  const p = heartbeat.periodSeconds * 1000;
  const lookback = Math.max(LOOKBACK_MS, (heartbeat.evaluationPeriods + 2) * p);
  return { start: new Date(Math.floor((triggeredAt.getTime() - lookback) / p) * p), end: new Date(Math.ceil(triggeredAt.getTime() / p) * p) };
}

/** The GetMetricData window of the lag metrics: [onset − 10 min, onset]. */
export const metricWindow = (onset: Date): { start: Date; end: Date } => ({
  start: new Date(onset.getTime() - LOOKBACK_MS),
  end: onset,
});

/** The newest figure whose whole period ended at or before the onset (a period still running at the onset may hold a datapoint taken after it). */
export const figureBeforeOnset = (figures: readonly DataBehind[], onset: Date): DataBehind | undefined =>
  latestFigure(figures, { notAfter: new Date(onset.getTime() - PERIOD_SECONDS * 1000) });

const decide = (lagSeconds: number | null, budgetSeconds: number, source: string, detail: string): CheckBudgetOutput => ({
  lagSeconds,
  budgetSeconds,
  withinBudget: lagSeconds !== null && lagSeconds <= budgetSeconds,
  source,
  detail,
});

const fmt = (seconds: number): string => `${Number(seconds.toFixed(3))} s`;

export interface FigureFacts {
  /** The metric(s) read, for the "no figure" detail: `ReplicaLag`, `AuroraGlobalDBRPOLag`. */
  metric: string;
  /** The standby whose figure it is. */
  resource: string;
  /** Data behind per period (shared/data-behind.ts). */
  figures: readonly DataBehind[];
  triggeredAt: Date;
  /** {@link onsetOf}. */
  onset: Onset;
  budgetSeconds: number;
  /** Extra facts for the detail (e.g. the replication status, an unreadable slot metric). */
  note?: string;
}

/** The budget decision from the data behind as of the onset. */
export function decideFromFigures(facts: FigureFacts): CheckBudgetOutput {
  const figure = figureBeforeOnset(facts.figures, facts.onset.at);
  const note = facts.note ? ` ${facts.note}` : '';
  const asOf = `onset ${facts.onset.at.toISOString()}: ${facts.onset.basis}; trigger at ${facts.triggeredAt.toISOString()}`;
  if (!figure) {
    return decide(
      null,
      facts.budgetSeconds,
      facts.metric,
      `No valid ${facts.metric} datapoint for ${facts.resource} in the 10 minutes before the failure's onset (${asOf}): ` +
        `the data behind cannot be known, so it counts as over the ${fmt(facts.budgetSeconds)} budget.${note}`,
    );
  }
  const within = figure.seconds <= facts.budgetSeconds;
  return decide(
    figure.seconds,
    facts.budgetSeconds,
    figure.source,
    `${within ? 'Within' : 'Over'} the ${fmt(facts.budgetSeconds)} budget: ${facts.resource} was ${describeFigure(figure)}, ` +
      `the last period before the failure's onset (${asOf}).${note}`,
  );
}

/** The standby instance as DescribeDBInstances shows it (only what matters here). */
export interface ReplicaFacts {
  found: boolean;
  /** `ReadReplicaSourceDBInstanceIdentifier`: absent when the instance is not a replica. */
  source?: string;
  /** `StatusInfos[StatusType="read replication"].Status`. */
  replicationStatus?: string;
}

/**
 * Why the standby's replication gives no usable lag (not found, not a replica, replication
 * terminated), or undefined when the metric can be trusted.
 */
export function replicaProblem(resource: string, facts: ReplicaFacts): string | undefined {
  if (!facts.found) return `The standby ${resource} does not exist in its Region.`;
  if (!facts.source) {
    return (
      `The standby ${resource} is not a read replica (already promoted, or a former primary never rebuilt as one): there is no replication lag to read, ` +
      `and every write the primary took since ${resource} stopped replicating from it would be lost; how much is not known.`
    );
  }
  if (facts.replicationStatus === 'terminated') return `Replication to ${resource} is terminated (stopped for too long): its data is stale by an unknown amount.`;
  return undefined;
}

/** The decision when the replica itself rules the metric out. */
export const decideUnusableReplica = (problem: string, budgetSeconds: number): CheckBudgetOutput =>
  decide(null, budgetSeconds, 'ReplicaLag', `${problem} The lag counts as over budget.`);

/** A replicated automated backup in the standby Region (cold standbys). */
export interface BackupFacts {
  identifier?: string;
  status?: string;
  latestRestorableTime?: Date;
}

/** Cold standbys: the data loss is the age of the latest restorable time of the replicated backups. */
export function decideFromBackups(backups: BackupFacts[], primary: string, triggeredAt: Date, budgetSeconds: number): CheckBudgetOutput {
  const latest = backups
    .map((b) => b.latestRestorableTime)
    .filter((t): t is Date => t instanceof Date && !Number.isNaN(t.getTime()))
    .reduce<Date | undefined>((best, t) => (!best || t > best ? t : best), undefined);
  if (!latest) {
    return decide(
      null,
      budgetSeconds,
      'automated-backups',
      `No replicated automated backup of ${primary} with a restore window in the standby Region: the data loss cannot be known, so it counts as over budget.`,
    );
  }
  const lagSeconds = Math.max(0, (triggeredAt.getTime() - latest.getTime()) / 1000);
  const within = lagSeconds <= budgetSeconds;
  return decide(
    lagSeconds,
    budgetSeconds,
    'automated-backups',
    `The latest restorable time of ${primary}'s replicated backups is ${latest.toISOString()}, ${fmt(lagSeconds)} before the trigger ` +
      `(${within ? 'within' : 'over'} the ${fmt(budgetSeconds)} budget).`,
  );
}

/** Cold Aurora standbys have no lag figure. */
export const decideNoFigure = (detail: string, budgetSeconds: number): CheckBudgetOutput => decide(null, budgetSeconds, 'none', detail);
