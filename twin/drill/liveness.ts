/**
 * The liveness oracle (docs/scenarios.md "Liveness"): safety says nothing bad happened, liveness says
 * the job got done. Each check is judged from the twin's ground truth: the faults as they were
 * really applied (and what they really did), what the world really refused, the operators'
 * answers the approval store really accepted, and the writes the simulated application clients
 * really got through the DNS name. Never from the product's own view: no incident record, no
 * verdict, no state machine output decides whether the job was due. (Escalations are what the
 * third check judges, so it reads which runs escalated and the cause they named, then asks the
 * world whether that cause was real.) Pure functions over plain data.
 */
import { rebuildIntervalSeconds, siteCapSeconds } from '../../lambdas/shared/history-budget.js';
import { HEARTBEAT_TIMEOUT_SECONDS } from '../../lambdas/heartbeat/core.js';
import { strictUnseenFloorSeconds } from '../../lambdas/check-data-loss-budget/core.js';
import { WORKFLOW_ERRORS } from '../../lib/workflow/kit/names.js';
import type { LivenessResult } from '../report/types.js';
import type { ClientAttempt } from './app-clients.js';
import type { CallFact, PromotionFact } from './measure.js';
import { escalated, isDrillRun, stepsOf, triggerKind } from './measure.js';
import type { ExecutionRecord } from './sfn-runtime.js';

// ------------------------------------------------------------------ ground truth recorded by the drill

/** A scenario fault as the drill applied it. */
export interface FaultTruth {
  /** Virtual ms. */
  at: number;
  fault: string;
  /** False when the fault had no effect (its target gone, the Region already out, ...). */
  effective: boolean;
  /** The role a role fault hit (`primary`, `standby`). */
  role?: 'primary' | 'standby';
  /**
   * A crash of an RDS instance: whether it was a read replica then, i.e. the standby of the moment
   * (a `primary-crash` after a failback rebuilt the original site as a replica hits the standby).
   */
  replica?: boolean;
  /** The instance a crash hit (RDS instances). */
  instanceId?: string;
  /** The Region of a Region fault. */
  region?: string;
  /** Replica lag set by `replica-lag` (s); how long an `alarm-flap` lasts (count × every, s). */
  seconds?: number;
  /** What an injected refusal aims at: the function folder (`lambda-error`), `service:operation` (`api-error`, `api-throttle`). */
  target?: string;
  /** The error code an `api-error` injects. */
  code?: string;
  /** The vantage points a `primary-unreachable` cut off from the primary (its `from`). */
  from?: string[];
  /**
   * For a fault that took the primary down: the data really at risk at that moment (s), i.e. the
   * span of the primary's accepted writes that the standby does not hold (0 when it holds them all).
   */
  atRiskSeconds?: number;
}

/** An operator's answer to an approval, as the approval store took it. */
export interface AnswerTruth {
  at: number;
  operator: 'approve' | 'reject';
  step: string;
  /** False when nothing was pending (a no-op) or the answer was refused. */
  accepted: boolean;
  /** The approval it answered (when one was pending). */
  approvalId?: string;
}

export interface GroundTruth {
  faults: FaultTruth[];
  answers: AnswerTruth[];
  /** Regions of the two sites as configured. */
  regions: { primary: string; standby: string };
  /**
   * When neither site's instance was a read replica (sampled every 30 s; instance databases only):
   * the database had no standby to promote, e.g. a former primary that came back but was never
   * rebuilt as a replica of the current writer.
   */
  noReplica?: Array<{ from: number; to: number }>;
  /**
   * Samples (every {@link DATA_BEHIND_SAMPLE_MS}) of the data the standby really did not hold:
   * the span of the writes the instance in the primary's role had accepted that the standby did
   * not hold then (what `atRiskSeconds` would be had the primary stopped at that moment). Only
   * samples above 0 are kept (absent: 0, or no replica to sample).
   */
  dataBehind?: Array<{ at: number; seconds: number }>;
}

/** How often the ground truth samples the data the standby is behind (ms). */
export const DATA_BEHIND_SAMPLE_MS = 5_000;
/** The period of the AWS/RDS lag metrics the data-loss guard reads (docs/aws-behaviour.md "Replication lag"), ms. */
export const LAG_METRIC_PERIOD_MS = 60_000;

/** What of the config the bounds and conditions are derived from. */
export interface LivenessConfig {
  mode: 'automatic' | 'manual';
  fencing: 'required' | 'best-effort';
  rpoBudgetSeconds: number;
  /** `failover.rpoEstimate` (absent: last-sample). */
  rpoEstimate?: 'last-sample' | 'strict';
  readiness: 'hot' | 'warm' | 'cold';
  aurora: boolean;
  heartbeat: { periodSeconds: number; evaluationPeriods: number };
  probeRounds: number;
  probeIntervalSeconds: number;
  ttlSeconds: number;
  approvalTimeoutMinutes: number;
  /** `failover.cooldownMinutes` (absent: 0): a run that changed something keeps later triggers out this long. */
  cooldownMinutes?: number;
  /** Regions of the vantage points, whether the RDS API in the primary's Region counts as one, and the quorum. */
  vantage: { regions: string[]; includeControlPlane: boolean; quorum: number; names?: string[] };
  failback: { policy: 'manual-approval' | 'automatic' | 'never'; stabilityMinutes: number; maxWaitHours?: number; rebuildTimeoutMinutes?: number };
  /** Traffic drain: steps and minutes observed per step (absent without traffic records). */
  drain?: { steps: number; stepObservationMinutes: number };
}

export interface LivenessFacts {
  /** The database the scenario acts on: escalations of the others' runs are not judged against its world. */
  database?: string;
  startMs: number;
  endMs: number;
  truth: GroundTruth;
  config: LivenessConfig;
  roles: { primary: string | null; standby: string | null };
  attempts: ClientAttempt[];
  calls: CallFact[];
  promotions: PromotionFact[];
  executions: ExecutionRecord[];
  /** Instance the clients write to at the end (through the DNS name). */
  writerAtEnd: string | null;
}

// ------------------------------------------------------------------ bounds

/** A bound and how it was derived, part by part. */
export interface Bound {
  seconds: number;
  parts: Array<{ what: string; seconds: number }>;
}

/** The twin's longest promotion times (twin/services/rds.ts, cloudformation: AWS's documented ranges). */
export const PROMOTION_SECONDS = { hot: 120, warm: 120 + 600, cold: 35 * 60, aurora: 120 } as const;
/** Between two checks of a preservation step (lib/workflow/failback.ts FAILBACK_TIMING.preserveCheckInterval). */
export const PRESERVE_CHECK_SECONDS = 120;
/** Route 53: a change is INSYNC within 60 s. */
export const DNS_SECONDS = 60;
/** Stated slack of a failover: Lambda retries with backoff, the 20 s waits between checks, the fence's security-group change, the clients' reconnects. */
export const FAILOVER_SLACK_SECONDS = 300;
/** Stated slack of a failback's switchover (same items, plus the fence of the current primary and the lag-0 check). */
export const FAILBACK_SLACK_SECONDS = 600;
/** Probe timeout of one vantage point (lambdas/probe-vantage PROBE_TIMEOUT_MS), s. */
const PROBE_TIMEOUT_SECONDS = 3;

const bound = (parts: Bound['parts']): Bound => ({ seconds: parts.reduce((s, p) => s + p.seconds, 0), parts });

/** How long a warranted failover may take, from the failure to the first write through the DNS name. */
export function failoverBound(c: LivenessConfig): Bound {
  const promotion = c.aurora ? PROMOTION_SECONDS.aurora : PROMOTION_SECONDS[c.readiness];
  return bound([
    {
      what: `detection (heartbeat period ${c.heartbeat.periodSeconds} s × (${c.heartbeat.evaluationPeriods} evaluation periods + 1))`,
      seconds: c.heartbeat.periodSeconds * (c.heartbeat.evaluationPeriods + 1),
    },
    {
      what: `verification (${c.probeRounds} probe rounds × (${c.probeIntervalSeconds} s interval + ${PROBE_TIMEOUT_SECONDS} s timeout))`,
      seconds: c.probeRounds * (c.probeIntervalSeconds + PROBE_TIMEOUT_SECONDS),
    },
    {
      what: `promotion (${c.aurora ? 'Aurora global failover' : c.readiness === 'cold' ? 'cold standby restore' : c.readiness === 'warm' ? 'replica promotion + scale-up' : 'replica promotion'}, the twin's longest)`,
      seconds: promotion,
    },
    { what: 'DNS change INSYNC', seconds: DNS_SECONDS },
    { what: `TTL ${c.ttlSeconds} s`, seconds: c.ttlSeconds },
    { what: 'stated slack', seconds: FAILOVER_SLACK_SECONDS },
  ]);
}

/** How long an approved failback may take, from the approval (policy automatic: from the end of the stability window) to writes on the original site. */
export function failbackBound(c: LivenessConfig): Bound {
  const parts: Bound['parts'] = [];
  if (c.drain)
    parts.push({
      what: `traffic drain (${c.drain.steps} steps × ${c.drain.stepObservationMinutes} min)`,
      seconds: c.drain.steps * c.drain.stepObservationMinutes * 60,
    });
  parts.push({ what: c.aurora ? 'Aurora switchover' : 'promotion of the original site', seconds: c.aurora ? PROMOTION_SECONDS.aurora : PROMOTION_SECONDS.hot });
  parts.push(
    { what: 'DNS change INSYNC', seconds: DNS_SECONDS },
    { what: `TTL ${c.ttlSeconds} s`, seconds: c.ttlSeconds },
    { what: 'stated slack', seconds: FAILBACK_SLACK_SECONDS },
  );
  if (c.failback.policy === 'automatic' && !c.aurora) {
    // Before the switchover, the original site is rebuilt as a replica and must catch up.
    parts.unshift({
      what: 'preserve the old primary and rebuild the original site (snapshot 5 min, rename 2 min, cross-Region replica 45 min, catch-up 15 min)',
      seconds: (5 + 2 + 45 + 15) * 60,
    });
    // Each of those waits is polled: up to one interval late (3 preservation steps, the replica, its catch-up).
    const rebuild = rebuildIntervalSeconds(c.failback.rebuildTimeoutMinutes ?? 240);
    parts.unshift({
      what: `their checks (3 × ${PRESERVE_CHECK_SECONDS} s preservation, 2 × ${rebuild} s rebuild)`,
      seconds: 3 * PRESERVE_CHECK_SECONDS + 2 * rebuild,
    });
  }
  if (c.failback.policy === 'automatic') {
    // The failback notices the original site at its next check (the backoff's cap).
    const cap = siteCapSeconds(c.failback.maxWaitHours ?? 168);
    parts.unshift({ what: `the next check of the original site (at most ${cap} s apart)`, seconds: cap });
  }
  return bound(parts);
}

export const describeBound = (b: Bound): string => `${b.seconds} s = ${b.parts.map((p) => `${p.seconds} s ${p.what}`).join(' + ')}`;

// ------------------------------------------------------------------ the world over time

const secs = (ms: number): number => Math.round(ms) / 1000;

/** Intervals [from, to) during which a predicate of the fault timeline holds. */
interface Interval {
  from: number;
  to: number;
  why: string;
}

function intervals(f: LivenessFacts, start: (x: FaultTruth) => string | undefined, stop: (x: FaultTruth) => boolean): Interval[] {
  const out: Interval[] = [];
  let open: Interval | undefined;
  for (const x of [...f.truth.faults].sort((a, b) => a.at - b.at)) {
    if (!x.effective) continue;
    const why = start(x);
    if (why !== undefined && !open) open = { from: x.at, to: Infinity, why };
    else if (open && stop(x)) {
      open.to = x.at;
      out.push(open);
      open = undefined;
    }
  }
  if (open) out.push(open);
  return out;
}

const regionOut = (f: LivenessFacts, region: string): Interval[] =>
  intervals(
    f,
    (x) => (x.fault === 'region-outage' && x.region === region ? `${region} out` : undefined),
    (x) => x.fault === 'region-recover' && x.region === region,
  );

/** When the instance that was the primary at the start was really down: crashed, or its Region out. */
function primaryDown(f: LivenessFacts): Interval[] {
  return [
    ...intervals(
      f,
      (x) => (x.fault === 'primary-crash' && x.role === 'primary' ? 'the primary crashed' : undefined),
      (x) => x.fault === 'primary-recover',
    ),
    ...regionOut(f, f.truth.regions.primary).map((i) => ({ ...i, why: `the primary's Region ${i.why}` })),
  ].sort((a, b) => a.from - b.from);
}

/**
 * When no vantage point could connect to the original primary (a `primary-unreachable` from every
 * configured one, until `primary-recover`): the product cannot observe that site at all, so it
 * cannot judge it healthy nor verify writes there, whatever its clients see.
 */
function primaryUnobservable(f: LivenessFacts): Interval[] {
  const names = f.config.vantage.names;
  if (!names?.length) return [];
  return intervals(
    f,
    (x) =>
      x.fault === 'primary-unreachable' && x.role === 'primary' && names.every((n) => x.from?.includes(n))
        ? 'no vantage point could reach the original primary (primary-unreachable from all of them)'
        : undefined,
    (x) => x.fault === 'primary-recover',
  );
}

/** When the trigger alarm (the in-Region heartbeat alarm) was really set to ALARM by an injected flap. */
const alarmFlaps = (f: LivenessFacts): Interval[] =>
  f.truth.faults
    .filter((x) => x.effective && x.fault === 'alarm-flap')
    .map((x) => ({ from: x.at, to: x.at + (x.seconds ?? 0) * 1000, why: 'the heartbeat alarm really fired (alarm-flap)' }));

/**
 * The standby's Region as a run that starts at `at` sees it: the configured one until a promotion
 * moves the writer, then the other site's (the last promotion started by then names the writer's
 * Region). Without `at`, the configured standby's.
 */
function standbyRegion(f: LivenessFacts, at?: number): string {
  const { primary, standby } = f.truth.regions;
  const writer = at === undefined ? undefined : f.promotions.filter((p) => p.region && p.startedAt <= at).at(-1)?.region;
  return writer === standby ? primary : standby;
}

/**
 * When the standby was really down: crashed (a replica crash has no recovery), or its Region out.
 * `at`: the moment whose roles say which Region is the standby's (default: as configured).
 */
function standbyDown(f: LivenessFacts, at?: number): Interval[] {
  const region = standbyRegion(f, at);
  return [
    // A replica-crash after a failover hits the configured standby, the writer then: not the standby down.
    ...f.truth.faults
      .filter((x) => x.effective && x.fault === 'replica-crash' && !hitTheWriter(f, x))
      .map((x) => ({ from: x.at, to: Infinity, why: 'the standby crashed' })),
    // The original primary's site, rebuilt as a replica by a failback, is the standby of the moment.
    ...intervals(
      f,
      (x) => (x.fault === 'primary-crash' && x.replica === true ? "the standby crashed (the original primary's site, a replica then)" : undefined),
      (x) => x.fault === 'primary-recover',
    ),
    ...regionOut(f, region).map((i) => ({ ...i, why: `the standby's Region ${i.why}` })),
  ].sort((a, b) => a.from - b.from);
}

/**
 * Whether a crash of the configured standby hit the writer of the moment: the instance was no read
 * replica then and a promotion of it had completed (a cold standby the failover is still creating,
 * or a promotion still under way, is the standby yet). Without the instance's id (a cluster), the
 * replica flag alone.
 */
function hitTheWriter(f: LivenessFacts, x: FaultTruth): boolean {
  if (x.replica !== false) return false;
  if (x.instanceId === undefined) return true;
  return f.promotions.some((p) => p.instanceId === x.instanceId && p.completedAt !== undefined && p.completedAt <= x.at);
}

/** When a replica-crash hit the writer of the moment (the configured standby, after a failover): it has no recovery. */
const writerCrashed = (f: LivenessFacts): Interval[] =>
  f.truth.faults
    .filter((x) => x.effective && x.fault === 'replica-crash' && hitTheWriter(f, x))
    .map((x) => ({ from: x.at, to: Infinity, why: 'the writer crashed (the configured standby, the writer since the failover)' }));

const overlaps = (list: Interval[], from: number, to: number): Interval | undefined => list.find((i) => i.from <= to && i.to > from);
const at = (f: LivenessFacts, ms: number): string => `t=${secs(ms - f.startMs)}s`;

/** Calls the world refused: failed API calls, Lambda invocations that failed in the twin (injected, or their Region out). Lookups of something absent are answers, not refusals. */
export function refusals(f: LivenessFacts, executionArn: string | undefined, from: number, to: number): CallFact[] {
  return f.calls.filter((c) => {
    if (c.ok || c.at < from || c.at > to) return false;
    if (executionArn !== undefined && c.executionArn !== executionArn) return false;
    if (/NotFound/.test(c.error ?? '')) return false;
    // A Lambda invocation that failed because the product's handler threw is the product's own error.
    if (c.key === 'lambda:Invoke') return /Injected failure|does not answer/.test(c.message ?? '');
    return true;
  });
}

// ------------------------------------------------------------------ escalations

/** One escalation: which run, when, and the cause it named. */
export interface Escalation {
  execution: string;
  stateMachine: string;
  at: number;
  /** The error name the run recorded, or `approval-timeout`. Empty when it named none. */
  cause: string;
  message: string;
  /** What the world shows for that cause (empty when nothing confirms it). */
  evidence: string;
  /** Why the run, not the world, caused it (then `evidence` is empty). */
  against?: string;
}

/** The escalations of the run: each escalated execution, with the cause it named. */
type Timeout = { step: string; askedAt: number; answeredAt: number; approvalId?: string };
export function escalations(f: LivenessFacts): Array<Omit<Escalation, 'evidence'> & { e: ExecutionRecord; timeout?: Timeout }> {
  const out: Array<Omit<Escalation, 'evidence'> & { e: ExecutionRecord; timeout?: Timeout }> = [];
  for (const e of f.executions) {
    if (!escalated(e) || (f.database !== undefined && e.database !== undefined && e.database !== f.database)) continue;
    for (const a of e.approvals.filter((x) => x.answer === 'timeout')) {
      out.push({
        e,
        execution: e.name,
        stateMachine: e.stateMachine,
        at: a.answeredAt ?? f.endMs,
        cause: 'approval-timeout',
        message: `the ${a.step} approval (${a.decision}) expired unanswered`,
        timeout: { step: a.step, askedAt: a.askedAt, answeredAt: a.answeredAt ?? f.endMs, ...(a.approvalId ? { approvalId: a.approvalId } : {}) },
      });
    }
    const timeouts = e.approvals.filter((x) => x.answer === 'timeout').map((x) => x.answeredAt ?? f.endMs);
    for (const s of stepsOf(e, 'record-incident').filter((x) => (x.input as { phase?: string }).phase === 'escalated')) {
      // The escalation an unanswered approval leads to (States.Timeout of the callback) is that same escalation.
      if (timeouts.some((t) => s.startedAt >= t && s.startedAt - t <= 60_000)) continue;
      const err = ((s.input as { detail?: { error?: { Error?: unknown; Cause?: unknown } } }).detail?.error ?? {}) as { Error?: unknown; Cause?: unknown };
      out.push({
        e,
        execution: e.name,
        stateMachine: e.stateMachine,
        at: s.startedAt,
        cause: typeof err.Error === 'string' ? err.Error : '',
        message: typeof err.Cause === 'string' ? err.Cause : '',
      });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * What the world shows for the cause an escalation named (`cause`: its error name and message)
 * while the run was going (`from`..`to`). A refusal counts when the cause names it (the error
 * code or the operation, or the function an injected Lambda failure hit); a resource that was
 * really down counts when the run needed it: the standby for a failover (the primary being down
 * is the failover's reason, not an obstacle), either site for a failback.
 */
function worldEvidence(f: LivenessFacts, x: { e: ExecutionRecord; cause: string; message: string; at: number }): { found: string[]; against?: string } {
  const from = x.e.startedAt;
  const to = x.at;
  // A standby that had crashed when a failover started was there to be seen (DescribeDBInstances,
  // DescribeDBClusters) before anything was changed: a run that fenced the primary anyway made the
  // outage itself, and nothing that followed (the promotion refused, given up) excuses it.
  const down = overlaps(standbyDown(f, from), from, to);
  if (down && /crashed/.test(down.why) && down.from < from && x.e.stateMachine === 'failover') {
    const fence = stepsOf(x.e, 'fence-primary').find((st) => st.startedAt <= to);
    if (fence) {
      return {
        found: [],
        against: `${down.why} at ${at(f, down.from)}, before the run started, and the run fenced the primary anyway at ${at(f, fence.startedAt)}`,
      };
    }
  }
  const text = `${x.cause} ${x.message}`;
  const named = (word: string | undefined): boolean => !!word && word.length > 2 && text.includes(word);
  const found: string[] = [];
  const refused = refusals(f, x.e.arn, from, to).filter((c) => named(c.error) || named(c.key.split(':')[1]));
  if (refused.length) {
    const first = refused[0]!;
    found.push(
      `the world refused ${first.key} (${first.error ?? 'error'}) at ${at(f, first.at)}${refused.length > 1 ? ` and ${refused.length - 1} more call(s) the cause names` : ''}`,
    );
  }
  const injected = f.truth.faults.filter(
    (i) =>
      i.effective &&
      i.at <= to &&
      ((i.fault === 'lambda-error' && named(i.target)) ||
        ((i.fault === 'api-error' || i.fault === 'api-throttle') && (named(i.code) || named(i.target?.split(':')[1])))),
  );
  if (injected.length) found.push(`${injected[0]!.fault} on ${injected[0]!.target} injected at ${at(f, injected[0]!.at)}`);
  // A failback that gave up waiting for the original site is confirmed only by that site being
  // down at its last check (the checks are at most siteCapSeconds apart), not earlier in the run.
  const gaveUp = x.e.stateMachine === 'failback' && x.cause === WORKFLOW_ERRORS.originalSiteDidNotComeBack;
  if (down && !gaveUp) found.push(`${down.why} at ${at(f, down.from)}`);
  if (x.e.stateMachine === 'failback') {
    const lastCheck = to - (siteCapSeconds(f.config.failback.maxWaitHours ?? 168) + 60) * 1000;
    const p = overlaps(primaryDown(f), gaveUp ? Math.max(from, lastCheck) : from, to);
    if (p) found.push(`${p.why} at ${at(f, p.from)}${gaveUp ? ` and still at ${at(f, to)}` : ''}`);
    // The failback needs the current writer too: a replica-crash that hit it (the configured standby after the failover).
    const w = gaveUp ? undefined : overlaps(writerCrashed(f), from, to);
    if (w) found.push(`${w.why} at ${at(f, w.from)}`);
  }
  // The instance this run promoted crashed while the run still needed it (a cold standby it
  // activated, a replica it promoted): whatever the instance's role by then.
  const promotedHere = new Set(f.promotions.filter((p) => p.executionArn === x.e.arn).map((p) => p.instanceId));
  const promotedCrash = f.truth.faults.find(
    (c) =>
      c.effective &&
      (c.fault === 'replica-crash' || c.fault === 'primary-crash') &&
      c.instanceId !== undefined &&
      promotedHere.has(c.instanceId) &&
      c.at >= from &&
      c.at <= to,
  );
  if (promotedCrash) found.push(`the instance the run promoted (${promotedCrash.instanceId}) crashed at ${at(f, promotedCrash.at)}`);
  const lag = f.truth.faults.filter((l) => l.effective && l.fault === 'replica-lag' && (l.seconds ?? 0) > 0 && l.at <= to).pop();
  if (lag && !f.truth.faults.some((l) => l.effective && l.fault === 'replica-lag' && l.at > lag.at && l.at <= to && (l.seconds ?? 0) === 0)) {
    found.push(`the replica lagged ${lag.seconds} s from ${at(f, lag.at)}`);
  }
  if (x.cause === WORKFLOW_ERRORS.noStandby) {
    const none = (f.truth.noReplica ?? []).find((i) => i.from <= to && i.to >= to - 30_000);
    if (none) found.push(`neither site's instance was a read replica from ${at(f, none.from)} (no standby to promote)`);
  }
  const stopped = f.executions.find((y) => y.arn !== x.e.arn && y.crash && (y.stoppedAt ?? Infinity) <= to);
  if (stopped) found.push(`the drill stopped ${stopped.stateMachine} ${stopped.name} at ${at(f, stopped.stoppedAt!)} (injected crash)`);
  return { found };
}

/** Each escalation with what the world shows for its cause. */
export function judgedEscalations(f: LivenessFacts): Escalation[] {
  return escalations(f).map((x) => {
    let evidence = '';
    let against: string | undefined;
    if (x.timeout) {
      const t = x.timeout;
      const answered = f.truth.answers.find(
        (a) => a.accepted && a.step === t.step && (t.approvalId && a.approvalId ? a.approvalId === t.approvalId : a.at > t.askedAt && a.at <= t.answeredAt),
      );
      evidence = answered
        ? ''
        : `no operator answer to the ${x.timeout.step} approval was accepted between ${at(f, x.timeout.askedAt)} and ${at(f, x.timeout.answeredAt)}`;
    } else if (x.cause) {
      const w = worldEvidence(f, x);
      evidence = w.found.join('; ');
      against = w.against;
    }
    return { execution: x.execution, stateMachine: x.stateMachine, at: x.at, cause: x.cause, message: x.message, evidence, ...(against ? { against } : {}) };
  });
}

function escalationJustified(f: LivenessFacts, list: Escalation[]): LivenessResult {
  if (list.length === 0) return { name: 'escalation-justified', held: true, detail: 'nothing escalated' };
  const bad = list.filter((x) => !x.cause || !x.evidence);
  const line = (x: Escalation) =>
    `${x.stateMachine} ${x.execution.slice(0, 8)} at ${at(f, x.at)}: ${x.cause || 'no cause named'}${x.message ? ` (${x.message.slice(0, 160)})` : ''}: ${x.evidence ? `the world confirms: ${x.evidence}` : x.against ? `the run caused it: ${x.against}` : x.cause ? 'the world shows nothing that would cause it' : ''}`;
  if (bad.length) return { name: 'escalation-justified', held: false, detail: bad.map(line).join('; ') };
  return { name: 'escalation-justified', held: true, detail: list.map(line).join('; ') };
}

// ------------------------------------------------------------------ failover-when-warranted

/**
 * The earliest start of the lag-metric period the data-loss guard may read for a failure at `t`
 * (virtual ms; periods align to the minute): the guard reads the replica's lag from the last whole
 * period that ended by the minute in which the last committed heartbeat started, and that heartbeat
 * started at most one heartbeat period before the failure.
 */
const guardPeriodStart = (t: number, heartbeatPeriodMs: number): number =>
  Math.floor((t - heartbeatPeriodMs) / LAG_METRIC_PERIOD_MS) * LAG_METRIC_PERIOD_MS - LAG_METRIC_PERIOD_MS;

/**
 * The most the standby was really behind (ground truth, `truth.dataBehind`) from the start of the
 * earliest period the guard may read as of a failure at `t0` up to `t0`: what a faithful sample
 * taken before the failure may show. Undefined when it held everything then.
 */
function behindBefore(f: LivenessFacts, t0: number): { at: number; seconds: number } | undefined {
  const from = guardPeriodStart(t0, f.config.heartbeat.periodSeconds * 1000);
  return (f.truth.dataBehind ?? [])
    .filter((s) => s.at >= from && s.at < t0 && s.seconds > 0)
    .reduce<{ at: number; seconds: number } | undefined>((m, s) => (!m || s.seconds > m.seconds ? s : m), undefined);
}

/** The first ok client write through the DNS name after `from` (virtual ms), and where it went. */
const firstWrite = (f: LivenessFacts, from: number, to = Infinity, target?: string): ClientAttempt | undefined =>
  f.attempts.find((a) => a.ok && a.at > from && a.at <= to && (target === undefined || a.target === target));

function failoverWhenWarranted(f: LivenessFacts, b: Bound, esc: Escalation[]): LivenessResult {
  const name = 'failover-when-warranted' as const;
  const c = f.config;
  const boundText = `bound ${describeBound(b)}`;
  const firstPromotion = f.promotions[0]?.startedAt ?? Infinity;
  // The first time the original primary, still the writer, really went down.
  const failure = primaryDown(f).find((i) => i.from < firstPromotion);
  if (!failure)
    return { name, held: true, detail: `not warranted: the primary was never really down (crashed or its Region out) while it was the writer; ${boundText}` };
  const t0 = failure.from;
  const deadline = t0 + b.seconds * 1000;
  const not = (why: string): LivenessResult => ({ name, held: true, detail: `not warranted at ${at(f, t0)} (${failure.why}): ${why}; ${boundText}` });
  if (c.mode !== 'automatic') return not(`the failover mode is ${c.mode}`);
  const truth = f.truth.faults.find((x) => x.effective && x.at === t0 && x.atRiskSeconds !== undefined);
  const atRisk = truth?.atRiskSeconds;
  if (atRisk !== undefined && atRisk > c.rpoBudgetSeconds)
    return not(`${atRisk} s of writes were really at risk, over the ${c.rpoBudgetSeconds} s budget (a human must accept the loss)`);
  // The guard's figure (docs/config.md `rpoBudgetSeconds`; held by rpoEstimate last-sample, part of
  // the strict bound) is the data behind in the last 1-minute metric period known to be before the
  // failure. When the standby really was over the budget behind at a moment a sample of that period
  // can be taken (from the start of the earliest period the guard may read to the failure), a
  // faithful metric shows it and asking a human is right, even if the replica caught up before
  // the failure (the primary took no writes in between). Judged on the ground truth, never on the
  // figure the product read: a guard that asks while the standby was within budget throughout is
  // still wrong.
  if (c.readiness !== 'cold') {
    const seen = behindBefore(f, t0);
    if (seen && seen.seconds > c.rpoBudgetSeconds) {
      const from = guardPeriodStart(t0, c.heartbeat.periodSeconds * 1000);
      return not(
        `the standby was really ${seen.seconds} s behind the primary's writes at ${at(f, seen.at)}, between the start of the earliest 1-minute metric period the guard may read (${at(f, from)} to ${at(f, from + LAG_METRIC_PERIOD_MS)}: the last whole one before the last committed heartbeat, at most one ${c.heartbeat.periodSeconds} s heartbeat period before the failure) and the failure, over the ${c.rpoBudgetSeconds} s budget: a faithful lag figure of that time is over budget, so the guard rightly asks a human (rpoEstimate ${c.rpoEstimate ?? 'last-sample'})`,
      );
    }
  }
  // docs/config.md: a budget of 0 with an asynchronous replica means every failover asks (a replica
  // always lags a little, and a figure of exactly 0 is rare), whatever was really at risk.
  if (c.rpoBudgetSeconds === 0 && c.readiness !== 'cold')
    return not('the data-loss budget is 0 s: with an asynchronous replica every failover asks a human (docs/config.md)');
  // rpoEstimate strict (docs/config.md): the bound adds what the last sample cannot see, at least
  // the metric period it was taken in, one heartbeat period and the heartbeat's timeout.
  const unseen = strictUnseenFloorSeconds(c.heartbeat.periodSeconds, HEARTBEAT_TIMEOUT_SECONDS);
  if (c.rpoEstimate === 'strict' && c.readiness !== 'cold' && (atRisk ?? 0) + unseen > c.rpoBudgetSeconds) {
    return not(
      `rpoEstimate is strict: ${atRisk ?? 0} s at risk plus the ${unseen} s the last sample cannot see is over the ${c.rpoBudgetSeconds} s budget (a human must accept the loss)`,
    );
  }
  const sDown = overlaps(standbyDown(f), -Infinity, Math.min(deadline, f.endMs));
  if (sDown) return not(`the standby was not healthy (${sDown.why} at ${at(f, sDown.from)})`);
  if (c.fencing === 'required' && overlaps(regionOut(f, f.truth.regions.primary), t0, t0))
    return not(`fencing is required and impossible: the primary's Region ${f.truth.regions.primary} is out`);
  // The failure must be verifiable: a vantage point whose Region is out answers nothing.
  const out = (region: string) => overlaps(regionOut(f, region), t0, Math.min(deadline, f.endMs)) !== undefined;
  const observers = c.vantage.regions.filter((r) => !out(r)).length + (c.vantage.includeControlPlane && !out(f.truth.regions.primary) ? 1 : 0);
  if (observers < c.vantage.quorum)
    return not(
      `only ${observers} vantage point(s) can observe it (their Regions up), fewer than the quorum of ${c.vantage.quorum}: it cannot be confirmed down`,
    );
  // A human's "no" covers the failure it was given during, not one that began after it (a drill's
  // question rejected at 0:01 says nothing about a crash at 0:49).
  const no = f.truth.answers.find((a) => a.accepted && a.operator === 'reject' && a.step === 'failover' && a.at >= t0 && a.at <= deadline);
  if (no) return not(`an operator said no at ${at(f, no.at)}`);
  const refusedEscalation = esc.find((x) => x.at >= t0 && x.at <= deadline && x.cause !== 'approval-timeout' && x.evidence);
  const restored = firstWrite(f, t0, deadline);
  if (restored) {
    return {
      name,
      held: true,
      detail: `warranted at ${at(f, t0)} (${failure.why}; ${atRisk ?? 0} s at risk ≤ ${c.rpoBudgetSeconds} s budget, mode automatic, fencing ${c.fencing}): writes restored through the DNS name on ${restored.target} after ${secs(restored.at - t0)} s ≤ ${boundText}`,
    };
  }
  if (refusedEscalation) return not(`the world stood in the way and the run escalated naming it (${refusedEscalation.cause}: ${refusedEscalation.evidence})`);
  if (deadline > f.endMs) {
    const later = firstWrite(f, t0);
    if (!later)
      return {
        name,
        held: true,
        detail: `warranted at ${at(f, t0)} (${failure.why}), but the run ended ${secs(f.endMs - t0)} s later, before the bound: nothing to judge; ${boundText}`,
      };
  }
  const late = firstWrite(f, t0);
  return {
    name,
    held: false,
    detail: `warranted at ${at(f, t0)} (${failure.why}; ${atRisk ?? 0} s at risk ≤ ${c.rpoBudgetSeconds} s budget, mode automatic, fencing ${c.fencing}, the standby healthy, no operator said no) but ${late ? `writes came back through the DNS name only after ${secs(late.at - t0)} s` : 'writes never came back through the DNS name'}: over the ${boundText}`,
  };
}

// ------------------------------------------------------------------ failback-when-approved

function failbackWhenApproved(f: LivenessFacts, b: Bound, esc: Escalation[]): LivenessResult {
  const name = 'failback-when-approved' as const;
  const c = f.config;
  const boundText = `bound ${describeBound(b)}`;
  const original = f.roles.primary;
  if (c.failback.policy === 'never') return { name, held: true, detail: 'failback policy "never": no failback is due' };
  const failover = f.promotions.find((p) => p.instanceId !== original);
  if (!failover || !original) return { name, held: true, detail: `nothing failed over: no failback is due; ${boundText}` };
  let from: number;
  let why: string;
  if (c.failback.policy === 'manual-approval') {
    const yes = f.truth.answers.find((a) => a.accepted && a.operator === 'approve' && a.step === 'failback' && a.at > failover.startedAt);
    if (!yes) return { name, held: true, detail: `no failback approval was accepted: no failback is due; ${boundText}` };
    from = yes.at;
    why = `the failback was approved at ${at(f, from)}`;
  } else {
    // Automatic: due once the original site has been healthy for the stability window after the failover.
    const done = failover.completedAt ?? failover.startedAt;
    // Any unhealthy moment (the Region out, the old primary crashed, the heartbeat alarm firing) restarts the window.
    // So does a site no vantage point can reach: the failback cannot observe it.
    const outs = [
      ...regionOut(f, f.truth.regions.primary),
      ...primaryDown(f).filter((i) => i.why === 'the primary crashed'),
      ...alarmFlaps(f),
      ...primaryUnobservable(f),
    ];
    let healthy = done;
    let last: Interval | undefined;
    for (const o of outs.sort((x, y) => x.from - y.from)) {
      if (o.from <= healthy && o.to > healthy) {
        healthy = o.to;
        last = o;
      }
    }
    if (!Number.isFinite(healthy))
      return {
        name,
        held: true,
        detail: `the original site never became healthy again (${last?.why ?? 'out'} from ${at(f, last?.from ?? done)}): no failback is due; ${boundText}`,
      };
    // docs/failback.md, step 2: the failback waits for the original site at most maxWaitHours, then
    // gives up and tells the operators. A give-up the world confirms (the site was still out), with
    // no failback started after it, leaves the next failback to the operators who were told.
    const gaveUp = esc.find(
      (x) => x.stateMachine === 'failback' && x.cause === WORKFLOW_ERRORS.originalSiteDidNotComeBack && x.evidence && x.at >= done && x.at <= healthy,
    );
    if (gaveUp && !f.executions.some((e) => e.stateMachine === 'failback' && ofDatabase(f, e) && e.startedAt > gaveUp.at))
      return {
        name,
        held: true,
        detail: `the failback waited failback.maxWaitHours (${c.failback.maxWaitHours ?? 168} h) for the original site and gave up at ${at(f, gaveUp.at)} while it was still out (${gaveUp.evidence}), telling the operators; it came back at ${at(f, healthy)} and no failback was started again: none is due until an operator starts one; ${boundText}`,
      };
    from = healthy + c.failback.stabilityMinutes * 60_000;
    why = `the original site was healthy from ${at(f, healthy)} for the ${c.failback.stabilityMinutes} min stability window (policy automatic)`;
  }
  const deadline = from + b.seconds * 1000;
  const disturbed = overlaps(
    [
      ...regionOut(f, f.truth.regions.primary).map((i) => ({ ...i, why: `the original site's Region ${i.why}` })),
      ...standbyDown(f),
      ...primaryDown(f).filter((i) => i.from >= failover.startedAt),
      ...alarmFlaps(f),
      ...primaryUnobservable(f).filter((i) => i.from >= failover.startedAt),
    ],
    from,
    Math.min(deadline, f.endMs),
  );
  if (disturbed)
    return { name, held: true, detail: `${why}, but then ${disturbed.why} at ${at(f, disturbed.from)}: the failback is no longer due; ${boundText}` };
  const no = f.truth.answers.find((a) => a.accepted && a.operator === 'reject' && a.step === 'failback' && a.at >= from && a.at <= deadline);
  if (no) return { name, held: true, detail: `${why}, but an operator rejected it at ${at(f, no.at)}; ${boundText}` };
  const back = firstWrite(f, from, deadline, original);
  if (back) return { name, held: true, detail: `${why}: writes went to ${original} through the DNS name ${secs(back.at - from)} s later ≤ ${boundText}` };
  const refused = esc.find((x) => x.at >= from && x.at <= deadline && x.cause !== 'approval-timeout' && x.evidence);
  if (refused)
    return {
      name,
      held: true,
      detail: `${why}, but the world stood in the way and the run escalated naming it (${refused.cause}: ${refused.evidence}); ${boundText}`,
    };
  // docs/design.md rule 7: a run that changed something and escalated keeps the lease until a human
  // looks. When the world justified that escalation, the failback waits for that human.
  const holding = esc.find((x) => x.at <= deadline && x.cause !== 'approval-timeout' && x.evidence && leaseKept(f, x));
  if (holding) {
    return {
      name,
      held: true,
      detail: `${why}, but ${holding.stateMachine} ${holding.execution.slice(0, 8)} escalated at ${at(f, holding.at)} keeping the lease (it had changed something) and the world confirms its cause (${holding.cause}: ${holding.evidence}): a human must look before any failback; ${boundText}`,
    };
  }
  // An operator asked for a failover while the failback was due: where writes go is that
  // operator's call now (the run may fail over again, or wait for a human's answer on the way).
  const operatorRun = f.executions.find(
    (e) => e.stateMachine === 'failover' && ofDatabase(f, e) && triggerKind(e) === 'operator' && e.startedAt >= from && e.startedAt <= deadline,
  );
  if (operatorRun)
    return {
      name,
      held: true,
      detail: `${why}, but an operator asked for a failover at ${at(f, operatorRun.startedAt)} (${operatorRun.name.slice(0, 8)}): where writes go is that operator's decision from then; ${boundText}`,
    };
  if (deadline > f.endMs)
    return { name, held: true, detail: `${why}; the run ended ${secs(f.endMs - from)} s later, before the bound: nothing to judge; ${boundText}` };
  const late = firstWrite(f, from, Infinity, original);
  return {
    name,
    held: false,
    detail: `${why}, but ${late ? `writes reached ${original} only after ${secs(late.at - from)} s` : `the run did not end failed-back (the clients write to ${f.writerAtEnd ?? 'nothing'})`}: over the ${boundText}`,
  };
}

/**
 * Whether an escalation left the lease held: its run released it in no later step, and no other run
 * of the database took it afterwards (an operator's takeover, or a lease released by hand).
 */
function leaseKept(f: LivenessFacts, x: Escalation): boolean {
  const run = f.executions.find((e) => e.name === x.execution);
  if (!run) return false;
  const action = (s: { input: unknown }) => (s.input as { action?: string }).action;
  // Kept: the run held it when it escalated (a failback that gave up waiting never took it) and to the end.
  if (!leaseHeld(f, run).some((h) => h.from <= x.at && h.to >= f.endMs)) return false;
  return !f.executions.some(
    (e) =>
      e !== run &&
      (f.database === undefined || e.database === undefined || e.database === f.database) &&
      stepsOf(e, 'manage-lease').some(
        (s) => s.startedAt > x.at && action(s) === 'acquire' && (s.output as { acquired?: boolean } | undefined)?.acquired === true,
      ),
  );
}

// ------------------------------------------------------------------ drills (docs/game-days.md "Drill runs")

type Step = ExecutionRecord['steps'][number];
const leaseAction = (s: Step): string | undefined => (s.input as { action?: string } | undefined)?.action;
const acquiredLease = (s: Step): boolean | undefined => (s.output as { acquired?: boolean } | undefined)?.acquired;
const ofDatabase = (f: LivenessFacts, e: ExecutionRecord): boolean => f.database === undefined || e.database === undefined || e.database === f.database;

/**
 * When a run held its database's lease: each time from an acquisition to its release (a run that
 * never released it, a stopped one included, holds it to the end). A recorded failover releases it
 * only without `keepLease` (the failover keeps it while it fences the old primary again; the
 * failback while it rebuilds). A failback lets it go for its stability window and its approval and
 * takes it again to act: two holds.
 */
function leaseHeld(f: LivenessFacts, e: ExecutionRecord): Array<{ from: number; to: number }> {
  const releases = (s: Step): boolean =>
    leaseAction(s) === 'release' || (leaseAction(s) === 'record-failover' && (s.input as { keepLease?: boolean }).keepLease !== true);
  const holds: Array<{ from: number; to: number }> = [];
  let from: number | undefined;
  for (const s of stepsOf(e, 'manage-lease')) {
    if (from === undefined && leaseAction(s) === 'acquire' && acquiredLease(s) === true) from = s.startedAt;
    else if (from !== undefined && !s.error && releases(s)) {
      holds.push({ from, to: s.endedAt ?? s.startedAt });
      from = undefined;
    }
  }
  if (from !== undefined) holds.push({ from, to: f.endMs });
  return holds;
}

/**
 * When a failback waited without the lease (docs/failback.md, step 7): from its release that marks
 * the wait (`waiting`) to its next acquisition, or its next release (it ended), or the end. Drills
 * stay off meanwhile.
 */
function failbackWaits(f: LivenessFacts, e: ExecutionRecord): Array<{ from: number; to: number }> {
  const waits: Array<{ from: number; to: number }> = [];
  let from: number | undefined;
  for (const s of stepsOf(e, 'manage-lease')) {
    const waiting = (s.input as { waiting?: boolean } | undefined)?.waiting === true;
    if (from === undefined && leaseAction(s) === 'release' && waiting && !s.error) from = s.endedAt ?? s.startedAt;
    else if (from !== undefined && ((leaseAction(s) === 'acquire' && acquiredLease(s) === true) || (leaseAction(s) === 'release' && !waiting))) {
      waits.push({ from, to: s.startedAt });
      from = undefined;
    }
  }
  if (from !== undefined) waits.push({ from, to: e.stoppedAt ?? f.endMs });
  return waits;
}

/**
 * `drill-completes`: each drill run of the database. A drill that could not take the lease stood
 * down: justified when another run of the database really held it then (or the cooldown after a
 * run released it was running). A drill that took the lease while its fault had really taken the
 * pair's primary down (crashed, or its Region out, from before its first probe to its verdict, the
 * primary still the writer) must end failed over by its own promotion, or escalated with a cause the
 * world confirms, or stopped by an operator's no; still going at the end is judged only past the
 * failover bound (counted from the last answer, when a human answered a question: the wait was
 * theirs) and when no question waits for an answer; a primary back before the run verified
 * again (after an answer) owes nothing. A drill whose fault did not take (the
 * pair healthy at its verdict) owes nothing: that is the drill's finding.
 */
/** When a human last answered one of the run's questions (0: never): the time a question waited is the human's, not the product's. */
const lastAnswerAt = (e: LivenessFacts['executions'][number]): number =>
  Math.max(0, ...e.approvals.filter((a) => a.answer !== undefined && a.answer !== 'timeout').map((a) => a.answeredAt ?? 0));

function drillCompletes(f: LivenessFacts, b: Bound, esc: Escalation[]): LivenessResult {
  const name = 'drill-completes' as const;
  const drills = f.executions.filter((e) => isDrillRun(e) && ofDatabase(f, e));
  if (drills.length === 0) return { name, held: true, detail: 'no drill run of this database' };
  const good: string[] = [];
  const bad: string[] = [];
  const cooldownMs = (f.config.cooldownMinutes ?? 0) * 60_000;
  for (const e of drills) {
    const id = `drill ${e.name.slice(0, 8)} (started ${at(f, e.startedAt)})`;
    const acquire = stepsOf(e, 'manage-lease').find((s) => leaseAction(s) === 'acquire' && acquiredLease(s) !== undefined);
    if (!acquire) {
      if (e.status !== 'RUNNING' && e.error === 'InvalidTriggerError')
        bad.push(`${id} was refused at its trigger though the config allows it: ${(e.cause ?? '').slice(0, 200)}`);
      else good.push(`${id}: ${e.status === 'RUNNING' ? 'had not reached the lease when the run ended' : `ended before the lease (${e.error ?? e.status})`}`);
      continue;
    }
    if (acquiredLease(acquire) === false) {
      const t = acquire.startedAt;
      const others = f.executions.filter((x) => x !== e && ofDatabase(f, x));
      const holder = others.find((x) => leaseHeld(f, x).some((h) => h.from <= t && h.to >= t));
      const waiting = others.find((x) => failbackWaits(f, x).some((w) => w.from <= t && w.to >= t));
      const cooling = others.flatMap((x) => leaseHeld(f, x)).find((h) => h.to < t && t - h.to <= cooldownMs);
      if (holder)
        good.push(
          `${id}: stood down at ${at(f, t)}, ${holder.stateMachine} ${holder.name.slice(0, 8)}${isDrillRun(holder) ? ' (a drill)' : ''} held the lease`,
        );
      else if (waiting)
        good.push(`${id}: stood down at ${at(f, t)}, failback ${waiting.name.slice(0, 8)} was waiting (stability window or approval): drills stay off`);
      else if (cooling)
        good.push(`${id}: stood down at ${at(f, t)}, in the ${f.config.cooldownMinutes} min cooldown after a run released the lease at ${at(f, cooling.to)}`);
      else bad.push(`${id} stood down at ${at(f, t)}, but no run of the database held the lease then, no failback was waiting and no cooldown was running`);
      continue;
    }
    // It took the lease. Did its fault really take the pair's primary down through its verification?
    const probeFrom = stepsOf(e, 'probe')
      .concat(stepsOf(e, 'probe-vantage'))
      .filter((s) => s.startedAt >= acquire.startedAt)
      .sort((x, y) => x.startedAt - y.startedAt)[0]?.startedAt;
    const verdictAt = stepsOf(e, 'evaluate-verdict').find((s) => !s.error && s.startedAt >= acquire.startedAt)?.endedAt;
    const until = verdictAt ?? e.stoppedAt ?? f.endMs;
    const from = probeFrom ?? until;
    const promotedBefore = f.promotions.find((p) => p.executionArn !== e.arn && p.startedAt < until);
    const down = promotedBefore ? undefined : primaryDown(f).find((i) => i.from <= from && i.to >= until);
    if (!down) {
      good.push(
        `${id}: held the lease; the primary was not really down through its verification${promotedBefore ? ` (${promotedBefore.instanceId} had been promoted before)` : ''}: nothing owed`,
      );
      continue;
    }
    const promoted = f.promotions.find((p) => p.executionArn === e.arn);
    const escalation = esc.find((x) => x.execution === e.name && x.at >= e.startedAt);
    const no = f.truth.answers.find(
      (a) => a.accepted && a.operator === 'reject' && a.step === 'failover' && a.at >= e.startedAt && a.at <= (e.stoppedAt ?? f.endMs),
    );
    const waiting = e.status === 'RUNNING' && e.approvals.some((a) => a.answer === undefined);
    const answeredAt = lastAnswerAt(e);
    const sDown = overlaps(standbyDown(f, e.startedAt), down.from, e.stoppedAt ?? f.endMs);
    const why = `${down.why} at ${at(f, down.from)}`;
    // After an answer (or a withdrawn question) the run verifies again: a primary back by then owes nothing.
    const lastVerdict = stepsOf(e, 'evaluate-verdict')
      .filter((s) => !s.error && s.startedAt >= acquire.startedAt)
      .at(-1);
    const backBeforeLast = lastVerdict?.endedAt !== undefined && lastVerdict.endedAt !== verdictAt && down.to <= lastVerdict.endedAt;
    if (promoted) good.push(`${id}: ${why}; it failed over (promoted ${promoted.instanceId} at ${at(f, promoted.startedAt)})`);
    else if (escalation?.evidence) good.push(`${id}: ${why}; it escalated (${escalation.cause}) and the world confirms: ${escalation.evidence}`);
    else if (no) good.push(`${id}: ${why}; an operator said no at ${at(f, no.at)}`);
    else if (waiting) good.push(`${id}: ${why}; a question waited for an answer when the run ended`);
    else if (sDown) good.push(`${id}: ${why}; ${sDown.why} at ${at(f, sDown.from)}: nothing to fail over to`);
    else if (backBeforeLast)
      good.push(`${id}: ${why}; the primary was back at ${at(f, down.to)}, before the run verified again (${at(f, lastVerdict!.endedAt!)}): nothing owed`);
    // Counted from the latest of the failure, the drill's start (a drill started on a primary down
    // for an hour owes nothing before it started) and the last answer.
    else if (e.status === 'RUNNING' && f.endMs - Math.max(down.from, e.startedAt, answeredAt) < b.seconds * 1000)
      good.push(
        `${id}: ${why}; still going when the run ended, before the bound${answeredAt > Math.max(down.from, e.startedAt) ? ` (counted from the last answer, at ${at(f, answeredAt)})` : e.startedAt > down.from ? ' (counted from the drill start)' : ''}`,
      );
    else {
      const verdict = stepsOf(e, 'evaluate-verdict').find((s) => !s.error && s.startedAt >= acquire.startedAt)?.output as { verdict?: string } | undefined;
      bad.push(
        `${id}: ${why} and the drill held the lease, but it ${e.status === 'RUNNING' ? `was still going ${secs(f.endMs - Math.max(down.from, e.startedAt))} s later (bound ${b.seconds} s)` : `ended ${e.status}${e.error ? ` (${e.error})` : ''}`} without failing over${verdict?.verdict ? ` (verdict ${verdict.verdict})` : ''}${escalation ? `; its escalation (${escalation.cause || 'no cause'}) is not confirmed by the world` : ''}`,
      );
    }
  }
  if (bad.length) return { name, held: false, detail: [...bad, ...good].join('; ') };
  return { name, held: true, detail: good.join('; ') };
}

/**
 * `incident-not-blocked-by-drill`: a real (not drill) run never found its database's lease held by
 * a drill of another pair, and the database's warranted failover (`failover-when-warranted`) did not
 * miss its bound while a drill ran on another pair.
 */
function incidentNotBlockedByDrill(f: LivenessFacts, warranted: LivenessResult): LivenessResult {
  const name = 'incident-not-blocked-by-drill' as const;
  const drills = f.executions.filter(isDrillRun);
  if (drills.length === 0) return { name, held: true, detail: 'no drill run' };
  const bad: string[] = [];
  for (const e of f.executions.filter((x) => !isDrillRun(x))) {
    for (const s of stepsOf(e, 'manage-lease').filter((x) => leaseAction(x) === 'acquire' && acquiredLease(x) === false)) {
      const holder = f.executions.find((x) => x.arn === (s.output as { heldBy?: string } | undefined)?.heldBy);
      if (holder && isDrillRun(holder) && holder.database !== e.database) {
        bad.push(
          `${e.stateMachine} ${e.name.slice(0, 8)} of ${e.database ?? '?'} found the lease held by drill ${holder.name.slice(0, 8)} of ${holder.database ?? '?'} at ${at(f, s.startedAt)}`,
        );
      }
    }
  }
  const elsewhere = drills.filter((d) => !ofDatabase(f, d));
  if (!warranted.held) {
    const during = elsewhere.find((d) => d.startedAt <= f.endMs && (d.stoppedAt ?? f.endMs) >= f.startMs);
    if (during)
      bad.push(
        `${f.database ?? 'the database'}'s warranted failover missed its bound while drill ${during.name.slice(0, 8)} ran on ${during.database ?? '?'} (${at(f, during.startedAt)}..${during.stoppedAt === undefined ? 'the end' : at(f, during.stoppedAt)}): ${warranted.detail.slice(0, 300)}`,
      );
  }
  if (bad.length) return { name, held: false, detail: bad.join('; ') };
  return {
    name,
    held: true,
    detail: `${drills.length} drill run(s) (${elsewhere.length} on another pair): no real run found a drill of another pair holding its lease${warranted.held ? '' : ''}`,
  };
}

// ------------------------------------------------------------------ all of them

/** The liveness checks, in the contract's order, and the escalations they judged. */
export function liveness(f: LivenessFacts): { results: LivenessResult[]; escalations: Escalation[] } {
  const esc = judgedEscalations(f);
  const fo = failoverBound(f.config);
  const fb = failbackBound(f.config);
  const warranted = { ...failoverWhenWarranted(f, fo, esc), bound: { seconds: fo.seconds, derivation: describeBound(fo) } };
  return {
    results: [
      warranted,
      { ...failbackWhenApproved(f, fb, esc), bound: { seconds: fb.seconds, derivation: describeBound(fb) } },
      escalationJustified(f, esc),
      { ...drillCompletes(f, fo, esc), bound: { seconds: fo.seconds, derivation: describeBound(fo) } },
      incidentNotBlockedByDrill(f, warranted),
    ],
    escalations: esc,
  };
}
