/**
 * What a drill measures and judges, from what the world recorded (pure functions over plain
 * data): RTO, detection time and data loss from the application clients' writes, the outcome,
 * the writer at the end, and the eight safety invariants of docs/scenarios.md.
 *
 * A config may protect several databases. Writes, promotions, deletions, DNS checks and runs each
 * name the database they belong to (`database`; absent: the scenario's database), the figures are
 * the scenario database's ({@link forDatabase}), and every invariant is judged per database: one
 * writer per database, not one in all ({@link invariants}).
 */
import type { CheckBudgetOutput } from '../../lambdas/shared/contracts.js';
import { judgePerDatabase } from '../report/judge.js';
import type { InvariantResult, Outcome } from '../report/types.js';
import type { WriteRecord } from '../network.js';
import type { DeletionRecord } from '../services/rds.js';
import type { ClientAttempt } from './app-clients.js';
import type { ExecutionRecord } from './sfn-runtime.js';

/** A promotion (or a cold standby's restore), attributed to the execution whose call started it. */
export interface PromotionFact {
  instanceId: string;
  /** The promoted instance's Region and resource id (instances). */
  region?: string;
  resourceId?: string;
  sourceId?: string;
  /** The source's resource id: writes to a later instance that took over its name are not its writes. */
  sourceResourceId?: string;
  /** Virtual ms. */
  startedAt: number;
  completedAt?: number;
  /** Writes of the source after this moment are missing from the promoted instance. */
  dataUpToMs: number;
  /** The API call that started it. */
  action: string;
  executionArn?: string;
  /** The database whose standby (or rebuilt site) was promoted; absent: the scenario's. */
  database?: string;
}

/** A fault or operator action of the scenario as applied (virtual ms). */
export interface AppliedEvent {
  at: number;
  kind: string;
  /** True for faults that stop the primary taking writes from someone (crash, partition, its Region out). */
  failure: boolean;
}

/** DNS and writers when an execution stopped (for dns-follows-writer). */
export interface DnsCheck {
  executionArn: string;
  executionName: string;
  at: number;
  /** The instance/cluster the record leads to (through INSYNC records), or null. */
  resolvesTo: string | null;
  /** Instances/clusters that take writes from a client that can reach them. */
  writers: string[];
  /** The database whose record and instances were checked; absent: the scenario's. */
  database?: string;
}

/** An API call made on behalf of an execution (or by anyone: executionArn undefined). */
export interface CallFact {
  at: number;
  key: string;
  ok: boolean;
  executionArn?: string;
  input?: Record<string, unknown>;
  /** A failed call: the error's name and (the start of) its message, as the world answered. */
  error?: string;
  message?: string;
  /** The database whose resource the call acted on (instance, cluster, record, security group, stack), when it names one. */
  touches?: string;
}

/** A record that names the database it belongs to (absent: the scenario's database). */
export type OfDatabase<T> = T & { database?: string };

/** What the invariants need to know of one database of the config. */
export interface DatabaseFacts {
  name: string;
  rpoBudgetSeconds: number;
  /** `failover.rpoEstimate` (absent: last-sample). */
  rpoEstimate?: 'last-sample' | 'strict';
  failbackPolicy: string;
  /** `drillTarget: true` (a designated drill pair). */
  drillTarget?: boolean;
  /** Databases whose `gameDay.drillPair` names this one, and whether each opted in to a production pair. */
  drilledBy?: Array<{ name: string; allowProductionTarget: boolean }>;
}

export interface DrillFacts {
  startMs: number;
  endMs: number;
  /** The scenario's database (the one its faults and expectations are about). */
  database: string;
  roles: { primary: string | null; standby: string | null };
  rpoBudgetSeconds: number;
  /** `failover.rpoEstimate` (absent: last-sample). */
  rpoEstimate?: 'last-sample' | 'strict';
  failbackPolicy: string;
  /** Every database of the config, in config order (absent: only the scenario's). */
  databases?: DatabaseFacts[];
  events: AppliedEvent[];
  /** The application clients' attempts (they use the scenario database). */
  attempts: ClientAttempt[];
  /**
   * Every database's own clients' attempts, when the drill ran clients on each
   * (`DrillOptions.clientsOnEveryDatabase`): {@link forDatabase} gives each database its own.
   */
  attemptsByDatabase?: Record<string, ClientAttempt[]>;
  writes: OfDatabase<WriteRecord>[];
  promotions: PromotionFact[];
  /** Moves of the writer without a promotion (a DNS switch to a former writer): see {@link takeovers}. */
  takeovers?: PromotionFact[];
  executions: ExecutionRecord[];
  calls: CallFact[];
  deletions: OfDatabase<DeletionRecord>[];
  dnsChecks: DnsCheck[];
  /** Approvals still waiting for an answer at the end. */
  pendingApprovals: number;
  /** The same, by database (the runs of each); {@link forDatabase} gives each database its own. */
  pendingApprovalsByDatabase?: Record<string, number>;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;
const at = (f: DrillFacts, ms: number): string => `t=${seconds(ms - f.startMs)}s`;

/** API calls that change something (for one-incident-at-a-time). */
const MUTATING =
  /^(rds:(Promote|Modify|Reboot|Stop|Start|Create|Delete|Failover|Switchover)|route53:ChangeResourceRecordSets|ec2:(Revoke|Authorize)|cloudformation:UpdateStack)/;

// ------------------------------------------------------------------ execution facts

/** The step of a function folder, in order. */
export const stepsOf = (e: ExecutionRecord, folder: string) => e.steps.filter((s) => s.folder === folder);

/**
 * The lease windows of an execution: each from an acquisition to the next release (or the run's
 * end). A failback lets the lease go for its stability window and its approval and takes it again
 * to act: two windows.
 */
export function leaseWindows(e: ExecutionRecord, endMs: number): Array<{ from: number; to: number }> {
  const lease = stepsOf(e, 'manage-lease');
  const action = (s: (typeof lease)[number]) => String((s.input as { action?: string }).action);
  const windows: Array<{ from: number; to: number }> = [];
  let open: number | undefined;
  for (const s of lease) {
    if (open === undefined && action(s) === 'acquire' && (s.output as { acquired?: boolean } | undefined)?.acquired === true) open = s.endedAt ?? s.startedAt;
    else if (open !== undefined && ['release', 'record-failover'].includes(action(s)) && !s.error) {
      windows.push({ from: open, to: s.endedAt ?? s.startedAt });
      open = undefined;
    }
  }
  if (open !== undefined) windows.push({ from: open, to: e.stoppedAt ?? endMs });
  return windows;
}

/** The first lease window of an execution (undefined: it never held the lease). */
export const leaseWindow = (e: ExecutionRecord, endMs: number): { from: number; to: number } | undefined => leaseWindows(e, endMs)[0];

/** The execution's trigger kind (accept-trigger's output), if it got that far. */
export const triggerKind = (e: ExecutionRecord): string | undefined =>
  (stepsOf(e, 'accept-trigger').find((s) => !s.error)?.output as { kind?: string } | undefined)?.kind;

/**
 * Did the execution end as escalated? It reached the escalation path, or one of its approvals
 * timed out unanswered (docs/scenarios.md: an unanswered approval "changes nothing, tells the
 * operators, and ends that workflow run as `escalated`", even when the run then ends cleanly, as
 * the failback does, releasing its lease).
 */
export const escalated = (e: ExecutionRecord): boolean =>
  stepsOf(e, 'record-incident').some((s) => (s.input as { phase?: string }).phase === 'escalated') || e.approvals.some((a) => a.answer === 'timeout');

// ------------------------------------------------------------------ figures

/** When the primary stopped taking writes: the first failure fault, or (none) the first failed client write before the promoted writer's first write. */
export function failureAt(f: DrillFacts): number | null {
  const first = f.promotions[0];
  const fault = f.events.find((e) => e.failure && (!first || e.at <= first.startedAt));
  if (fault) return fault.at;
  if (!first) return null;
  const newWriterFirst = f.attempts.find((a) => a.ok && a.target === first.instanceId && a.at >= first.startedAt);
  const lastOld = [...f.attempts].reverse().find((a) => a.ok && a.target === first.sourceId && a.at <= (newWriterFirst?.at ?? f.endMs));
  const firstFailed = f.attempts.find((a) => !a.ok && a.at > (lastOld?.at ?? f.startMs) && a.at <= (newWriterFirst?.at ?? f.endMs));
  return firstFailed?.at ?? lastOld?.at ?? first.startedAt;
}

/** RTO (s): from the failure to the first client write the promoted instance accepted. */
export function rtoSeconds(f: DrillFacts, failure: number | null): number | null {
  const first = f.promotions[0];
  if (!first || failure === null) return null;
  const write = f.attempts.find((a) => a.ok && a.target === first.instanceId && a.at >= failure);
  return write ? seconds(write.at - failure) : null;
}

/**
 * The failback's planned write outage (s): for each promotion a failback run made (its
 * switchover), from the clients' last successful write or writability check before it began
 * (before the fence of the current writer) to the first one the promoted instance answered; the
 * longest of them. Null when no failback promoted anything (or nothing was written after it).
 */
export function failbackOutageSeconds(f: DrillFacts): number | null {
  let longest: number | null = null;
  for (const p of f.promotions) {
    const e = f.executions.find((x) => x.arn === p.executionArn);
    if (e?.stateMachine !== 'failback') continue;
    const after = f.attempts.find((a) => a.ok && a.target === p.instanceId && a.at >= p.startedAt);
    const before = [...f.attempts].reverse().find((a) => a.ok && a.at < p.startedAt && a.target !== p.instanceId);
    if (!after || !before) continue;
    const s = seconds(after.at - before.at);
    longest = longest === null ? s : Math.max(longest, s);
  }
  return longest;
}

/** One database's figures in a drill: its RTO and detection time (s), and whether it failed over to its standby. */
export interface DatabaseFigures {
  database: string;
  rtoSeconds: number | null;
  detectionSeconds: number | null;
  promotions: number;
  /** The database's outcome (null without its own clients: the writer at the end is unknown). */
  outcome: Outcome | null;
  /** From the failure to the start of its first promotion (s). */
  promotionStartedSeconds: number | null;
  /** From the failure to its runs' first accepted DNS change (s). */
  dnsChangedSeconds: number | null;
  writerAtEnd: string | null;
}

/**
 * The figures of every database of the facts, each from its own facts ({@link forDatabase}); a
 * database's RTO needs its own clients' attempts (`attemptsByDatabase`), else it is null.
 */
export function figuresPerDatabase(f: DrillFacts): DatabaseFigures[] {
  return databasesOf(f).map((d) => {
    const own = forDatabase(f, d.name);
    const mine = d.name === f.database || f.attemptsByDatabase?.[d.name] !== undefined;
    const failure = failureAt(own);
    const runs = new Set(own.executions.map((e) => e.arn));
    const dns =
      failure === null
        ? undefined
        : own.calls.find((c) => c.ok && c.key === DNS_CHANGE && c.executionArn !== undefined && runs.has(c.executionArn) && c.at >= failure);
    const promoted = own.promotions[0];
    return {
      database: d.name,
      rtoSeconds: mine ? rtoSeconds(own, failureAt(own)) : null,
      detectionSeconds: detectionSeconds(own),
      promotions: own.promotions.length,
      outcome: mine ? outcomeOf(own, writerAtEnd(own)) : null,
      promotionStartedSeconds: promoted && failure !== null ? seconds(promoted.startedAt - failure) : null,
      dnsChangedSeconds: dns && failure !== null ? seconds(dns.at - failure) : null,
      writerAtEnd: mine ? writerAtEnd(own) : null,
    };
  });
}

/** Detection (s): from the failure to the first workflow start after it. */
export function detectionSeconds(f: DrillFacts): number | null {
  const fault = f.events.find((e) => e.failure);
  if (!fault) return null;
  const started = f.executions.find((e) => e.startedAt >= fault.at);
  return started ? seconds(started.startedAt - fault.at) : null;
}

/** Who-wrote-when facts of a call that pointed the DNS record at an instance (run.ts sets `dnsTarget`). */
const DNS_CHANGE = 'route53:ChangeResourceRecordSets';

/**
 * Moves of the writer without a promotion: a run pointed the DNS record at an instance that had
 * stopped being the writer (a former primary, never rebuilt as a replica) and was not promoted
 * again. It has none of the writes its successor took, so those are lost by this move, not by the
 * promotion that once replaced it. The source is that successor; its data (for this instance)
 * starts when it was promoted.
 */
export function takeovers(f: DrillFacts): PromotionFact[] {
  const out: PromotionFact[] = [];
  for (const c of f.calls) {
    const target = c.input?.dnsTarget;
    if (!c.ok || c.key !== DNS_CHANGE || !c.executionArn || typeof target !== 'string') continue;
    const replaced = f.promotions.filter((q) => q.sourceId === target && q.startedAt < c.at).sort((a, b) => b.startedAt - a.startedAt)[0];
    if (!replaced) continue;
    if (f.promotions.some((q) => q.instanceId === target && q.startedAt > replaced.startedAt && q.startedAt <= c.at)) continue;
    if (out.some((t) => t.instanceId === target && t.sourceId === replaced.instanceId)) continue;
    out.push({
      instanceId: target,
      sourceId: replaced.instanceId,
      startedAt: c.at,
      dataUpToMs: replaced.completedAt ?? replaced.startedAt,
      action: DNS_CHANGE,
      executionArn: c.executionArn,
      ...(replaced.database ? { database: replaced.database } : {}),
    });
  }
  return out;
}

/** Promotions and moves of the writer without one, in time order. */
export const writerMoves = (f: DrillFacts): PromotionFact[] => [...f.promotions, ...(f.takeovers ?? [])].sort((a, b) => a.startedAt - b.startedAt);

/** The parts of one move's loss (s). */
export interface LossParts {
  /** Span of source writes after the copy's data ends and before the move began (the lag: data at risk at the failure). */
  lag: number;
  /** Seconds in which the old writer took writes after the move began (an unfenced old primary: split-brain writes, all lost). */
  after: number;
  /** When those writes happened (virtual ms), if any. */
  afterFrom?: number;
  afterTo?: number;
}

/** Data lost by one move of the writer, by cause. */
export function lossParts(f: DrillFacts, p: PromotionFact): LossParts {
  // A copy that never took a write (the record never led to it) lost nothing: the old writer,
  // which kept every write, still serves. (A run stopped between its promotion and its DNS switch.)
  const served = f.writes.some((w) => w.target === p.instanceId && w.at >= p.startedAt && (!p.resourceId || !w.resourceId || w.resourceId === p.resourceId));
  if (!served) return { lag: 0, after: 0 };
  // Writes the source took after it became the writer again (a later promotion of it, e.g. an
  // Aurora switchover back to a cluster that kept its name, or a DNS move back to it) are new
  // writes, not lost ones: they belong to the move that made it the writer again.
  const again = writerMoves(f)
    .filter((q) => q.instanceId === p.sourceId && q.startedAt > p.startedAt)
    .map((q) => q.startedAt);
  const until = again.length ? Math.min(...again) : Infinity;
  const lost = f.writes.filter(
    (w) => w.target === p.sourceId && (!p.sourceResourceId || !w.resourceId || w.resourceId === p.sourceResourceId) && w.at > p.dataUpToMs && w.at < until,
  );
  const lag = lost.filter((w) => w.at <= p.startedAt);
  const after = lost.filter((w) => w.at > p.startedAt);
  const parts: LossParts = {
    lag: lag.length ? seconds(Math.max(...lag.map((w) => w.at)) - p.dataUpToMs) : 0,
    after: new Set(after.map((w) => Math.floor(w.at / 1000))).size,
  };
  if (after.length) {
    parts.afterFrom = Math.min(...after.map((w) => w.at));
    parts.afterTo = Math.max(...after.map((w) => w.at));
  }
  return parts;
}

/** Data lost by one promotion (s): the lag part plus the seconds of writes an unfenced old primary took after it began. */
export function lossOf(f: DrillFacts, p: PromotionFact): number {
  const parts = lossParts(f, p);
  return Math.round((parts.lag + parts.after) * 1000) / 1000;
}

/** Data loss (s) of the failover (the first promotion); null when nothing failed over. */
export function dataLossSeconds(f: DrillFacts): number | null {
  const first = f.promotions[0];
  return first ? lossOf(f, first) : null;
}

/**
 * Overlaps a human explicitly accepted: a run's approved "promote without a confirmed fence",
 * answered before its promotion began, accepts that the old primary may take writes until the
 * product fences it (the failover fences it again at every check, then every 15 s). At most this
 * long, in all, for that pair; a longer overlap was not fenced as promptly as promised.
 */
export const ACCEPTED_UNFENCED_SECONDS = 30;

/** The promotion whose run a human approved to go on unfenced, with the approver (undefined when none). */
function unfencedApproval(f: DrillFacts, p: PromotionFact): string | undefined {
  const e = f.executions.find((x) => x.arn === p.executionArn);
  if (!e) return undefined;
  const a = e.approvals.find((x) => x.answer === 'approve' && x.decision === 'promote-unfenced' && (x.answeredAt ?? Infinity) <= p.startedAt);
  if (a) return `${e.stateMachine} ${e.name.slice(0, 8)}: a human approved promoting without a confirmed fence`;
  // The run recorded and told the operators, before promoting, that the old primary was not
  // fenced and who accepted that (the config's best-effort fencing, or an old primary that was
  // down): the same accepted risk, bounded the same way.
  const told = stepsOf(e, 'record-incident').find(
    (s) => (s.input as { phase?: string } | undefined)?.phase === 'unfenced-promotion' && s.error === undefined && (s.endedAt ?? Infinity) <= p.startedAt,
  );
  const by = (told?.input as { detail?: { acceptedBy?: unknown } } | undefined)?.detail?.acceptedBy;
  return told
    ? `${e.stateMachine} ${e.name.slice(0, 8)}: the run promoted over an unconfirmed fence, told the operators, and fences the old primary as soon as it answers (accepted by ${typeof by === 'string' ? by : 'the config'})`
    : undefined;
}

/** The instance the clients write to at the end (their last round), or null. */
export function writerAtEnd(f: DrillFacts): string | null {
  const ok = f.attempts.filter((a) => a.ok && a.at >= f.endMs - 2000);
  return ok.length ? (ok[ok.length - 1]!.target ?? null) : null;
}

/** How the run ended (docs/scenarios.md "Outcomes"). */
export function outcomeOf(f: DrillFacts, writer: string | null): Outcome {
  if (f.pendingApprovals > 0) return 'awaiting-approval';
  const decisive = f.executions.filter((e) => leaseWindow(e, f.endMs) !== undefined).sort((a, b) => a.startedAt - b.startedAt);
  const last = decisive[decisive.length - 1];
  const lastPromotion = f.promotions[f.promotions.length - 1];
  if (last && escalated(last) && (!lastPromotion || lastPromotion.startedAt <= (last.stoppedAt ?? f.endMs))) return 'escalated';
  if (f.promotions.length === 0) {
    const rejected = decisive.some((e) => e.approvals.some((a) => a.step === 'failover' && a.answer === 'reject'));
    return rejected ? 'aborted' : 'no-failover';
  }
  const failedBack = f.executions.some((e) => e.stateMachine === 'failback' && f.promotions.some((p) => p.executionArn === e.arn));
  if (failedBack && writer !== null && writer === f.roles.primary) return 'failed-back';
  return 'failed-over';
}

// ------------------------------------------------------------------ invariants

function singleWriter(f: DrillFacts): InvariantResult {
  const bySecond = new Map<number, Set<string>>();
  for (const w of f.writes) {
    const s = Math.floor((w.at - f.startMs) / 1000);
    const set = bySecond.get(s) ?? new Set<string>();
    set.add(w.target);
    bySecond.set(s, set);
  }
  const both = [...bySecond.entries()].filter(([, s]) => s.size > 1).sort((a, b) => a[0] - b[0]);
  // An overlap of a promoted instance and its old primary, after a human approved promoting it
  // without a confirmed fence, is an accepted risk: reported with its length, and held only while
  // it stays within ACCEPTED_UNFENCED_SECONDS. Any other overlap breaks the invariant.
  const accepted: string[] = [];
  const unaccepted = both.filter(([second, set]) => {
    if (set.size !== 2) return true;
    const at = f.startMs + second * 1000;
    const p = f.promotions.find(
      (q) => set.has(q.instanceId) && q.sourceId !== undefined && set.has(q.sourceId) && q.startedAt <= at + 999 && unfencedApproval(f, q),
    );
    return !p;
  });
  if (unaccepted.length === 0 && both.length > 0) {
    const pairs = new Map<string, number[]>();
    for (const [second, set] of both) pairs.set([...set].sort().join(' and '), [...(pairs.get([...set].sort().join(' and ')) ?? []), second]);
    for (const [pair, secs] of pairs) {
      if (secs.length > ACCEPTED_UNFENCED_SECONDS) {
        return {
          name: 'single-writer',
          held: false,
          detail: `${pair} both took writes in ${secs.length} second(s) (t=${secs[0]}s..${secs.at(-1)}s) after an accepted unfenced promotion: longer than the ${ACCEPTED_UNFENCED_SECONDS} s accepted`,
        };
      }
      const second = secs[0]!;
      const why = f.promotions
        .map((q) =>
          pair.includes(q.instanceId) && q.sourceId !== undefined && pair.includes(q.sourceId) && q.startedAt <= f.startMs + second * 1000 + 999
            ? unfencedApproval(f, q)
            : undefined,
        )
        .find(Boolean);
      accepted.push(`${pair} both took writes in ${secs.length} second(s) (t=${secs[0]}s..${secs.at(-1)}s): accepted risk (${why ?? 'unfenced promotion'})`);
    }
  }
  if (unaccepted.length > 0) {
    const [s, set] = unaccepted[0]!;
    return {
      name: 'single-writer',
      held: false,
      detail: `${[...set].sort().join(' and ')} both took writes in second ${s} (t=${s}s)${unaccepted.length > 1 ? `, and in ${unaccepted.length - 1} more second(s)` : ''}`,
    };
  }
  const targets = [...new Set(f.writes.map((w) => w.target))];
  if (accepted.length)
    return { name: 'single-writer', held: true, detail: `overlap: ${accepted.join('; ')} (instances that took writes: ${targets.join(', ')})` };
  return {
    name: 'single-writer',
    held: true,
    detail: `${f.writes.length} accepted writes; never two instances in the same second (instances that took writes: ${targets.join(', ') || 'none'})`,
  };
}

function verifiedBeforePromotion(f: DrillFacts): InvariantResult {
  const problems: string[] = [];
  // What allowed each promotion, as it happened (never a human approval that was not given).
  const grounds: string[] = [];
  for (const p of f.promotions) {
    const e = f.executions.find((x) => x.arn === p.executionArn);
    if (!e) {
      problems.push(`${p.instanceId} was promoted at ${at(f, p.startedAt)} by no workflow run`);
      continue;
    }
    const before = (ms: number | undefined) => ms !== undefined && ms <= p.startedAt;
    const confirmed = stepsOf(e, 'evaluate-verdict').some(
      (s) => before(s.endedAt) && (s.output as { verdict?: string } | undefined)?.verdict === 'confirmed-down',
    );
    const approved = e.approvals.some((a) => a.answer === 'approve' && before(a.answeredAt));
    const operator = triggerKind(e) === 'operator';
    const planned = f.failbackPolicy === 'automatic' && e.stateMachine === 'failback' && plannedSwitchover(e, p, before);
    if (!confirmed && !approved && !operator && !planned)
      problems.push(
        `${p.instanceId} was promoted at ${at(f, p.startedAt)} by ${e.stateMachine} ${e.name} without a confirmed-down verdict or a human approval`,
      );
    else {
      const approver = e.approvals.find((a) => a.answer === 'approve' && before(a.answeredAt))?.approver;
      const why = [
        ...(confirmed ? ['a confirmed-down verdict'] : []),
        ...(approved ? [`an approval by ${approver ?? 'an operator'}`] : []),
        ...(operator ? ["an operator's request"] : []),
        ...(planned ? ['a planned failback switchover (policy automatic)'] : []),
      ];
      grounds.push(`${p.instanceId} at ${at(f, p.startedAt)} after ${why.join(' and ')}`);
    }
  }
  if (problems.length) return { name: 'verified-before-promotion', held: false, detail: problems.join('; ') };
  return {
    name: 'verified-before-promotion',
    held: true,
    detail: f.promotions.length ? `${f.promotions.length} promotion(s): ${grounds.join('; ')}` : 'nothing was promoted',
  };
}

/**
 * A failback promotion under policy `automatic` is authorized by the policy, not by a failure
 * verdict: it counts as verified when it is the planned switchover the contract describes, i.e.
 * an Aurora `SwitchoverGlobalCluster` (it synchronizes first), or, for instances, a promotion
 * after the run confirmed the current primary fenced and saw the replica drained (lag 0).
 */
function plannedSwitchover(e: ExecutionRecord, p: PromotionFact, before: (ms: number | undefined) => boolean): boolean {
  if (p.action.endsWith('SwitchoverGlobalCluster')) return true;
  const fenced = stepsOf(e, 'fence-primary').some(
    (s) => before(s.endedAt) && (s.input as { site?: string }).site !== 'standby' && (s.output as { confirmed?: boolean } | undefined)?.confirmed === true,
  );
  const drained = stepsOf(e, 'check-replica').some(
    (s) => before(s.endedAt) && (s.input as { mode?: string }).mode === 'drained' && (s.output as { drained?: boolean } | undefined)?.drained === true,
  );
  return fenced && drained;
}

/** What the run's last data-loss budget check before `ms` answered (the figure a promotion relied on). */
function budgetCheckBefore(e: ExecutionRecord, ms: number): Partial<CheckBudgetOutput> | undefined {
  const done = stepsOf(e, 'check-data-loss-budget').filter((s) => !s.error && s.output !== undefined && (s.endedAt ?? Infinity) <= ms);
  return done.at(-1)?.output as Partial<CheckBudgetOutput> | undefined;
}

function dataLossWithinBudget(f: DrillFacts): InvariantResult {
  const problems: string[] = [];
  const notes: string[] = [];
  // Each move of the writer answers for the writes it lost: a promotion for its source's writes
  // (until the source became the writer again), a DNS move to a former writer for its successor's.
  for (const p of writerMoves(f)) {
    const parts = lossParts(f, p);
    const what =
      p.action === DNS_CHANGE
        ? `pointing the DNS record at ${p.instanceId} (not promoted: a former writer without ${p.sourceId}'s writes)`
        : `promoting ${p.instanceId}`;
    const approver = parts.after > 0 ? unfencedApproval(f, p) : undefined;
    // Writes an unfenced old primary took after the promotion began are the overlap a human accepted
    // (bounded); otherwise they count with the lag against the budget.
    const afterAccepted = approver !== undefined && parts.after <= ACCEPTED_UNFENCED_SECONDS;
    const afterNote =
      parts.after > 0
        ? `; ${parts.after} s of writes ${p.sourceId} took after it began (t=${seconds(parts.afterFrom! - f.startMs)}s..${seconds(parts.afterTo! - f.startMs)}s)${afterAccepted ? ', accepted with the unfenced promotion' : ''}`
        : '';
    const loss = afterAccepted ? parts.lag : Math.round((parts.lag + parts.after) * 1000) / 1000;
    if (loss <= f.rpoBudgetSeconds) {
      notes.push(`${p.instanceId}: ${loss} s${afterNote}`);
      continue;
    }
    const e = f.executions.find((x) => x.arn === p.executionArn);
    const accepted = e?.approvals.some((a) => a.answer === 'approve' && a.decision === 'accept-data-loss' && (a.answeredAt ?? Infinity) <= p.startedAt);
    // rpoEstimate last-sample (docs/config.md) holds the last sample against the budget and reports
    // the bound the loss cannot exceed; lag that grew after the sample is accepted up to that bound.
    const check = e ? budgetCheckBefore(e, p.startedAt) : undefined;
    const lastSample =
      (f.rpoEstimate ?? 'last-sample') === 'last-sample' &&
      check?.estimate === 'last-sample' &&
      check.withinBudget === true &&
      typeof check.boundSeconds === 'number';
    if (accepted || (e && triggerKind(e) === 'operator'))
      notes.push(`${p.instanceId}: ${loss} s, over the ${f.rpoBudgetSeconds} s budget with a human's approval${afterNote}`);
    else if (lastSample && loss <= check.boundSeconds!) {
      notes.push(
        `${p.instanceId}: ${loss} s, over the ${f.rpoBudgetSeconds} s budget by lag that grew after the last sample (${check.lagSeconds} s), within the ${check.boundSeconds} s bound the check reported (rpoEstimate last-sample)${afterNote}`,
      );
    } else if (lastSample) {
      problems.push(
        `${what} lost ${loss} s of writes, over the ${f.rpoBudgetSeconds} s budget and over the ${check.boundSeconds} s bound the data-loss check reported (its last sample said ${check.lagSeconds} s)${afterNote}`,
      );
    } else problems.push(`${what} lost ${loss} s of writes, over the ${f.rpoBudgetSeconds} s budget, and no human accepted the loss${afterNote}`);
  }
  if (problems.length) return { name: 'data-loss-within-budget', held: false, detail: problems.join('; ') };
  return { name: 'data-loss-within-budget', held: true, detail: notes.length ? `budget ${f.rpoBudgetSeconds} s; ${notes.join('; ')}` : 'nothing was promoted' };
}

function oneIncidentAtATime(f: DrillFacts): InvariantResult {
  // Each lease window of a run, and each change it made outside them (a moment of its own).
  const windows: Array<{ e: ExecutionRecord; from: number; to: number }> = [];
  for (const e of f.executions) {
    const leases = leaseWindows(e, f.endMs);
    for (const w of leases) windows.push({ e, ...w });
    for (const c of f.calls)
      if (c.ok && c.executionArn === e.arn && MUTATING.test(c.key) && !leases.some((w) => c.at >= w.from && c.at <= w.to))
        windows.push({ e, from: c.at, to: c.at });
  }
  for (let i = 0; i < windows.length; i++) {
    for (let j = i + 1; j < windows.length; j++) {
      const a = windows[i]!;
      const b = windows[j]!;
      if (a.e === b.e || (a.e.database ?? f.database) !== (b.e.database ?? f.database)) continue;
      if (a.from < b.to && b.from < a.to) {
        return {
          name: 'one-incident-at-a-time',
          held: false,
          detail: `${a.e.stateMachine} ${a.e.name} (acting ${at(f, a.from)}..${at(f, a.to)}) and ${b.e.stateMachine} ${b.e.name} (acting ${at(f, b.from)}..${at(f, b.to)}) acted on ${a.e.database ?? f.database} at the same time`,
        };
      }
    }
  }
  const refused = f.executions.filter((e) =>
    stepsOf(e, 'manage-lease').some(
      (s) => (s.input as { action?: string }).action === 'acquire' && (s.output as { acquired?: boolean } | undefined)?.acquired === false,
    ),
  ).length;
  return {
    name: 'one-incident-at-a-time',
    held: true,
    detail: `${new Set(windows.map((w) => w.e)).size} run(s) acted, never two at once${refused ? `; ${refused} run(s) found the lease taken and stood down` : ''}`,
  };
}

function failbackApproved(f: DrillFacts): InvariantResult {
  if (f.failbackPolicy !== 'manual-approval')
    return { name: 'failback-approved', held: true, detail: `failback policy is "${f.failbackPolicy}": no approval required` };
  const problems: string[] = [];
  let failbacks = 0;
  for (const p of f.promotions) {
    const e = f.executions.find((x) => x.arn === p.executionArn);
    if (!e || e.stateMachine !== 'failback') continue;
    failbacks++;
    const approved = e.approvals.some((a) => a.step === 'failback' && a.answer === 'approve' && (a.answeredAt ?? Infinity) <= p.startedAt);
    if (!approved) problems.push(`failback ${e.name} promoted ${p.instanceId} at ${at(f, p.startedAt)} without an approved failback`);
  }
  if (problems.length) return { name: 'failback-approved', held: false, detail: problems.join('; ') };
  return { name: 'failback-approved', held: true, detail: failbacks ? `${failbacks} failback promotion(s), each approved` : 'no failback promotion happened' };
}

/** Runs that acted on the database: held the lease or made a change. */
const acted = (f: DrillFacts, executionArn: string): boolean => {
  const e = f.executions.find((x) => x.arn === executionArn);
  return (!!e && leaseWindow(e, f.endMs) !== undefined) || f.calls.some((c) => c.ok && c.executionArn === executionArn && MUTATING.test(c.key));
};

function dnsFollowsWriter(f: DrillFacts): InvariantResult {
  const problems: string[] = [];
  const checks = f.dnsChecks.filter((c) => acted(f, c.executionArn));
  for (const c of checks) {
    if (c.writers.length === 0) continue;
    if (c.resolvesTo === null || !c.writers.includes(c.resolvesTo)) {
      problems.push(
        `when ${c.executionName} finished (${at(f, c.at)}) the record led to ${c.resolvesTo ?? 'nothing'} but ${c.writers.join(' and ')} took writes`,
      );
    }
  }
  if (problems.length) return { name: 'dns-follows-writer', held: false, detail: problems.join('; ') };
  return {
    name: 'dns-follows-writer',
    held: true,
    detail: checks.length ? `checked when each of the ${checks.length} run(s) that acted finished` : 'no run that acted finished',
  };
}

function noDataDestroyed(f: DrillFacts): InvariantResult {
  const bad = f.deletions.filter((d) => !d.finalSnapshot && !d.retainedAutomatedBackups);
  if (bad.length)
    return {
      name: 'no-data-destroyed',
      held: false,
      detail: bad.map((d) => `${d.instanceId} was deleted at ${at(f, d.t)} without a final snapshot or retained backups`).join('; '),
    };
  return {
    name: 'no-data-destroyed',
    held: true,
    detail: f.deletions.length ? `${f.deletions.length} deletion(s), each with a retained copy` : 'no instance was deleted',
  };
}

/** A drill run (docs/game-days.md "Drill runs"): started by a Drill Requested (accepted as a drill, or refused at its trigger). */
export const isDrillRun = (e: ExecutionRecord): boolean =>
  triggerKind(e) === 'drill' || (e.input as { event?: { 'detail-type'?: unknown } } | null | undefined)?.event?.['detail-type'] === 'Drill Requested';

/**
 * docs/game-days.md: a drill acts only on its drill pair (a designated drill target, or a
 * production pair whose game day opted in with `allowProductionTarget`), and a drill that could not
 * take the lease stands down having touched nothing. Judged from the API calls each drill run made
 * that change something, and the database whose resource each call named (the world's, at the call).
 */
function drillConfined(f: DrillFacts): InvariantResult {
  const name = 'drill-confined' as const;
  const drills = f.executions.filter(isDrillRun);
  if (drills.length === 0) return { name, held: true, detail: 'no drill run' };
  const db = databasesOf(f).find((d) => d.name === f.database);
  const optedIn = (db?.drilledBy ?? []).filter((x) => x.allowProductionTarget).map((x) => x.name);
  const allowed = db?.drillTarget === true || optedIn.length > 0;
  const problems: string[] = [];
  const notes: string[] = [];
  for (const e of drills) {
    const changes = f.calls.filter((c) => c.ok && c.executionArn === e.arn && MUTATING.test(c.key));
    const lease = leaseWindow(e, f.endMs);
    const elsewhere = changes.filter((c) => c.touches !== undefined && c.touches !== f.database);
    if (elsewhere.length) {
      const c = elsewhere[0]!;
      problems.push(
        `drill run ${e.name} of ${f.database} called ${c.key} on ${c.touches}'s resources at ${at(f, c.at)}${elsewhere.length > 1 ? ` (and ${elsewhere.length - 1} more change(s) outside its drill pair)` : ''}`,
      );
    }
    if (!lease && changes.length)
      problems.push(
        `drill run ${e.name} never held the lease (it stood down) yet called ${changes[0]!.key} at ${at(f, changes[0]!.at)}${changes.length > 1 ? ` and ${changes.length - 1} more change(s)` : ''}`,
      );
    if ((lease || changes.length) && !allowed)
      problems.push(
        `drill run ${e.name} acted on ${f.database}, which is no drill target (drillTarget is not true) and no gameDay with allowProductionTarget names`,
      );
    notes.push(`${e.name.slice(0, 8)}: ${lease ? `held the lease, ${changes.length} change(s), all on ${f.database}` : 'stood down, touched nothing'}`);
  }
  if (problems.length) return { name, held: false, detail: problems.join('; ') };
  return {
    name,
    held: true,
    detail: `${drills.length} drill run(s) on ${f.database} (${db?.drillTarget ? 'a drill target' : `a production pair, opted in by ${optedIn.join(', ')}`}): ${notes.join('; ')}`,
  };
}

/** The invariants of the facts of one database, in the contract's order. */
function invariantsOfOne(f: DrillFacts): InvariantResult[] {
  return [
    singleWriter(f),
    verifiedBeforePromotion(f),
    dataLossWithinBudget(f),
    oneIncidentAtATime(f),
    failbackApproved(f),
    dnsFollowsWriter(f),
    noDataDestroyed(f),
    drillConfined(f),
  ];
}

/** The databases of the facts, in config order (the scenario's alone when the facts list none). */
export function databasesOf(f: DrillFacts): DatabaseFacts[] {
  return f.databases?.length
    ? f.databases
    : [{ name: f.database, rpoBudgetSeconds: f.rpoBudgetSeconds, ...(f.rpoEstimate ? { rpoEstimate: f.rpoEstimate } : {}), failbackPolicy: f.failbackPolicy }];
}

/**
 * The facts of one database: its writes, promotions, runs, deletions, DNS checks and pending
 * approvals (records that
 * name no database are the scenario database's), with its own budget and failback policy. The
 * application clients' attempts stay (they are the scenario database's) unless the drill ran
 * clients on every database (`attemptsByDatabase`): then they are the database's own. The
 * scenario's events stay; API calls stay (they are matched to runs by execution).
 */
export function forDatabase(f: DrillFacts, name: string): DrillFacts {
  const mine = (r: { database?: string }) => (r.database ?? f.database) === name;
  const db = databasesOf(f).find((d) => d.name === name);
  return {
    ...f,
    database: name,
    rpoBudgetSeconds: db?.rpoBudgetSeconds ?? f.rpoBudgetSeconds,
    rpoEstimate: db?.rpoEstimate ?? f.rpoEstimate,
    failbackPolicy: db?.failbackPolicy ?? f.failbackPolicy,
    databases: db ? [db] : [],
    attempts: f.attemptsByDatabase?.[name] ?? f.attempts,
    pendingApprovals: f.pendingApprovalsByDatabase ? (f.pendingApprovalsByDatabase[name] ?? 0) : f.pendingApprovals,
    writes: f.writes.filter(mine),
    promotions: f.promotions.filter(mine),
    ...(f.takeovers ? { takeovers: f.takeovers.filter(mine) } : {}),
    executions: f.executions.filter(mine),
    deletions: f.deletions.filter(mine),
    dnsChecks: f.dnsChecks.filter(mine),
  };
}

/**
 * The eight invariants, in the contract's order, each judged per database (docs/scenarios.md: one
 * writer per database, not one in all); each detail names the database.
 */
export function invariants(f: DrillFacts): InvariantResult[] {
  return judgePerDatabase(databasesOf(f).map((d) => ({ database: d.name, invariants: invariantsOfOne(forDatabase(f, d.name)) })));
}

/** The failover's DNS switch beside its promotion (virtual ms), for the report: were they in parallel? */
export interface DnsOverlapFacts {
  /** The promotion call (the first promotion). */
  promotionStartedAt: number;
  /** The same run's ChangeResourceRecordSets that pointed the record at the promoted instance. */
  dnsSwitchedAt: number;
  /** The run's first check of the standby that found it taking writes (null: none did). */
  writableAt: number | null;
}

/**
 * The first promotion's DNS switch, when the run that promoted pointed the record at the promoted
 * instance: with the overlap (docs/design.md "Failover, step by step") the switch comes right
 * after the promotion call, before the standby takes writes; without it, after. Null when no run
 * promoted and switched.
 */
export function dnsOverlapFacts(f: DrillFacts): DnsOverlapFacts | null {
  const p = f.promotions[0];
  if (!p?.executionArn) return null;
  const change = f.calls.find(
    (c) => c.ok && c.key === DNS_CHANGE && c.executionArn === p.executionArn && c.at >= p.startedAt && c.input?.dnsTarget === p.instanceId,
  );
  if (!change) return null;
  const e = f.executions.find((x) => x.arn === p.executionArn);
  const seen = e
    ? stepsOf(e, 'check-standby').find((s) => !s.error && s.startedAt >= p.startedAt && (s.output as { writable?: boolean } | undefined)?.writable === true)
    : undefined;
  return { promotionStartedAt: p.startedAt, dnsSwitchedAt: change.at, writableAt: seen ? (seen.endedAt ?? seen.startedAt) : null };
}
