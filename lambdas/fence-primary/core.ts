/**
 * Fencing decisions: what an instance status means for open sessions, how revoked rules are
 * merged into the fence record, how an error is recorded, and when the fence counts as confirmed.
 *
 * A fence is confirmed only when both halves hold: every configured security group has no
 * ingress left (new connections refused) AND open sessions are gone (the instance was rebooted or
 * is down). Security groups are stateful, so revoking rules alone leaves tracked sessions writing.
 */
import { awsErrorName, isThrottling, isUnreachable, type AwsErrorLike } from '../shared/aws-errors.js';
import type { FenceOutput } from '../shared/contracts.js';

export type FenceAction = FenceOutput['actions'][number];
export type RevokedRules = FenceOutput['revoked'][number];

/** Instance states in which no client session can be open: nothing to cut. */
const DOWN_STATUSES = new Set(['failed', 'stopped', 'stopping', 'rebooting', 'storage-full', 'deleting', 'restore-error']);
const DOWN_PREFIXES = ['incompatible-', 'inaccessible-'];

export type SessionPlan = 'reboot' | 'down' | 'busy';

/**
 * What to do about open sessions on an instance in `status`: `reboot` it (available), nothing
 * (`down`: no session can be open), or nothing possible now (`busy`: mid-change, sessions may
 * remain, the fence is not confirmed). Stop is never used: it is refused while the instance has
 * read replicas, and the standby is one.
 */
export function sessionPlan(status: string): SessionPlan {
  if (status === 'available') return 'reboot';
  if (DOWN_STATUSES.has(status) || DOWN_PREFIXES.some((p) => status.startsWith(p))) return 'down';
  return 'busy';
}

/** How an AWS error is recorded in a fence action. Throttling is the only error the function throws. */
export type FenceErrorKind = 'throttled' | 'unreachable' | 'denied' | 'rejected';

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthFailure', 'UnrecognizedClientException']);

export function classifyFenceError(err: unknown): FenceErrorKind {
  if (isThrottling(err)) return 'throttled';
  if (isUnreachable(err)) return 'unreachable';
  if (DENIED.has(awsErrorName(err))) return 'denied';
  return 'rejected';
}

const KIND_TEXT: Record<Exclude<FenceErrorKind, 'throttled'>, string> = {
  unreachable: 'the primary Region did not answer',
  denied: 'access denied',
  rejected: 'the call failed',
};

/** A `failed` action for an error that is not throttling. */
export function failedAction(action: string, operation: string, err: unknown): FenceAction {
  const kind = classifyFenceError(err);
  const text = kind === 'throttled' ? 'throttled' : KIND_TEXT[kind];
  return { action, result: 'failed', detail: `${operation}: ${text} (${awsErrorName(err)}: ${(err as AwsErrorLike)?.message ?? String(err)})` };
}

/** JSON with sorted keys, so equal rules compare equal whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Adds the rules about to be revoked from `groupId` to the saved ones (no duplicates), so a
 * re-run that finds fewer (or no) rules never loses what an earlier run revoked.
 */
export function mergeRevoked(saved: readonly RevokedRules[], groupId: string, permissions: readonly unknown[]): { revoked: RevokedRules[]; changed: boolean } {
  const revoked = saved.map((r) => ({ groupId: r.groupId, permissions: [...r.permissions] }));
  let entry = revoked.find((r) => r.groupId === groupId);
  if (!entry) {
    entry = { groupId, permissions: [] };
    revoked.push(entry);
  }
  const known = new Set(entry.permissions.map(stableJson));
  let changed = false;
  for (const p of permissions) {
    const key = stableJson(p);
    if (!known.has(key)) {
      known.add(key);
      entry.permissions.push(p);
      changed = true;
    }
  }
  return { revoked, changed };
}

const HOLDS = new Set<FenceAction['result']>(['done', 'already-done']);

/** Confirmed: at least one security group, all of them closed, and open sessions cut. */
export function fenceConfirmed(ingress: readonly FenceAction[], sessions: FenceAction): boolean {
  return ingress.length > 0 && ingress.every((a) => HOLDS.has(a.result)) && HOLDS.has(sessions.result);
}
