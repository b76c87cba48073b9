/**
 * The data-loss guard (safety rule 4): how much would be lost by promoting the standby now, read
 * as of the trigger, against `rpoBudgetSeconds`. Pure: picks the datapoint and decides; the handler
 * fetches. An unknown figure is never within budget (a human must accept the risk).
 */
import type { CheckBudgetOutput } from '../shared/contracts.js';

/** One CloudWatch datapoint (the timestamp is the start of its period). */
export interface Datapoint {
  timestamp: Date;
  value: number;
}

/** How far before the trigger datapoints are fetched, and the grace after it (one period). */
export const LOOKBACK_MS = 10 * 60_000;
export const GRACE_MS = 60_000;
export const PERIOD_SECONDS = 60;

/** The GetMetricData window around the trigger: [triggeredAt − 10 min, triggeredAt + 1 min]. */
export const metricWindow = (triggeredAt: Date): { start: Date; end: Date } => ({
  start: new Date(triggeredAt.getTime() - LOOKBACK_MS),
  end: new Date(triggeredAt.getTime() + GRACE_MS),
});

/**
 * The latest datapoint at or before triggeredAt + 60 s whose value is ≥ 0 (ReplicaLag -1 means
 * "replication not active": not a lag figure). Undefined when there is none.
 */
export function pickDatapoint(points: Datapoint[], triggeredAt: Date): Datapoint | undefined {
  const limit = triggeredAt.getTime() + GRACE_MS;
  return points
    .filter((p) => Number.isFinite(p.value) && p.value >= 0 && p.timestamp.getTime() <= limit)
    .reduce<Datapoint | undefined>((best, p) => (!best || p.timestamp.getTime() > best.timestamp.getTime() ? p : best), undefined);
}

const decide = (lagSeconds: number | null, budgetSeconds: number, source: string, detail: string): CheckBudgetOutput => ({
  lagSeconds,
  budgetSeconds,
  withinBudget: lagSeconds !== null && lagSeconds <= budgetSeconds,
  source,
  detail,
});

const fmt = (seconds: number): string => `${Number(seconds.toFixed(3))} s`;

export interface MetricFacts {
  /** ReplicaLag (seconds) or AuroraGlobalDBRPOLag (milliseconds). */
  metric: 'ReplicaLag' | 'AuroraGlobalDBRPOLag';
  /** The standby whose metric it is. */
  resource: string;
  points: Datapoint[];
  triggeredAt: Date;
  budgetSeconds: number;
  /** Extra fact for the detail (e.g. the replication status). */
  note?: string;
}

/** The budget decision from a lag metric. */
export function decideFromMetric(facts: MetricFacts): CheckBudgetOutput {
  const point = pickDatapoint(facts.points, facts.triggeredAt);
  const note = facts.note ? ` ${facts.note}` : '';
  if (!point) {
    return decide(
      null,
      facts.budgetSeconds,
      facts.metric,
      `No valid ${facts.metric} datapoint for ${facts.resource} in the 10 minutes before the trigger (${facts.triggeredAt.toISOString()}): ` +
        `the lag cannot be known, so it counts as over the ${fmt(facts.budgetSeconds)} budget.${note}`,
    );
  }
  const lagSeconds = facts.metric === 'AuroraGlobalDBRPOLag' ? point.value / 1000 : point.value;
  const within = lagSeconds <= facts.budgetSeconds;
  return decide(
    lagSeconds,
    facts.budgetSeconds,
    facts.metric,
    `${facts.metric} of ${facts.resource} was ${fmt(lagSeconds)} at ${point.timestamp.toISOString()} ` +
      `(${within ? 'within' : 'over'} the ${fmt(facts.budgetSeconds)} budget).${note}`,
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
