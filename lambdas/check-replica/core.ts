/**
 * Is the rebuilt replica (or the Aurora secondary) healthy, has it been healthy long enough, and
 * has it applied every write? Pure readings and decisions; "not yet" is an answer, never an error.
 *
 * Healthy = available, still replicating from the current primary, a recent lag datapoint within
 * failback.maxLagSeconds, and the site's in-Region heartbeat alarm not in ALARM (and readable).
 * Stable = healthy for the whole stability window without a relapse: any unhealthy check restarts
 * the window (no thrashing). Drained = 0 s behind in a period that started after writes were
 * fenced. Lag is the data behind (lambdas/shared/data-behind.ts), one measure for both: on
 * PostgreSQL ReplicaLag (now() − last replayed commit) grows on an idle source, so the source's
 * OldestReplicationSlotLag of 0 (no WAL the replica has not received) makes a period 0 s behind.
 */
import { isSourceOf } from '../preserve-old-primary/core.js';
import type { CheckReplicaOutput } from '../shared/contracts.js';

/** A lag datapoint is recent when its period started at most this long ago. */
export const FRESH_LAG_MS = 5 * 60_000;

export type { LagPoint } from '../shared/data-behind.js';

/** An RDS instance replica as DescribeDBInstances shows it. */
export interface InstanceReplica {
  kind: 'instance';
  id: string;
  found: boolean;
  status?: string;
  source?: string;
  /** StatusInfos[read replication].Status. */
  replication?: string;
  endpoint?: string;
}

/** An Aurora secondary cluster. */
export interface AuroraSecondary {
  kind: 'aurora';
  id: string;
  found: boolean;
  status?: string;
  member?: { isWriter: boolean };
  endpoint?: string;
}

export interface HealthFacts {
  replica: InstanceReplica | AuroraSecondary;
  /** The other site (the replica's source). */
  source: { region: string; id: string };
  /** The newest lag in seconds (Aurora's milliseconds converted), from a recent datapoint; undefined: none. */
  lagSeconds?: number;
  lagSource: string;
  maxLagSeconds: number;
  /** OK, ALARM, INSUFFICIENT_DATA, absent (no such alarm in the Region), unknown (the API did not answer). */
  alarm: string;
  alarmName: string;
  /** The Region answered at all. */
  regionAnswers: boolean;
  /**
   * Whether clients reach the replica: a vantage point's probe connected to its endpoint and ran
   * SELECT 1 (`up`), was refused or timed out (`down`), or could not tell (`unknown`). Absent: not
   * probed (the replica is not there or not available, so it is unhealthy already).
   */
  reach?: Reach;
}

/** One probe of the replica's endpoint from a vantage point (no write). */
export interface Reach {
  status: 'up' | 'down' | 'unknown';
  vantage: string;
  endpoint: string;
  error?: string;
}

export interface Health {
  healthy: boolean;
  reasons: string[];
  status: string;
}

/** Why the replica is not healthy (no reasons: healthy). */
export function healthOf(f: HealthFacts): Health {
  const r = f.replica;
  const reasons: string[] = [];
  const status = r.found ? (r.status ?? 'unknown') : 'absent';
  if (!f.regionAnswers) reasons.push(`the ${r.kind === 'aurora' ? 'cluster' : 'replica'}'s Region does not answer`);
  else if (!r.found) reasons.push(`${r.id} does not exist`);
  else {
    if (status !== 'available') reasons.push(`${r.id} is ${status}`);
    if (r.kind === 'instance') {
      if (!r.source) reasons.push(`${r.id} is not a read replica`);
      else if (!isSourceOf(r.source, f.source)) reasons.push(`${r.id} replicates from ${r.source}, not from ${f.source.id}`);
      if (r.replication && r.replication !== 'replicating') reasons.push(`replication is ${r.replication}`);
    } else if (!r.member) reasons.push(`${r.id} is not a member of the global cluster`);
    else if (r.member.isWriter) reasons.push(`${r.id} is the global writer, not a secondary`);
    if (f.lagSeconds === undefined) reasons.push(`no recent ${f.lagSource} datapoint`);
    else if (f.lagSeconds > f.maxLagSeconds) reasons.push(`${f.lagSource} is ${f.lagSeconds} s, over ${f.maxLagSeconds} s`);
  }
  // RDS may say available while clients cannot connect (the site's network cut, a security group or
  // NACL changed): the writer is never switched back to a site its clients cannot reach.
  if (f.reach?.status === 'down')
    reasons.push(`${r.id} does not answer clients: ${f.reach.endpoint} probed from ${f.reach.vantage}: ${f.reach.error ?? 'no answer'}`);
  if (f.reach?.status === 'unknown') reasons.push(`${r.id} could not be probed from ${f.reach.vantage}: ${f.reach.error ?? 'no answer'}`);
  if (f.alarm === 'ALARM') reasons.push(`alarm ${f.alarmName} is in ALARM`);
  if (f.alarm === 'unknown') reasons.push(`alarm ${f.alarmName} could not be read`);
  return { healthy: reasons.length === 0, reasons, status };
}

export interface Stability {
  healthySince: string | null;
  relapses: number;
  stable: boolean;
}

/**
 * The stability window: healthy keeps (or starts) `healthySince`; unhealthy clears it, counting a
 * relapse when the window had started. Stable once healthy for `windowSeconds`.
 */
export function stabilityOf(healthy: boolean, healthySince: string | null, relapses: number, now: Date, windowSeconds: number): Stability {
  if (!healthy) return { healthySince: null, relapses: relapses + (healthySince ? 1 : 0), stable: false };
  const since = healthySince && Number.isFinite(Date.parse(healthySince)) ? healthySince : now.toISOString();
  return { healthySince: since, relapses, stable: now.getTime() - Date.parse(since) >= windowSeconds * 1000 };
}

/** The newest data-behind figure the check found (lambdas/shared/data-behind.ts), or none. */
export interface Figure {
  seconds: number;
  source: string;
}

/** What a drained check read (drained mode: instance replicas only). */
export interface DrainedFacts {
  replica: InstanceReplica | AuroraSecondary;
  /** The replica's Region answered. */
  regionAnswers: boolean;
  /** The newest figure of a period that started at or after `since`. */
  figure: Figure | undefined;
  /** Datapoints count from here (the check's own time on the first drained check). */
  since: Date;
  relapses: number;
}

/**
 * Drained: the source's every write has reached the replica, i.e. a period that started after
 * writes were fenced shows 0 s behind, and the replica exists. Healthy here only says it is
 * available (the health mode's other conditions are not checked).
 */
export function drainedVerdict(f: DrainedFacts): CheckReplicaOutput {
  const r = f.replica;
  const status = r.found ? (r.status ?? 'unknown') : 'absent';
  const reasons = [
    ...(f.regionAnswers ? [] : ["the replica's Region does not answer"]),
    ...(!f.figure ? [`no lag datapoint since ${f.since.toISOString()} yet`] : f.figure.seconds === 0 ? [] : [`${f.figure.source} is ${f.figure.seconds} s`]),
  ];
  return {
    status,
    lagSeconds: f.figure?.seconds ?? null,
    lagSource: f.figure?.source ?? 'none',
    alarm: 'not-checked',
    healthy: r.found && status === 'available',
    reasons,
    healthySince: null,
    relapses: f.relapses,
    stable: false,
    drained: f.figure?.seconds === 0 && r.found,
    since: f.since.toISOString(),
    endpoint: r.found ? (r.endpoint ?? null) : null,
  };
}

/** What a health check read, and the window it continues. */
export interface HealthCheckFacts extends Omit<HealthFacts, 'lagSeconds' | 'lagSource'> {
  /** The newest recent figure (see {@link FRESH_LAG_MS}), or none. */
  figure: Figure | undefined;
  /** The lag metric read (named in the output when there is no figure). */
  lagMetric: string;
  healthySince: string | null;
  relapses: number;
  now: Date;
  /** failback.stabilityMinutes in seconds. */
  windowSeconds: number;
}

/** Health mode: healthy ({@link healthOf}), and stable ({@link stabilityOf}) once healthy for the whole window. */
export function healthVerdict(f: HealthCheckFacts): CheckReplicaOutput {
  const lagSource = f.figure?.source ?? f.lagMetric;
  const health = healthOf({ ...f, lagSeconds: f.figure?.seconds, lagSource });
  return {
    status: health.status,
    lagSeconds: f.figure?.seconds ?? null,
    lagSource,
    alarm: f.alarm,
    healthy: health.healthy,
    reasons: health.reasons,
    ...stabilityOf(health.healthy, f.healthySince, f.relapses, f.now, f.windowSeconds),
    drained: false,
    since: null,
    endpoint: f.replica.found ? (f.replica.endpoint ?? null) : null,
  };
}
