/**
 * How much data a replica is behind its source, in seconds of the source's commits, from the
 * AWS/RDS metrics (docs/aws-behaviour.md "Replication lag: data behind, not time since the last
 * commit"). Pure; used by the data-loss guard (check-data-loss-budget), the failback's stability
 * window and its drain (check-replica), so all three judge the same figure.
 *
 * - MySQL/MariaDB: `ReplicaLag` is Seconds_Behind_Master: the figure itself.
 * - PostgreSQL: `ReplicaLag` is `now() − pg_last_xact_replay_timestamp()`, the time since the last
 *   commit the replica replayed. It is never below the data behind (every commit not yet replayed
 *   is younger than that), but it grows while the source commits nothing (up to about 5 minutes
 *   on a quiet source) and while the source is unreachable. The source's
 *   `OldestReplicationSlotLag` (bytes of WAL its slowest slot has not received; a cross-Region
 *   replica streams through a physical slot) says 0 when every commit has reached the replica:
 *   for a period in which it was 0 the replica was 0 s behind. The heartbeat's `WalBytesBehind`
 *   (the WAL the slowest replica had not flushed, read from `pg_stat_replication` on the primary
 *   and published in each heartbeat site's Region) says the same, and stays readable from the
 *   cross-Region site when the primary's Region, where the slot metric lives, is out. Otherwise the
 *   period's ReplicaLag stands (an over-estimate, never an under-estimate).
 * - Aurora: `AuroraGlobalDBRPOLag` / `AuroraGlobalDBReplicationLag` (milliseconds).
 *
 * A period without a valid ReplicaLag datapoint (none, or -1: replication not active) has no
 * figure: an unknown figure is never "0 behind".
 */

/** One CloudWatch datapoint (the timestamp is the start of its period). */
export interface LagPoint {
  timestamp: Date;
  value: number;
}

/** Which metric decided a period's figure. */
export type DataBehindSource = 'ReplicaLag' | 'OldestReplicationSlotLag' | 'WalBytesBehind' | 'AuroraGlobalDBRPOLag' | 'AuroraGlobalDBReplicationLag';

/** The data behind in one metric period. */
export interface DataBehind {
  /** Start of the period. */
  at: Date;
  /** Seconds of the source's commits the replica may not hold (an upper bound). */
  seconds: number;
  source: DataBehindSource;
  /** The period's ReplicaLag (s) when the slot lag overruled it, for the detail. */
  replicaLagSeconds?: number;
}

const valid = (p: LagPoint): boolean => Number.isFinite(p.value) && p.value >= 0 && Number.isFinite(p.timestamp.getTime());

/** The valid datapoints (value ≥ 0) by period start (ms); the largest value when a period repeats. */
function byPeriod(points: readonly LagPoint[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of points) {
    if (!valid(p)) continue;
    const t = p.timestamp.getTime();
    out.set(t, Math.max(out.get(t) ?? -Infinity, p.value));
  }
  return out;
}

export interface InstanceLagFacts {
  /** The database engine (`postgres`, `mysql`, `mariadb`, ...). */
  engine: string;
  /** The replica's ReplicaLag datapoints (seconds). */
  replicaLag: readonly LagPoint[];
  /** The source's OldestReplicationSlotLag datapoints (bytes); PostgreSQL only, may be empty (not readable). */
  slotLag?: readonly LagPoint[];
  /** The heartbeats' WalBytesBehind datapoints (bytes, every readable site); PostgreSQL only, may be empty. */
  walBytesBehind?: readonly LagPoint[];
}

/** The data behind of an RDS instance replica, one entry per period with a valid ReplicaLag datapoint, oldest first. */
export function instanceDataBehind(facts: InstanceLagFacts): DataBehind[] {
  const lag = byPeriod(facts.replicaLag);
  const postgres = facts.engine.includes('postgres');
  const slot = postgres ? byPeriod(facts.slotLag ?? []) : new Map<number, number>();
  const wal = postgres ? byPeriod(facts.walBytesBehind ?? []) : new Map<number, number>();
  return [...lag.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, seconds]) =>
      slot.get(t) === 0
        ? { at: new Date(t), seconds: 0, source: 'OldestReplicationSlotLag' as const, replicaLagSeconds: seconds }
        : wal.get(t) === 0
          ? { at: new Date(t), seconds: 0, source: 'WalBytesBehind' as const, replicaLagSeconds: seconds }
          : { at: new Date(t), seconds, source: 'ReplicaLag' as const },
    );
}

/** The data behind of an Aurora secondary (the metric is in milliseconds), oldest first. */
export function auroraDataBehind(metric: 'AuroraGlobalDBRPOLag' | 'AuroraGlobalDBReplicationLag', points: readonly LagPoint[]): DataBehind[] {
  return [...byPeriod(points).entries()].sort((a, b) => a[0] - b[0]).map(([t, ms]) => ({ at: new Date(t), seconds: ms / 1000, source: metric }));
}

/** The newest figure whose period lies in [notBefore, notAfter] (period starts, ms inclusive); undefined: none. */
export function latestFigure(figures: readonly DataBehind[], window: { notBefore?: Date; notAfter?: Date }): DataBehind | undefined {
  const from = window.notBefore?.getTime() ?? -Infinity;
  const to = window.notAfter?.getTime() ?? Infinity;
  return figures
    .filter((f) => f.at.getTime() >= from && f.at.getTime() <= to)
    .reduce<DataBehind | undefined>((best, f) => (!best || f.at.getTime() > best.at.getTime() ? f : best), undefined);
}

const fmt = (seconds: number): string => `${Number(seconds.toFixed(3))} s`;

/** One line for a figure: "0 s (OldestReplicationSlotLag 0 bytes; ReplicaLag 42 s is the time since the last replayed commit) at …". */
export function describeFigure(f: DataBehind): string {
  if (f.source === 'OldestReplicationSlotLag') {
    return `0 s behind at ${f.at.toISOString()} (OldestReplicationSlotLag of the source was 0 bytes: every commit had reached the replica; its ReplicaLag of ${fmt(f.replicaLagSeconds ?? 0)} was the time since the last commit, not data behind)`;
  }
  if (f.source === 'WalBytesBehind') {
    return `0 s behind at ${f.at.toISOString()} (the heartbeat read 0 bytes of WAL the replica had not flushed: every commit had reached it; its ReplicaLag of ${fmt(f.replicaLagSeconds ?? 0)} was the time since the last commit, not data behind)`;
  }
  return `${fmt(f.seconds)} behind at ${f.at.toISOString()} (${f.source})`;
}
