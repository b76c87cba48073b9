/**
 * Builds an approval request: the record (with the task token, stored only there) and the
 * notification (never the token) that tells a human what happened, why they are asked, what
 * each answer does and how to answer.
 */
import { approvalLink } from '../shared/approval-links.js';
import { approvalKey } from '../shared/approval-key.js';
import type { ApprovalEffects, ApprovalRecord } from '../shared/approvals.js';
import { isAurora } from '../shared/config-values.js';
import type { requestApprovalInput } from '../shared/contracts.js';
import { stripSensitive } from '../shared/redact.js';
import type * as z from 'zod/mini';

export type RequestApprovalInput = z.output<typeof requestApprovalInput>;

/** Approval records are kept this long after they expire (DynamoDB TTL), for the incident history. */
export const APPROVAL_RETENTION_DAYS = 30;
/** SNS limits subjects to 100 characters. */
export const MAX_SUBJECT_LENGTH = 100;

export interface ApprovalRequestPlan {
  approvalId: string;
  expiresAt: string;
  record: ApprovalRecord;
  subject: string;
  message: string;
}

export interface PlanOptions {
  approvalId: string;
  now: Date;
  /** Base URL of the approval page; the signed link (`?id=…&exp=…&sig=…`) is built from it with `signingKey`. */
  approvalUrl?: string;
  /** The approval signing key: without it no link is sent (the page refuses unsigned links). */
  signingKey?: Uint8Array;
  /** Region of the state machine (for the console link). */
  region: string;
  /**
   * How long the emailed link works (config approvals.linkLifetimeMinutes), capped by the
   * approval's own expiry. @default the approval's expiry
   */
  linkLifetimeSeconds?: number;
}

const siteId = (site: { instanceId?: string; clusterId?: string }): string => site.instanceId ?? site.clusterId ?? '(unnamed)';

/** What is being asked, as a short phrase for the subject. */
const ASKED: Record<RequestApprovalInput['decision'], string> = {
  promote: 'fail over',
  'promote-unfenced': 'fail over without a confirmed fence',
  'accept-data-loss': 'fail over accepting data loss',
  'fail-back': 'fail back',
};

/** "30 minutes", "24 hours", "90 seconds". */
export function humanDuration(seconds: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (seconds > 0 && seconds % 3600 === 0) return unit(seconds / 3600, 'hour');
  if (seconds > 0 && seconds % 60 === 0) return unit(seconds / 60, 'minute');
  return unit(seconds, 'second');
}

/** A subject SNS accepts: printable ASCII, one line, at most 100 characters. */
export function safeSubject(text: string): string {
  const clean = text
    .replace(/[^\x20-\x7e]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length <= MAX_SUBJECT_LENGTH ? clean : `${clean.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}

const formatFact = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/**
 * What is known to be missing from the standby, from the facts: the lag as a figure, or that it is
 * NOT known (then the approver accepts an unknown amount), with the budget check's own words.
 */
function missing(input: RequestApprovalInput): string {
  const lag = input.facts.lagSeconds;
  const bound = input.facts.boundSeconds;
  const detail = typeof input.facts.dataLoss === 'string' && input.facts.dataLoss ? ` (${input.facts.dataLoss})` : '';
  const atMost =
    typeof lag === 'number' && typeof bound === 'number' && Number.isFinite(bound) && Math.round(bound) > Math.round(lag)
      ? `, at most ${humanDuration(Math.round(bound))} counting the time the last sample could not see,`
      : '';
  return typeof lag === 'number' && Number.isFinite(lag)
    ? `about ${humanDuration(Math.round(lag))}${atMost} of writes from before the failure, which the standby had not received, are missing from the new primary${detail}.`
    : `an UNKNOWN amount of writes is missing from the new primary: how far behind the standby is cannot be measured${detail}. Approve only if you accept losing every write since the standby last replicated.`;
}

/**
 * What approving does. A failback's database comes in its current roles: `primary` is the site
 * that takes writes now, `standby` the rebuilt original site that takes them back.
 */
function onApprove(input: RequestApprovalInput): string {
  const db = input.database;
  const primary = `${siteId(db.primary)} (${db.primary.region})`;
  const standby = `${siteId(db.standby)} (${db.standby.region})`;
  const promotion = isAurora(db.engine)
    ? `the global cluster fails over to ${standby}`
    : db.standby.readiness === 'cold'
      ? `the cold standby in ${db.standby.region} is started and becomes the writer`
      : `the standby ${standby} is promoted`;
  switch (input.decision) {
    case 'promote':
      return `the failover goes on: the old primary ${primary} is fenced if it is not already, ${promotion}, ${db.dns.recordName} is pointed at it and writes through that name are checked.`;
    case 'promote-unfenced':
      return `${promotion} and ${db.dns.recordName} is pointed at it although the old primary ${primary} could NOT be confirmed fenced: if it is still alive it may keep taking writes from clients that reach it (two writers). Approve only if you know it is down or cut off.`;
    case 'accept-data-loss':
      return `the failover goes on although the data-loss budget (${db.failover.rpoBudgetSeconds} s) is exceeded: ${promotion}, and ${missing(input)} The old primary is kept, never deleted, so they can be recovered later. Before acting, the workflow probes the primary once more and reads the budget again: if the primary answers it stands down, and if the data at risk got worse (over budget where it was within, or unknown where it was known) it asks again.`;
    case 'fail-back':
      return isAurora(db.engine)
        ? `a planned switchover without data loss (SwitchoverGlobalCluster) moves writes from ${primary} back to ${standby}, and ${db.dns.recordName} is pointed back at it.`
        : `a planned switchover without data loss moves writes from ${primary} back to ${standby}: ${db.traffic ? `application traffic is shifted back step by step (${db.traffic.drainSteps.join(', ')} %, each watched ${db.traffic.stepObservationMinutes} min; an alarm rolls it back), then ` : ''}writes on ${primary} are fenced, ${standby} is promoted once it has every write, ${db.dns.recordName} is pointed back at it, writes are checked, and ${primary} is preserved and rebuilt as the new standby.`;
  }
}

function onReject(input: RequestApprovalInput): string {
  const db = input.database;
  return input.step === 'failback'
    ? `no failback: ${siteId(db.primary)} (${db.primary.region}) keeps serving writes, and ${siteId(db.standby)} (${db.standby.region}) stays its standby.`
    : `the run stops here: no promotion and no DNS change (what was already done, such as a fence, stays as recorded in the incident) and the incident is closed as aborted.`;
}

function onTimeout(input: RequestApprovalInput, expiresAt: string): string {
  return input.step === 'failback'
    ? `nothing changes after ${expiresAt}: the current primary keeps serving writes, the rebuilt replica stays the standby, the operators are told and the failback run ends as escalated (its lease is released: nothing is half-done).`
    : `nothing changes after ${expiresAt}: the operators are told and the run escalates.`;
}

/** The effects stored with the approval, for the approval page. */
export const approvalEffects = (input: RequestApprovalInput, expiresAt: string): ApprovalEffects => ({
  approve: onApprove(input),
  reject: onReject(input),
  timeout: onTimeout(input, expiresAt),
});

/** The record to store and the notification to send for one approval request. */
export function planApprovalRequest(input: RequestApprovalInput, opts: PlanOptions): ApprovalRequestPlan {
  const createdAt = opts.now.toISOString();
  const expiresMs = opts.now.getTime() + input.timeoutSeconds * 1000;
  const expiresAt = new Date(expiresMs).toISOString();
  // `drill` is the run's drill marker, null on a run that is not a drill: then it is no fact.
  const shown = stripSensitive(input.facts);
  const facts = shown.drill === null ? Object.fromEntries(Object.entries(shown).filter(([k]) => k !== 'drill')) : shown;
  const db = input.database;

  const record: ApprovalRecord = {
    ...approvalKey(opts.approvalId),
    approvalId: opts.approvalId,
    taskToken: input.taskToken,
    database: db.name,
    incidentId: input.incidentId,
    step: input.step,
    decision: input.decision,
    reasons: input.reasons,
    facts,
    status: 'pending',
    pendingDatabase: db.name,
    createdAt,
    expiresAt,
    ttl: Math.floor(expiresMs / 1000) + APPROVAL_RETENTION_DAYS * 86_400,
    effects: approvalEffects(input, expiresAt),
  };

  // A drill run's question says so (its facts carry the run's drill marker; null on other runs).
  const drill = typeof facts.drill === 'object' && facts.drill !== null ? (facts.drill as { requestedFor?: unknown; fault?: unknown }) : undefined;
  const subject = safeSubject(`[rds-failover]${drill ? ' DRILL' : ''} ${db.name}: approval needed to ${ASKED[input.decision]}`);
  // A short-lived link: a leaked email is worth less; a longer wait is answered by CLI or console.
  const linkExpiresMs = opts.linkLifetimeSeconds !== undefined ? Math.min(expiresMs, opts.now.getTime() + opts.linkLifetimeSeconds * 1000) : expiresMs;
  const page = opts.approvalUrl && opts.signingKey ? approvalLink(opts.approvalUrl, opts.signingKey, opts.approvalId, new Date(linkExpiresMs)) : undefined;
  const consoleUrl = `https://${opts.region}.console.aws.amazon.com/states/home?region=${opts.region}#/statemachines`;
  const factLines = Object.entries(facts).map(([k, v]) => `  ${k}: ${formatFact(v)}`);
  const direction = input.step === 'failback' ? `from ${db.primary.region} back to ${db.standby.region}` : `from ${db.primary.region} to ${db.standby.region}`;

  const message = [
    ...(drill
      ? [
          `DRILL (game day of ${String(drill.requestedFor)}; fault: ${String(drill.fault ?? 'none')}): a drill run asks, as it would in a real incident. Answer as you would then.`,
          '',
        ]
      : []),
    `Database ${db.name} (${db.engine}): a human decision is needed to ${ASKED[input.decision]} ${direction}.`,
    '',
    'What happened',
    `  Incident ${input.incidentId}: the ${input.step} workflow stopped before acting and waits for an answer.`,
    '',
    'Why you are asked',
    ...input.reasons.map((r) => `  - ${r}`),
    '',
    'Facts',
    ...(factLines.length ? factLines : ['  (none recorded)']),
    '',
    `If you approve: ${onApprove(input)}`,
    `If you reject: ${onReject(input)}`,
    `If nobody answers by ${expiresAt} (${humanDuration(input.timeoutSeconds)} from now): ${input.step === 'failback' ? 'nothing changes: the current primary keeps serving, the operators are told, and the failback run ends as escalated.' : 'nothing changes, the operators are told, and the run escalates.'}`,
    '',
    `How to answer (approval id ${opts.approvalId}: single use, expires ${expiresAt})`,
    ...(page
      ? [
          `  - Approval page: ${page}`,
          linkExpiresMs < expiresMs
            ? `    (opening the page changes nothing: press Approve or Reject on it; the link works for this decision only; the link works until ${new Date(linkExpiresMs).toISOString()}; after that, answer with the CLI or the console)`
            : '    (opening the page changes nothing: press Approve or Reject on it; the link works for this decision only, until it expires)',
        ]
      : opts.approvalUrl
        ? ['  - (the approval page is deployed, but its link could not be signed: answer with the CLI)']
        : []),
    `  - CLI: failover approvals list --database ${db.name}`,
    `         failover approve ${opts.approvalId}`,
    `         failover reject ${opts.approvalId} --reason "..."`,
    `  - Step Functions console (${opts.region}): ${consoleUrl}`,
    `    the ${input.step} execution of incident ${input.incidentId} waits at its approval step (its input says what is awaited); answer with the page or the CLI.`,
  ].join('\n');

  return { approvalId: opts.approvalId, expiresAt, record, subject, message };
}
