/**
 * `failover report EXECUTION_ARN`: the drill report (twin/report: the same types and renderers)
 * built from a real execution: its history (Step Functions GetExecutionHistory, every page, and
 * DescribeExecution) and its incident record (`INCIDENT#<id>` in the state table), with the run it
 * is paired with (a failover's failback, a failback's failover) when the history or the record
 * links them. Read-only.
 *
 * What the report says comes from what the workflow saw and wrote: the trigger, the verdict, the
 * data-loss budget check, the fences, promotions and DNS changes (the functions' inputs and
 * outputs in the history), the approvals (who, when, what), the record's RTO. What only the
 * twin's ground truth knows (when the primary really stopped taking writes, the writes really
 * lost, the invariants judged on every write) is absent and listed in `evidence.notMeasured`,
 * never estimated. docs/game-days.md, "Evidence".
 *
 * {@link buildEvidenceReport} is pure (tests run it on fixed histories and records).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { FailoverConfig } from '../../lambdas/shared/config-schema.js';
import { judgeObjectives, objectivesFor } from '../../lambdas/shared/drill-objectives.js';
import { rtoSecondsOf } from '../../lambdas/record-incident/core.js';
import { summarizeConfig } from '../../twin/report/config-summary.js';
import {
  reportSchema,
  type EvidenceSection,
  type ExecutionSummary,
  type ObjectivesSummary,
  type Outcome,
  type Report,
  type TimelineEntry,
} from '../../twin/report/types.js';
import { stateMachineNames } from '../naming.js';
import { readCall, type OpsEnv } from './env.js';
import type { IncidentRecord } from './history.js';
import { locateControl } from './locate.js';

/** One history event as GetExecutionHistory returns it (the SDK's shape, dates or strings). */
export interface HistoryEventLike {
  id?: number;
  previousEventId?: number;
  type?: string;
  timestamp?: Date | string | number;
  [details: string]: unknown;
}

/** What DescribeExecution says of a run. */
export interface ExecutionView {
  executionArn: string;
  stateMachineArn?: string;
  name?: string;
  status?: string;
  startDate?: Date | string;
  stopDate?: Date | string;
  error?: string;
  cause?: string;
}

/** An incident record with the drill marker a drill run's record carries. */
export type EvidenceRecord = IncidentRecord & { drill?: { requestedFor?: string; fault?: string | null; scheduled?: boolean } };

/** One run: its description, its history (oldest first) and its incident record when found. */
export interface RunEvidence {
  execution: ExecutionView;
  events: readonly HistoryEventLike[];
  record?: EvidenceRecord;
}

export interface EvidenceInput {
  config: FailoverConfig;
  /** The run asked for and the run paired with it, in any order. */
  runs: readonly RunEvidence[];
  /** Where the config came from (shown in the report). */
  configSource?: string;
  where?: 'aws' | 'twin';
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const ms = (v: Date | string | number | undefined): number =>
  v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
const iso = (t: number): string => new Date(t).toISOString();
const parse = (text: unknown): unknown => {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};
const round3 = (n: number): number => Math.round(n * 1000) / 1000;
const shortName = (name: string): string => name.slice(0, 8);
const truncate = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const details = (e: HistoryEventLike): Obj => {
  for (const [k, v] of Object.entries(e)) if (k.endsWith('EventDetails')) return obj(v);
  return {};
};

/** One Task attempt read back from the history. */
interface Step {
  state: string;
  /** The function's folder (`<prefix>-<folder>`), `approval` for a callback, or the integration (`states:startExecution`). */
  folder: string;
  callback: boolean;
  at: number;
  input: Obj;
  submitted?: { at: number; output: Obj };
  output?: Obj;
  error?: { name: string; cause: string };
  timedOut?: boolean;
  endAt?: number;
}

interface ParsedRun {
  label: 'failover' | 'failback' | string;
  arn: string;
  name: string;
  status: string;
  startedAt: number;
  stoppedAt: number | null;
  error?: string;
  input: Obj;
  steps: Step[];
  choices: { at: number; state: string; choice: string }[];
  stateTransitions: number;
  historyEvents: number;
  record?: EvidenceRecord;
}

/** The function folder of a Lambda ARN or name, given the config's prefix. */
function folderOf(resource: string, prefix: string): string {
  const name = resource.split(':function:')[1]?.split(':')[0] ?? resource;
  return name.startsWith(`${prefix}-`) ? name.slice(prefix.length + 1) : name;
}

/** `failover`, `failback`, or the state machine's name, of an execution ARN (`…:execution:<machine>:<name>`). */
export function machineOf(executionArn: string, prefix: string): string {
  const machine = executionArn.split(':')[6] ?? '';
  return machine === stateMachineNames.failover(prefix) ? 'failover' : machine === stateMachineNames.failback(prefix) ? 'failback' : machine || 'execution';
}

/** Reads a run's Task attempts and choices from its history (pure). */
function parseRun(run: RunEvidence, config: FailoverConfig): ParsedRun {
  const prefix = config.prefix;
  const steps: Step[] = [];
  const choices: ParsedRun['choices'] = [];
  const open = new Map<string, Step[]>();
  let entered = '';
  let pendingChoice: { at: number; state: string } | null = null;
  let mapDepth = 0;
  let transitions = 0;
  let input: Obj = {};
  // A Task attempt's events name the one before them (previousEventId): Scheduled <- Started <-
  // Submitted <- the result. Histories without the link fall back to the oldest open attempt.
  const byId = new Map<number, Step>();
  const push = (key: string, s: Step, id: number | undefined) => {
    steps.push(s);
    open.set(key, [...(open.get(key) ?? []), s]);
    if (id !== undefined) byId.set(id, s);
  };
  const follow = (e: HistoryEventLike, key: string | undefined): Step | undefined => {
    const prev = typeof e.previousEventId === 'number' ? byId.get(e.previousEventId) : undefined;
    const s = prev ?? (key ? open.get(key)?.[0] : [...open.values()].find((l) => l.length > 0)?.[0]);
    if (s && e.id !== undefined) byId.set(e.id, s);
    return s;
  };
  const close = (s: Step) => {
    for (const list of open.values()) {
      const i = list.indexOf(s);
      if (i >= 0) list.splice(i, 1);
    }
  };
  for (const e of run.events) {
    const type = e.type ?? '';
    const d = details(e);
    const at = ms(e.timestamp);
    if (type === 'ExecutionStarted') input = obj(parse(d.input));
    if (type.endsWith('StateEntered')) {
      transitions++;
      const name = String(d.name ?? '');
      if (pendingChoice && mapDepth === 0) {
        choices.push({ at: pendingChoice.at, state: pendingChoice.state, choice: name });
        pendingChoice = null;
      }
      if (type === 'MapStateEntered') mapDepth++;
      if (type === 'ChoiceStateEntered' && mapDepth === 0) pendingChoice = { at, state: name };
      entered = name;
    }
    if (type === 'MapStateExited') mapDepth = Math.max(0, mapDepth - 1);
    switch (type) {
      case 'LambdaFunctionScheduled': {
        const resource = String(d.resource ?? '');
        push(resource, { state: entered, folder: folderOf(resource, prefix), callback: false, at, input: obj(parse(d.input)) }, e.id);
        break;
      }
      case 'TaskScheduled': {
        const key = `${String(d.resourceType)}:${String(d.resource)}`;
        const params = obj(parse(d.parameters));
        const callback = String(d.resource ?? '').endsWith('.waitForTaskToken');
        push(key, { state: entered, folder: callback ? 'approval' : key, callback, at, input: callback ? obj(params.Payload) : params }, e.id);
        break;
      }
      case 'LambdaFunctionStarted':
      case 'TaskStarted':
        follow(e, type === 'TaskStarted' ? `${String(d.resourceType)}:${String(d.resource)}` : undefined);
        break;
      case 'TaskSubmitted': {
        const s = follow(e, `${String(d.resourceType)}:${String(d.resource)}`);
        if (s) s.submitted = { at, output: obj(parse(d.output)) };
        break;
      }
      case 'LambdaFunctionSucceeded':
      case 'LambdaFunctionFailed':
      case 'LambdaFunctionTimedOut':
      case 'TaskSucceeded':
      case 'TaskFailed':
      case 'TaskTimedOut': {
        const s = follow(e, type.startsWith('Task') ? `${String(d.resourceType)}:${String(d.resource)}` : undefined);
        if (!s) break;
        close(s);
        s.endAt = at;
        if (type.endsWith('Succeeded')) s.output = obj(parse(d.output));
        else {
          s.error = { name: String(d.error ?? 'Error'), cause: String(d.cause ?? '') };
          if (type.endsWith('TimedOut')) s.timedOut = true;
        }
        break;
      }
      default:
        break;
    }
  }
  const label = machineOf(run.execution.executionArn, prefix);
  const name = run.execution.name ?? run.execution.executionArn.split(':').pop() ?? '';
  const stop = ms(run.execution.stopDate);
  return {
    label,
    arn: run.execution.executionArn,
    name,
    status: run.execution.status ?? 'UNKNOWN',
    startedAt: ms(run.execution.startDate ?? run.events[0]?.timestamp),
    stoppedAt: Number.isFinite(stop) ? stop : null,
    ...(run.execution.error ? { error: run.execution.error } : {}),
    input,
    steps,
    choices,
    stateTransitions: transitions,
    historyEvents: run.events.length,
    ...(run.record ? { record: run.record } : {}),
  };
}

/** The record-incident phases the drill's timeline words as it does (twin/drill/run.ts, Narrator). */
function phaseText(phase: string, d: Obj): string {
  const approver = String(obj(d.approval).approver ?? 'a human');
  const text: Record<string, string> = {
    detected: 'incident opened',
    verdict: `verdict: ${String(d.verdict)} (${truncate(String(d.reason ?? ''), 200)})`,
    'false-alarm': 'false alarm: the primary is healthy, nothing changed',
    approved: `approved by ${approver}${d.unfenced ? ' (promote without a confirmed fence)' : ''}`,
    rejected: `rejected by ${approver}: nothing changed`,
    'approval-timed-out': 'nobody answered the approval in time: nothing changed',
    'failed-over': 'failed over: the standby is the new primary (operators notified)',
    'failback-scheduled': 'failback scheduled',
    escalated: `escalated to the operators (${String(obj(d.error).Error ?? 'error')}); ${typeof d.lease === 'string' && d.lease.startsWith('released') ? 'the lease is released: nothing was changed' : 'the lease stays held'}`,
  };
  return text[phase] ?? `phase ${phase}`;
}

/**
 * How the runs ended, judged as the drill judges it (twin/drill/measure.ts outcomeOf) from what the
 * history shows: a question still waiting; the last run escalated (or failed) with no promotion
 * after it; nothing promoted (aborted when a failover question was rejected); the failback
 * promoted (failed back); else failed over.
 */
function outcomeOf(
  runs: readonly ParsedRun[],
  f: { waiting: boolean; escalatedRuns: ReadonlySet<string>; promotedBy: readonly { run: ParsedRun; at: number }[]; rejected: boolean },
): Outcome {
  if (f.waiting) return 'awaiting-approval';
  const last = runs[runs.length - 1]!;
  const lastPromotion = f.promotedBy[f.promotedBy.length - 1];
  const escalated = f.escalatedRuns.has(last.arn) || last.status === 'FAILED' || last.status === 'TIMED_OUT';
  if (escalated && (!lastPromotion || lastPromotion.at <= (last.stoppedAt ?? Number.POSITIVE_INFINITY))) return 'escalated';
  if (f.promotedBy.length === 0) return f.rejected ? 'aborted' : 'no-failover';
  if (f.promotedBy.some((p) => p.run.label === 'failback')) return 'failed-back';
  return 'failed-over';
}

/**
 * Builds the report of the runs (pure): the timeline as the drill words it, the workflow's
 * figures, the approvals, fences, promotions and DNS changes, the objectives when a game day
 * names the database, and what cannot be measured outside the twin.
 */
export function buildEvidenceReport(input: EvidenceInput): Report {
  const runs = input.runs.map((r) => parseRun(r, input.config)).sort((a, b) => a.startedAt - b.startedAt);
  if (runs.length === 0) throw new Error('no execution to report on');
  const main = runs.find((r) => r.label === 'failover') ?? runs[0]!;
  const triggerStep = main.steps.find((s) => s.folder === 'accept-trigger' && s.output);
  const trigger = triggerStep?.output ?? null;
  const triggerAt = ms(str(trigger?.at) ?? undefined);
  const origin = Number.isFinite(triggerAt) ? Math.min(triggerAt, runs[0]!.startedAt) : runs[0]!.startedAt;
  const t = (at: number): number => round3(Math.max(0, (at - origin) / 1000));
  const database = str(obj(main.input.database).name) ?? str(triggerStep?.input && obj(triggerStep.input.database).name) ?? input.config.databases[0]!.name;
  const dbConfig = input.config.databases.find((d) => d.name === database);

  const timeline: TimelineEntry[] = [];
  const log = (at: number, run: ParsedRun, event: string, detail: Obj = {}, source: TimelineEntry['source'] = 'workflow') =>
    timeline.push({
      t: t(at),
      source,
      event: `${run.label} ${shortName(run.name)}: ${event}`,
      detail: { execution: run.name, stateMachine: run.label, ...detail },
      at: iso(at),
    });
  if (trigger && Number.isFinite(triggerAt)) {
    timeline.push({
      t: t(triggerAt),
      source: 'alarm',
      event: `trigger: ${String(trigger.summary ?? trigger.kind)}`,
      detail: { trigger: trigger.kind, source: trigger.source },
      at: iso(triggerAt),
    });
  }

  const evidence: EvidenceSection = {
    source: 'execution-history',
    ...(input.where ? { where: input.where } : {}),
    origin: iso(origin),
    runs: [],
    trigger: trigger
      ? {
          kind: String(trigger.kind ?? 'unknown'),
          source: str(trigger.source),
          at: Number.isFinite(triggerAt) ? iso(triggerAt) : null,
          summary: str(trigger.summary),
        }
      : null,
    verdict: null,
    verificationSeconds: null,
    rto: null,
    dataAtRisk: null,
    decisions: [],
    approvals: [],
    fences: [],
    promotions: [],
    dnsSwitches: [],
    drill: null,
    notMeasured: [],
  };
  let writer: string | null = null;
  let failovers = 0;
  let waiting = false;
  const escalatedRuns = new Set<string>();
  /** The first verdict (detection ends there; a later one re-verified). */
  let firstVerdictAt: number | undefined;
  /** Runs that promoted, with when. */
  const promotedBy: { run: ParsedRun; at: number }[] = [];

  for (const run of runs) {
    const failover = run.label === 'failover';
    let writable = false;
    const incidentId = str(obj(run.steps.find((s) => s.folder === 'record-incident')?.input).incidentId) ?? (failover ? run.name : null);
    evidence.runs.push({
      executionArn: run.arn,
      stateMachine: run.label,
      incidentId,
      status: run.status,
      startedAt: iso(run.startedAt),
      stoppedAt: run.stoppedAt === null ? null : iso(run.stoppedAt),
      historyEvents: run.historyEvents,
      recorded: run.record !== undefined,
    });
    const marker = run.record?.drill ?? obj(run.steps.find((s) => s.folder === 'accept-trigger')?.output).drill;
    const m = obj(marker);
    if (str(m.requestedFor) && !evidence.drill) evidence.drill = { requestedFor: String(m.requestedFor), fault: str(m.fault), scheduled: m.scheduled === true };
    log(run.startedAt, run, 'started');
    for (const c of run.choices) evidence.decisions.push({ t: t(c.at), at: iso(c.at), run: run.label, state: c.state, choice: c.choice });
    for (const s of run.steps) {
      const at = s.endAt ?? s.at;
      const out = s.output ?? {};
      if (s.callback) {
        const asked = s.submitted;
        if (asked) {
          const step = String(s.input.step ?? run.label);
          const decision = String(s.input.decision ?? '');
          log(asked.at, run, `asked a human to approve (${step}: ${decision}), expires ${String(asked.output.expiresAt ?? '?')}`, {
            phase: step === 'failback' ? 'failback-approval' : 'approval-requested',
            step,
            decision,
          });
          const answer = s.output
            ? s.output.decision === 'approve'
              ? 'approve'
              : s.output.decision === 'reject'
                ? 'reject'
                : s.output.decision === 'reverify'
                  ? 'superseded'
                  : String(s.output.decision ?? 'answered')
            : s.timedOut
              ? 'timeout'
              : s.error
                ? 'reject'
                : null;
          if (answer === null && run.status === 'RUNNING') waiting = true;
          const approver = str(s.output?.approver);
          evidence.approvals.push({
            run: run.label,
            step,
            decision,
            askedAt: iso(asked.at),
            answer,
            approver,
            answeredAt: s.endAt === undefined ? null : iso(s.endAt),
            reason: str(s.output?.reason) ?? (s.error ? str(s.error.cause) : null),
          });
          if (s.endAt !== undefined && (answer === 'approve' || answer === 'reject')) {
            timeline.push({
              t: t(s.endAt),
              source: 'operator',
              event: `${approver ?? 'an operator'} ${answer === 'approve' ? 'approves' : 'rejects'} the ${step} (asked: ${decision})`,
              detail: { operator: answer, step, ...(approver ? { approver } : {}) },
              at: iso(s.endAt),
            });
          }
          if (answer === 'timeout') log(s.endAt ?? at, run, `the approval (${step}: ${decision}) expired unanswered`, { step });
          if (answer === 'superseded') log(s.endAt ?? at, run, `new evidence withdrew the question (${step}: ${decision}): verifying again`, { step });
        }
        continue;
      }
      if (s.error) {
        if (s.folder === 'probe-vantage') continue;
        log(at, run, `"${s.state}" failed: ${s.error.name}: ${truncate(s.error.cause, 600)}`, { state: s.state, error: s.error.name, cause: s.error.cause });
        continue;
      }
      if (!s.output) continue;
      switch (s.folder) {
        case 'accept-trigger':
          log(at, run, `trigger: ${String(out.summary ?? out.kind)}`, { trigger: out.kind, source: out.source });
          break;
        case 'manage-lease': {
          const action = String(s.input.action);
          if (action === 'acquire') {
            if (out.acquired) log(at, run, `took the incident lease (epoch ${String(out.epoch)})`, { epoch: out.epoch });
            else
              log(
                at,
                run,
                `stood down: ${String(out.outcome)}${out.heldBy ? ` (the lease is held by ${shortName(String(out.heldBy).split(':').pop() ?? '')})` : ''}`,
                { outcome: out.outcome },
              );
          } else if (action === 'release') log(at, run, 'released the lease');
          else if (action === 'record-failover') log(at, run, 'recorded the failover and released the lease');
          else log(at, run, `lease ${action}: ${String(out.outcome ?? 'done')}`, { action, outcome: out.outcome });
          break;
        }
        case 'record-incident': {
          const phase = String(s.input.phase);
          const d = obj(s.input.detail);
          log(at, run, phaseText(phase, d), { phase, ...(phase === 'escalated' ? { error: obj(d.error).Error } : {}) });
          if (phase === 'escalated') escalatedRuns.add(run.arn);
          if (phase === 'verdict' && str(d.verdict) && failover) {
            evidence.verdict = { verdict: String(d.verdict), reason: str(d.reason), at: iso(at) };
            firstVerdictAt ??= at;
          }
          break;
        }
        case 'evaluate-verdict':
          if (failover && str(out.verdict) && !evidence.verdict) evidence.verdict = { verdict: String(out.verdict), reason: str(out.reason), at: iso(at) };
          break;
        case 'check-data-loss-budget':
          log(at, run, `data-loss budget: ${truncate(String(out.detail ?? ''), 200)}`, {
            withinBudget: out.withinBudget,
            lagSeconds: out.lagSeconds,
            boundSeconds: out.boundSeconds,
          });
          if (failover) {
            evidence.dataAtRisk = {
              at: iso(at),
              lagSeconds: num(out.lagSeconds),
              boundSeconds: num(out.boundSeconds),
              budgetSeconds: num(out.budgetSeconds),
              withinBudget: typeof out.withinBudget === 'boolean' ? out.withinBudget : null,
              estimate: str(out.estimate),
              detail: String(out.detail ?? ''),
            };
          }
          break;
        case 'fence-primary':
          if (!out.confirmed && /^Fence the old primary (as soon as it answers|again while)/.test(s.state)) break;
          log(
            at,
            run,
            `fenced the old primary: ${out.confirmed ? 'confirmed' : 'NOT confirmed'} (${((out.actions as Array<{ action: string; result: string }>) ?? []).map((a) => `${a.action} ${a.result}`).join(', ')})`,
            failover ? { phase: 'fenced', confirmed: out.confirmed } : { confirmed: out.confirmed },
          );
          evidence.fences.push({
            t: t(at),
            at: iso(at),
            run: run.label,
            confirmed: out.confirmed === true,
            deferred: out.deferred === true,
            actions: ((out.actions as Array<{ action: string; result: string }>) ?? []).map((a) => `${a.action}: ${a.result}`),
          });
          break;
        case 'promote-standby':
          if (s.input.phase === 'scale-up') {
            log(at, run, `scale-up: ${String(out.action)} ${truncate(String(out.detail ?? ''), 160)}`);
            break;
          }
          log(
            at,
            run,
            `promotion: ${String(out.action)}${out.started ? '' : ' (already done)'}: ${truncate(String(out.detail ?? ''), 160)}`,
            failover ? { phase: 'promoting', action: out.action } : { action: out.action },
          );
          evidence.promotions.push({
            t: t(at),
            at: iso(at),
            run: run.label,
            action: String(out.action ?? ''),
            target: str(obj(out.target).id),
            started: out.started === true,
          });
          if (out.started === true) {
            failovers++;
            promotedBy.push({ run, at });
          }
          if (str(obj(out.target).id)) writer = String(obj(out.target).id);
          break;
        case 'switchover-global-cluster':
          if (out.started === true) {
            failovers++;
            promotedBy.push({ run, at });
          }
          evidence.promotions.push({
            t: t(at),
            at: iso(at),
            run: run.label,
            action: String(out.action ?? 'SwitchoverGlobalCluster'),
            target: str(obj(out.target).id),
            started: out.started === true,
          });
          break;
        case 'check-standby':
          if (out.ready === true && !writable) {
            writable = true;
            log(at, run, `the standby takes writes (${String(out.status)})`, failover ? { phase: 'promoted' } : {});
          }
          break;
        case 'switch-dns':
          log(
            at,
            run,
            out.changeId ? `DNS switched to ${String(out.current)} (change ${String(out.changeId)})` : `DNS already pointed at ${String(out.current)}`,
            failover ? { phase: 'dns-switched' } : {},
          );
          evidence.dnsSwitches.push({
            t: t(at),
            at: iso(at),
            run: run.label,
            changeId: str(out.changeId),
            previous: str(out.previous),
            current: str(out.current),
          });
          break;
        case 'verify-writes':
          log(at, run, `writes verified through ${String(out.host)}`, failover ? { phase: 'writes-verified' } : {});
          break;
        default:
          if (s.folder === 'states:startExecution')
            log(
              at,
              run,
              `started ${String(s.input.StateMachineArn ?? '')
                .split(':')
                .pop()}`,
            );
      }
    }
    if (run.stoppedAt !== null)
      log(
        run.stoppedAt,
        run,
        `${run.status}${run.error ? ` (${run.error})` : ''} after ${run.stateTransitions} state transitions (${run.historyEvents} history events)`,
        { status: run.status, ...(run.error ? { error: run.error } : {}) },
      );
  }
  timeline.sort((a, b) => a.t - b.t);

  // The workflow's RTO, as the record states it (else from the history's trigger and write check).
  const failedOver = main.record?.timeline?.filter((e) => e.phase === 'failed-over').pop();
  const verified = main.steps.find((s) => s.folder === 'verify-writes' && s.output?.ok === true);
  const recordedRto = failedOver ? rtoSecondsOf(failedOver.detail ?? {}) : null;
  const triggeredAt = str(failedOver?.detail?.triggeredAt) ?? (Number.isFinite(triggerAt) ? iso(triggerAt) : null);
  const writesVerifiedAt = str(failedOver?.detail?.writesVerifiedAt) ?? str(verified?.output?.at);
  const outcome = outcomeOf(runs, {
    waiting,
    escalatedRuns,
    promotedBy,
    rejected: evidence.approvals.some((a) => a.step === 'failover' && a.answer === 'reject'),
  });
  // Without the record (gone, or never written), the history's own instants, once the run failed over.
  const failedOverRun = promotedBy.some((p) => p.run === main) && verified !== undefined;
  const fromTrigger = recordedRto ?? (failedOverRun && triggeredAt && writesVerifiedAt ? rtoSecondsOf({ triggeredAt, writesVerifiedAt }) : null);
  // A drill that started a fault experiment: its record counts the RTO from the experiment's start
  // (the fault's onset, record-incident's drillRto), and so does this report.
  const drillRto = obj(failedOver?.detail?.drillRto);
  const faultStartedAt = evidence.drill && drillRto.from === 'fault-onset' && typeof drillRto.seconds === 'number' ? str(drillRto.since) : null;
  const rtoSeconds = faultStartedAt ? (drillRto.seconds as number) : fromTrigger;
  if (rtoSeconds !== null && triggeredAt && writesVerifiedAt) {
    evidence.rto = faultStartedAt
      ? { seconds: rtoSeconds, from: 'fault-onset', triggeredAt, faultStartedAt, writesVerifiedAt }
      : { seconds: rtoSeconds, from: 'trigger', triggeredAt, writesVerifiedAt };
  }
  if (firstVerdictAt !== undefined && evidence.trigger?.at) evidence.verificationSeconds = round3((firstVerdictAt - Date.parse(evidence.trigger.at)) / 1000);

  // What only the twin's ground truth knows.
  const notMeasured = evidence.notMeasured;
  notMeasured.push({
    field: 'failureAt',
    why: 'when the primary really stopped taking writes is not observed in an account: the timeline starts at the trigger (evidence.origin)',
  });
  notMeasured.push({ field: 'detectionSeconds', why: "needs the failure's true onset; the trigger to the verdict is evidence.verificationSeconds" });
  notMeasured.push({
    field: 'dataLossSeconds',
    why: 'the writes really lost are not observed; the data at risk the budget check measured at the decision is evidence.dataAtRisk',
  });
  notMeasured.push({
    field: 'invariants',
    why: "judged on the twin's ground truth (every write and every instance's role); a real run's history does not show them",
  });
  notMeasured.push({ field: 'liveness', why: "judged on the twin's ground truth (whether a failover was warranted)" });
  notMeasured.push({ field: 'apiCalls', why: "the history shows the workflow's own tasks, not every API call (CloudTrail does)" });
  if (writer === null) notMeasured.push({ field: 'writer', why: 'nothing was promoted: the history does not show which instance takes writes' });
  notMeasured.push({
    field: 'rtoSeconds',
    why:
      evidence.rto?.from === 'fault-onset'
        ? "in this report the RTO runs from the fault experiment's start (the fault's onset, as the drill's record counts it) to the first verified write through the DNS name (evidence.rto), not from when the primary really stopped taking writes"
        : 'in this report the RTO runs from the trigger to the first verified write through the DNS name (evidence.rto), not from the failure',
  });

  const executions: ExecutionSummary[] = runs.map((r) => ({
    stateMachine: r.label,
    status: r.status,
    stateTransitions: r.stateTransitions,
    historyEvents: r.historyEvents,
    name: r.name,
    startedAt: t(r.startedAt),
    stoppedAt: r.stoppedAt === null ? null : t(r.stoppedAt),
    ...(r.error ? { error: r.error } : {}),
  }));
  const end = Math.max(...runs.map((r) => r.stoppedAt ?? r.startedAt), ...timeline.map((e) => origin + e.t * 1000));

  const dataAtRisk = evidence.dataAtRisk
    ? evidence.dataAtRisk.estimate === 'strict'
      ? evidence.dataAtRisk.boundSeconds
      : evidence.dataAtRisk.lagSeconds
    : null;
  const owner = objectivesFor(input.config, database, evidence.drill?.requestedFor);
  let objectives: ObjectivesSummary | undefined;
  if (owner) {
    const promoted = outcome === 'failed-over' || outcome === 'failed-back';
    const j = judgeObjectives(owner.objectives, rtoSeconds, promoted ? dataAtRisk : null);
    objectives = {
      database: owner.database,
      ...owner.objectives,
      comparedRtoSeconds: rtoSeconds,
      comparedDataLossSeconds: promoted ? dataAtRisk : null,
      dataLossFrom: 'data-at-risk-at-decision',
      ...j,
    };
  }
  const roleDb = obj(main.input.database);
  const report: Report = {
    scenario: `execution ${main.name}`,
    seed: 0,
    outcome,
    writer,
    failovers,
    rtoSeconds,
    detectionSeconds: null,
    dataLossSeconds: null,
    timeline,
    executions,
    apiCalls: {},
    invariants: [],
    expectations: [],
    description: `Evidence of ${runs.map((r) => `${r.label} run ${r.name}`).join(' and ')}, from the execution history${runs.some((r) => r.record) ? ' and the incident record' : ''}${input.where === 'twin' ? ' (cloud twin)' : ''}.`,
    database,
    runForSeconds: round3((end - origin) / 1000),
    failureAt: null,
    roles: {
      primary: str(obj(roleDb.primary).instanceId) ?? str(obj(roleDb.primary).clusterId),
      standby: str(obj(roleDb.standby).instanceId) ?? str(obj(roleDb.standby).clusterId),
    },
    ...(dbConfig ? { config: summarizeConfig(input.config, database, input.configSource) } : {}),
    ...(objectives ? { objectives } : {}),
    evidence,
  };
  return reportSchema.parse(report);
}

// ------------------------------------------------------------------ reading (AWS or the twin)

/** Every event of an execution's history, oldest first (GetExecutionHistory, pages of 1000). */
export async function readExecutionHistory(env: OpsEnv, executionArn: string): Promise<HistoryEventLike[]> {
  const region = regionOf(executionArn);
  const events: HistoryEventLike[] = [];
  let nextToken: string | undefined;
  do {
    const out = await readCall(env, 'states:GetExecutionHistory', region, `execution ${executionArn}`, () =>
      env
        .clients(region)
        .sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) })),
    );
    events.push(...((out.events ?? []) as HistoryEventLike[]));
    nextToken = out.nextToken;
  } while (nextToken);
  return events;
}

/** The Region of an execution ARN. */
export function regionOf(executionArn: string): string {
  const region = executionArn.split(':')[3];
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(executionArn) || !region)
    throw new Error(`not a Step Functions execution ARN: ${JSON.stringify(executionArn)} (arn:aws:states:<region>:<account>:execution:<state machine>:<name>)`);
  return region;
}

async function readRun(env: OpsEnv, prefix: string, tableName: string, tableRegion: string, executionArn: string): Promise<RunEvidence> {
  const region = regionOf(executionArn);
  const d = await readCall(env, 'states:DescribeExecution', region, `execution ${executionArn}`, () =>
    env.clients(region).sfn.send(new DescribeExecutionCommand({ executionArn })),
  );
  const events = await readExecutionHistory(env, executionArn);
  const execution: ExecutionView = {
    executionArn,
    ...(d.stateMachineArn ? { stateMachineArn: d.stateMachineArn } : {}),
    ...(d.name ? { name: d.name } : {}),
    ...(d.status ? { status: d.status } : {}),
    ...(d.startDate ? { startDate: d.startDate } : {}),
    ...(d.stopDate ? { stopDate: d.stopDate } : {}),
    ...(d.error ? { error: d.error } : {}),
    ...(d.cause ? { cause: d.cause } : {}),
  };
  const incidentId = incidentIdOf(events) ?? (machineOf(executionArn, prefix) === 'failover' ? execution.name : undefined);
  const record = incidentId ? await readRecord(env, tableName, tableRegion, incidentId) : undefined;
  return { execution, events, ...(record ? { record } : {}) };
}

/** The incident id the run recorded under (record-incident's input in the history). */
export function incidentIdOf(events: readonly HistoryEventLike[]): string | undefined {
  for (const e of events) {
    if (e.type !== 'LambdaFunctionScheduled') continue;
    const d = details(e);
    if (!String(d.resource ?? '').includes('record-incident')) continue;
    const id = str(obj(parse(d.input)).incidentId);
    if (id) return id;
  }
  return undefined;
}

async function readRecord(env: OpsEnv, tableName: string, region: string, incidentId: string): Promise<EvidenceRecord | undefined> {
  const out = await readCall(env, 'dynamodb:GetItem', region, `table ${tableName}`, () =>
    env
      .clients(region)
      .ddb.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk: `INCIDENT#${incidentId}`, sk: 'INCIDENT' }), ConsistentRead: true })),
  );
  return out.Item ? (unmarshall(out.Item) as EvidenceRecord) : undefined;
}

/**
 * The run paired with this one: the failback a failover started (its `states:startExecution`
 * output in the history), or the failover whose incident a failback's record names
 * (`failoverIncidentId`: the failover execution's name).
 */
export function pairedArn(run: RunEvidence, failoverStateMachineArn: string, prefix: string): string | undefined {
  for (const e of run.events) {
    if (e.type !== 'TaskSucceeded') continue;
    const d = details(e);
    if (d.resourceType === 'states' && d.resource === 'startExecution') {
      const arn = str(obj(parse(d.output)).ExecutionArn);
      if (arn) return arn;
    }
  }
  const first = run.record?.timeline?.find((x) => str(x.detail?.failoverIncidentId));
  const failoverId = str(first?.detail?.failoverIncidentId);
  if (failoverId && machineOf(run.execution.executionArn, prefix) === 'failback') {
    return failoverStateMachineArn.replace(':stateMachine:', ':execution:') + `:${failoverId}`;
  }
  return undefined;
}

export interface EvidenceOptions {
  /** Also read the paired run (default true). */
  pair?: boolean;
  configSource?: string;
}

/** Reads an execution (and its pair) and builds its report. */
export async function readEvidence(config: FailoverConfig, env: OpsEnv, executionArn: string, options: EvidenceOptions = {}): Promise<Report> {
  regionOf(executionArn);
  const control = await locateControl(config, env);
  const first = await readRun(env, config.prefix, control.tableName, control.region, executionArn);
  const runs = [first];
  const paired = options.pair === false ? undefined : pairedArn(first, control.failoverArn, config.prefix);
  if (paired && paired !== executionArn) {
    try {
      runs.push(await readRun(env, config.prefix, control.tableName, control.region, paired));
    } catch (err) {
      // A pair that is gone (history older than 90 days) leaves the report to the run asked for.
      if ((err as { awsError?: string })?.awsError !== 'ExecutionDoesNotExist') throw err;
    }
  }
  return buildEvidenceReport({ config, runs, where: env.where, ...(options.configSource ? { configSource: options.configSource } : {}) });
}

/**
 * The failover execution of a database's last incident (`failover report latest`): the state
 * item's `lastIncidentId` (a failback's id is its failover's with `-failback`) is the failover
 * execution's name.
 */
export async function latestExecution(config: FailoverConfig, env: OpsEnv, database: string): Promise<string> {
  const control = await locateControl(config, env);
  const out = await readCall(env, 'dynamodb:GetItem', control.region, `table ${control.tableName}`, () =>
    env
      .clients(control.region)
      .ddb.send(new GetItemCommand({ TableName: control.tableName, Key: marshall({ pk: `DB#${database}`, sk: 'STATE' }), ConsistentRead: true })),
  );
  const last = str(out.Item ? unmarshall(out.Item).lastIncidentId : undefined);
  if (!last) throw new Error(`${database} has had no incident yet (no lastIncidentId in ${control.tableName}): nothing to report on`);
  return `${control.failoverArn.replace(':stateMachine:', ':execution:')}:${last.replace(/-failback$/, '')}`;
}
