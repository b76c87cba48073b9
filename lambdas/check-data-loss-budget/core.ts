/**
 * The data-loss guard (safety rule 4): how much would be lost by promoting the standby, judged as
 * of the failure's onset, against `rpoBudgetSeconds`. Pure: picks the figure and decides; the
 * handler fetches. An unknown figure is never within budget (a human must accept the risk).
 *
 * The figure is the data behind (lambdas/shared/data-behind.ts): for PostgreSQL the source's
 * OldestReplicationSlotLag overrules ReplicaLag (the time since the last replayed commit) when it
 * says nothing was unreceived. It is a sample taken before the failure ({@link figureBeforeFailure}):
 * after the failure a PostgreSQL replica's ReplicaLag keeps growing with the time its source has
 * been unreachable, which is not data. The failure is known only to lie between the last heartbeat
 * that committed and the onset ({@link onsetOf}, the end of that heartbeat's period), so a figure
 * the replica reports counts only from a period that ended by the time that heartbeat started; a
 * figure the source reports (slot lag, the heartbeats' WAL) counts up to the onset, since a failed
 * source reports nothing.
 *
 * That figure is a sample: lag that grows after it (a replica that stalls just before a crash) is
 * not in it. The bound (`boundSeconds`) adds the time from the sample's period start to the latest
 * moment the primary can have committed ({@link latestCommitOf}): a replica falls behind by at most
 * the time that passes, so the loss cannot exceed it. `failover.rpoEstimate` says which one is held
 * against the budget: `last-sample` the figure, `strict` the bound. Both are reported.
 */
import type { RPO_ESTIMATES } from '../shared/config-schema.js';
import type { CheckBudgetOutput } from '../shared/contracts.js';
import { describeFigure, latestFigure, type DataBehind, type LagPoint } from '../shared/data-behind.js';
import { isTerminalStatus } from '../shared/instance-states.js';

/** One CloudWatch datapoint (the timestamp is the start of its period). */
export type Datapoint = LagPoint;

/** How far before the onset datapoints are fetched. */
export const LOOKBACK_MS = 10 * 60_000;
/**
 * How far before the trigger the heartbeat record is read for the last committed heartbeat: a day.
 * A trigger can come long after the failure (a re-delivered alarm, a drill on a primary that has
 * been down for an hour); read over a short window, a failure older than it would look like one
 * that began at the trigger. GetMetricData is priced per metric, not per datapoint.
 */
export const HEARTBEAT_LOOKBACK_MS = 24 * 3600_000;
/**
 * The metric period the guard reads, a minute: the lag metrics', and the heartbeats' too
 * (heartbeat periods are 60 s or a multiple of it; read per minute, a heartbeat period of several
 * minutes still places its last committed heartbeat within a minute).
 */
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
  /**
   * The start of the period of the last heartbeat that committed (that heartbeat started at or
   * after it, and the primary took writes then): the failure came later. Absent when no heartbeat
   * is on record (or the primary may still take writes): then the onset is all that is known.
   */
  committedFrom?: Date;
  /**
   * Every heartbeat on record failed, back to this moment (the record's oldest datapoint): the
   * failure began before it, at an unknown time, so no figure can be placed before it.
   */
  failingSince?: Date;
}

/**
 * The failure's onset: the end of the last heartbeat period, before the trigger, in which a
 * heartbeat committed on the primary through the DNS name. The primary took writes then, and a
 * failure that began earlier would have failed that heartbeat. Of several heartbeat sites the
 * latest such moment counts (a site that still committed saw no failure yet); a figure read up to
 * it may include a little of the failure (never stale data). Capped at the trigger. When the
 * record holds heartbeats but none committed, the failure is older than the record
 * (`failingSince`): its onset is unknown. With no heartbeat on record at all (none readable, or
 * none ran) the onset is the trigger itself.
 */
export function onsetOf(records: readonly HeartbeatRecord[], triggeredAt: Date, periodSeconds: number): Onset {
  const ends = records.flatMap((r) =>
    (r.points ?? [])
      .filter((p) => Number.isFinite(p.value) && p.value >= 1 && p.timestamp.getTime() < triggeredAt.getTime())
      .map((p) => ({ site: r.site, start: p.timestamp.getTime(), end: Math.min(p.timestamp.getTime() + periodSeconds * 1000, triggeredAt.getTime()) })),
  );
  const last = ends.reduce<{ site: string; start: number; end: number } | undefined>((best, e) => (!best || e.end > best.end ? e : best), undefined);
  if (!last) {
    const unread = records.filter((r) => !r.points).map((r) => r.site);
    const failed = records.flatMap((r) =>
      (r.points ?? [])
        .filter((p) => p.value === 0 && p.timestamp.getTime() < triggeredAt.getTime())
        .map((p) => ({ site: r.site, start: p.timestamp.getTime() })),
    );
    if (failed.length > 0) {
      const oldest = failed.reduce((a, b) => (b.start < a.start ? b : a));
      const sites = [...new Set(failed.map((f) => f.site))].join(' and ');
      return {
        at: triggeredAt,
        basis:
          `every ${sites} heartbeat on record failed, back to the oldest at ${new Date(oldest.start).toISOString()}` +
          `${unread.length ? ` (${unread.join(', ')} not readable)` : ''}: the failure began before it, when is not known`,
        failingSince: new Date(oldest.start),
      };
    }
    return {
      at: triggeredAt,
      basis: `no successful heartbeat on record before the trigger${unread.length ? ` (${unread.join(', ')} not readable)` : ''}: the onset is taken as the trigger`,
    };
  }
  return {
    at: new Date(last.end),
    basis: `the last ${last.site} heartbeat period with a committed heartbeat ended then`,
    committedFrom: new Date(last.start),
  };
}

/**
 * The least a strict bound adds to the figure: the figure's metric period (sampled any time in
 * it), the heartbeat period in which the next heartbeat failed, and that heartbeat's timeout.
 * A strict budget below it plus the lag asks a human at every failover.
 */
export const strictUnseenFloorSeconds = (heartbeatPeriodSeconds: number, heartbeatTimeoutSeconds: number): number =>
  PERIOD_SECONDS + heartbeatPeriodSeconds + heartbeatTimeoutSeconds;

/** The latest moment the primary can have committed, and on what. */
export interface LatestCommit {
  at: Date;
  basis: string;
}

/**
 * The latest moment the primary can have committed a write, for the strict bound. After the onset
 * (the end of the last heartbeat period with a committed heartbeat) the next heartbeat attempt
 * failed: the first period from the onset with a HeartbeatSuccess of 0 at some site holds an
 * attempt that failed within `timeoutSeconds` of its start, so the primary committed nothing after
 * that period's end plus the timeout. Without such a datapoint (or with the onset taken as the
 * trigger) the trigger bounds it: the alarm fired on heartbeats that did not commit, the RDS event
 * reported the failure; a failed heartbeat that triggered the run bounds it at its attempt's start
 * plus the timeout. Capped there.
 */
export function latestCommitOf(
  records: readonly HeartbeatRecord[],
  onset: Onset,
  triggeredAt: Date,
  periodSeconds: number,
  timeoutSeconds: number,
  triggeredByHeartbeat = false,
): LatestCommit {
  // A failed heartbeat's trigger time is its attempt's start: the primary may have committed until
  // that attempt failed, within the timeout.
  const cap = triggeredAt.getTime() + (triggeredByHeartbeat ? timeoutSeconds * 1000 : 0);
  const trigger = {
    at: new Date(cap),
    basis: triggeredByHeartbeat
      ? `the failed heartbeat that triggered the run (its attempt started at ${triggeredAt.toISOString()} and failed within its ${timeoutSeconds} s timeout)`
      : 'the trigger (no failed heartbeat on record after the onset)',
  };
  if (onset.at.getTime() >= triggeredAt.getTime()) return trigger;
  const failed = records
    .flatMap((r) =>
      (r.points ?? [])
        .filter((p) => p.value === 0 && p.timestamp.getTime() >= onset.at.getTime() && p.timestamp.getTime() < triggeredAt.getTime())
        .map((p) => ({ site: r.site, start: p.timestamp.getTime() })),
    )
    .reduce<{ site: string; start: number } | undefined>((first, p) => (!first || p.start < first.start ? p : first), undefined);
  if (!failed) return trigger;
  const end = failed.start + (periodSeconds + timeoutSeconds) * 1000;
  if (end >= cap) return trigger;
  return {
    at: new Date(end),
    basis: `the ${failed.site} heartbeat that started in the period from ${new Date(failed.start).toISOString()} failed, within its ${timeoutSeconds} s timeout`,
  };
}

/**
 * The window of HeartbeatSuccess datapoints, aligned to the heartbeat period: a day before the
 * trigger ({@link HEARTBEAT_LOOKBACK_MS}; at least the alarm's whole evaluation range plus two
 * periods), so the last successful heartbeat is in it even when the trigger came long after.
 */
export function heartbeatWindow(triggeredAt: Date, heartbeat: { periodSeconds: number; evaluationPeriods: number }): { start: Date; end: Date } {
  const p = heartbeat.periodSeconds * 1000;
  const lookback = Math.max(HEARTBEAT_LOOKBACK_MS, (heartbeat.evaluationPeriods + 2) * p);
  return { start: new Date(Math.floor((triggeredAt.getTime() - lookback) / p) * p), end: new Date(Math.ceil(triggeredAt.getTime() / p) * p) };
}

/** The GetMetricData window of the lag metrics: [onset − 10 min, onset]. */
export const metricWindow = (onset: Date): { start: Date; end: Date } => ({
  start: new Date(onset.getTime() - LOOKBACK_MS),
  end: onset,
});

/** Figures the source reports: a failed source reports nothing, so none is taken after the failure. */
const SOURCE_SIDE: ReadonlySet<DataBehind['source']> = new Set(['OldestReplicationSlotLag', 'WalBytesBehind']);

/**
 * The newest figure known to be taken before the failure. A period still running at a moment may
 * hold a datapoint taken after it, so only whole periods count: a figure of the source's up to the
 * onset; one of the replica's (ReplicaLag, the Aurora lags) up to the start of the last committed
 * heartbeat's period (`committedFrom`), since the failure may have come any time after that
 * heartbeat and the replica's lag grows after it. Without `committedFrom` the onset bounds both.
 */
export function figureBeforeFailure(figures: readonly DataBehind[], onset: Onset): DataBehind | undefined {
  const period = PERIOD_SECONDS * 1000;
  const replicaSide = latestFigure(
    figures.filter((f) => !SOURCE_SIDE.has(f.source)),
    { notAfter: new Date((onset.committedFrom ?? onset.at).getTime() - period) },
  );
  const sourceSide = latestFigure(
    figures.filter((f) => SOURCE_SIDE.has(f.source)),
    { notAfter: new Date(onset.at.getTime() - period) },
  );
  if (!replicaSide || !sourceSide) return replicaSide ?? sourceSide;
  return sourceSide.at.getTime() > replicaSide.at.getTime() ? sourceSide : replicaSide;
}

export type RpoEstimate = (typeof RPO_ESTIMATES)[number];

const round = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** The output; `unseenSeconds` null: the bound is the figure itself (or both unknown). */
const decide = (
  estimate: RpoEstimate,
  lagSeconds: number | null,
  unseenSeconds: number | null,
  budgetSeconds: number,
  source: string,
  detail: string,
): CheckBudgetOutput => {
  const boundSeconds = lagSeconds === null ? null : round(lagSeconds + (unseenSeconds ?? 0));
  const held = estimate === 'strict' ? boundSeconds : lagSeconds;
  return {
    lagSeconds,
    boundSeconds,
    unseenSeconds: lagSeconds === null ? null : (unseenSeconds ?? 0),
    estimate,
    budgetSeconds,
    withinBudget: held !== null && held <= budgetSeconds,
    source,
    detail,
  };
};

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
  /** {@link latestCommitOf}: the end of what the figure's sample cannot see. */
  latestCommit: LatestCommit;
  /** `failover.rpoEstimate`: which of figure and bound is held against the budget. */
  estimate: RpoEstimate;
  /** Extra facts for the detail (e.g. the replication status, an unreadable slot metric). */
  note?: string;
}

/** The budget decision from the data behind as of the onset. */
export function decideFromFigures(facts: FigureFacts): CheckBudgetOutput {
  const note = facts.note ? ` ${facts.note}` : '';
  const unknown = (why: string): CheckBudgetOutput =>
    decide(
      facts.estimate,
      null,
      null,
      facts.budgetSeconds,
      facts.metric,
      `${why}: the data behind cannot be known, so it counts as over the ${fmt(facts.budgetSeconds)} budget.${note}`,
    );
  if (facts.onset.failingSince) {
    return unknown(
      `No ${facts.metric} figure of ${facts.resource} can be placed before the failure: ${facts.onset.basis} (trigger at ${facts.triggeredAt.toISOString()}). ` +
        'A figure read later can be one the standby reports after it lost its source',
    );
  }
  const figure = figureBeforeFailure(facts.figures, facts.onset);
  const asOf = `onset ${facts.onset.at.toISOString()}: ${facts.onset.basis}; trigger at ${facts.triggeredAt.toISOString()}`;
  if (!figure) return unknown(`No valid ${facts.metric} datapoint for ${facts.resource} in the 10 minutes before the failure's onset (${asOf})`);
  const which =
    !SOURCE_SIDE.has(figure.source) && facts.onset.committedFrom
      ? `the last period that ended by the start of the last committed heartbeat's period (${facts.onset.committedFrom.toISOString()}), so before the failure: the replica's lag grows after it`
      : "the last period before the failure's onset";
  const unseen = round(Math.max(0, facts.latestCommit.at.getTime() - figure.at.getTime()) / 1000);
  const bound = round(figure.seconds + unseen);
  const strict = facts.estimate === 'strict';
  const within = (strict ? bound : figure.seconds) <= facts.budgetSeconds;
  const boundText =
    `at most ${fmt(bound)} can have been lost: the figure plus the ${fmt(unseen)} from its period's start to ${facts.latestCommit.at.toISOString()}, ` +
    `the latest moment the primary can have committed (${facts.latestCommit.basis}), which the sample cannot see`;
  return decide(
    facts.estimate,
    figure.seconds,
    unseen,
    facts.budgetSeconds,
    figure.source,
    strict
      ? `${within ? 'Within' : 'Over'} the ${fmt(facts.budgetSeconds)} budget (rpoEstimate strict): ${boundText}. ${facts.resource} was ${describeFigure(figure)}, ` +
          `${which} (${asOf}).${note}`
      : `${within ? 'Within' : 'Over'} the ${fmt(facts.budgetSeconds)} budget: ${facts.resource} was ${describeFigure(figure)}, ` +
          `${which} (${asOf}). Lag that grew after that sample is not in it (rpoEstimate last-sample): ${boundText}.${note}`,
  );
}

/** The standby instance as DescribeDBInstances shows it (only what matters here). */
export interface ReplicaFacts {
  found: boolean;
  /** `ReadReplicaSourceDBInstanceIdentifier`: absent when the instance is not a replica. */
  source?: string;
  /** `StatusInfos[StatusType="read replication"].Status`. */
  replicationStatus?: string;
  /** `DBInstanceStatus`. */
  status?: string;
}

/** The standby Aurora cluster as DescribeDBClusters shows it. */
export interface ClusterFacts {
  found: boolean;
  /** `Status`. */
  status?: string;
}

/** Why an Aurora standby cluster cannot be failed over to at all (missing, or in a state no failover leaves by waiting), or undefined. */
export function clusterObstacle(resource: string, facts: ClusterFacts): string | undefined {
  if (!facts.found) return `The standby cluster ${resource} does not exist in its Region: there is nothing to fail over to.`;
  if (facts.status && isTerminalStatus(facts.status)) {
    return `The standby cluster ${resource} is ${facts.status}: the global database cannot fail over to it, and waiting will not change that.`;
  }
  return undefined;
}

/**
 * Why the standby cannot be promoted at all (missing, or a replica in a state no promotion
 * leaves by waiting: failed, storage-full, ...), or undefined. The workflow then changes nothing:
 * fencing a primary that may be up for a promotion that cannot follow would leave no writer.
 */
export function promotionObstacle(resource: string, facts: ReplicaFacts): string | undefined {
  if (!facts.found) return `The standby ${resource} does not exist in its Region: there is nothing to promote.`;
  if (facts.source && facts.status && isTerminalStatus(facts.status)) {
    return `The standby ${resource} is ${facts.status}: it cannot be promoted, and waiting will not change that.`;
  }
  return undefined;
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
  if (facts.replicationStatus === 'terminated')
    return `Replication to ${resource} is terminated (stopped for too long): its data is stale by an unknown amount.`;
  return undefined;
}

/** The decision when the replica itself rules the metric out. */
export const decideUnusableReplica = (problem: string, budgetSeconds: number, estimate: RpoEstimate = 'last-sample'): CheckBudgetOutput =>
  decide(estimate, null, null, budgetSeconds, 'ReplicaLag', `${problem} The lag counts as over budget.`);

/** A replicated automated backup in the standby Region (cold standbys). */
export interface BackupFacts {
  identifier?: string;
  status?: string;
  latestRestorableTime?: Date;
}

/** When a cold standby's loss is judged: the trigger, unless the primary may have written since. */
export interface BackupClock {
  triggeredAt: Date;
  now: Date;
  /** The verdict is not confirmed-down: the primary may still take writes. */
  stillWriting: boolean;
}

/**
 * Cold standbys: the data loss is the age of the latest restorable time of the replicated backups,
 * as of the trigger when the primary failed then. As of now when it may have written since: the
 * verdict is not confirmed-down, or the backups reach past the trigger (logs still shipped after it,
 * so the primary ran; a vantage point's verdict cannot see clients that still reach it).
 */
export function decideFromBackups(
  backups: BackupFacts[],
  primary: string,
  clock: BackupClock,
  budgetSeconds: number,
  estimate: RpoEstimate = 'last-sample',
): CheckBudgetOutput {
  const latest = backups
    .map((b) => b.latestRestorableTime)
    .filter((t): t is Date => t instanceof Date && !Number.isNaN(t.getTime()))
    .reduce<Date | undefined>((best, t) => (!best || t > best ? t : best), undefined);
  if (!latest) {
    return decide(
      estimate,
      null,
      null,
      budgetSeconds,
      'automated-backups',
      `No replicated automated backup of ${primary} with a restore window in the standby Region: the data loss cannot be known, so it counts as over budget.`,
    );
  }
  const ranAfterTrigger = latest.getTime() > clock.triggeredAt.getTime();
  const asOf = clock.stillWriting || ranAfterTrigger ? clock.now : clock.triggeredAt;
  const basis = clock.stillWriting
    ? 'now (the verdict is not confirmed-down: the primary may still take writes)'
    : ranAfterTrigger
      ? `now (the backups reach past the trigger at ${clock.triggeredAt.toISOString()}: the primary ran after it and may still take writes)`
      : 'the trigger';
  const lagSeconds = Math.max(0, (asOf.getTime() - latest.getTime()) / 1000);
  const within = lagSeconds <= budgetSeconds;
  // Judged when the primary stopped writing (or now): nothing is unseen.
  return decide(
    estimate,
    lagSeconds,
    0,
    budgetSeconds,
    'automated-backups',
    `The latest restorable time of ${primary}'s replicated backups is ${latest.toISOString()}, ${fmt(lagSeconds)} before ${basis} ` +
      `(${within ? 'within' : 'over'} the ${fmt(budgetSeconds)} budget).`,
  );
}

/** Cold Aurora standbys have no lag figure. */
export const decideNoFigure = (detail: string, budgetSeconds: number, estimate: RpoEstimate = 'last-sample'): CheckBudgetOutput =>
  decide(estimate, null, null, budgetSeconds, 'none', detail);
