/**
 * Does the original site answer again? Pure readings of what the RDS API in the original Region
 * reported, and the backoff between checks. "Not yet" is an answer, never an error: the workflow
 * waits (5 minutes, doubling, at most 15 minutes, or longer for a long failback.maxWaitHours so
 * that the wait fits in the execution's history: lambdas/shared/history-budget.ts) and asks again,
 * until failback.maxWaitHours.
 */
import type { CheckOriginalSiteOutput } from '../shared/contracts.js';
import { SITE_FIRST_WAIT_SECONDS, siteCapSeconds } from '../shared/history-budget.js';

/** What the original site's Region said. */
export type SiteReading =
  | { kind: 'unreachable'; detail: string }
  | { kind: 'instance'; id: string; found: boolean; status?: string; source?: string }
  | { kind: 'aurora'; id: string; found: boolean; status?: string; member?: { isWriter: boolean; synchronization?: string } };

export type Readiness = Pick<CheckOriginalSiteOutput, 'answered' | 'ready' | 'status' | 'detail'>;

/**
 * Instances: ready when the old instance is `available` (it can be snapshotted, renamed and
 * stopped) or gone (nothing to preserve). Aurora: ready when the old primary cluster is back as an
 * available secondary of the global cluster (Aurora rejoins it after a failover).
 */
export function siteReadiness(r: SiteReading): Readiness {
  if (r.kind === 'unreachable') return { answered: false, ready: false, status: null, detail: `the original Region does not answer: ${r.detail}` };
  if (!r.found) {
    return r.kind === 'instance'
      ? {
          answered: true,
          ready: true,
          status: 'absent',
          detail: `${r.id} does not exist in the original Region: there is nothing to preserve, the replica can be built`,
        }
      : {
          answered: true,
          ready: false,
          status: 'absent',
          detail: `cluster ${r.id} does not exist in the original Region: Aurora cannot switch back to it (recreate it as a secondary of the global cluster)`,
        };
  }
  const status = r.status ?? 'unknown';
  if (r.kind === 'instance') {
    if (status === 'available') {
      return { answered: true, ready: true, status, detail: r.source ? `${r.id} is available (a replica of ${r.source})` : `${r.id} is available again` };
    }
    return {
      answered: true,
      ready: false,
      status,
      detail: `${r.id} is ${status}: waiting until it is available (a stopped instance must be started by an operator)`,
    };
  }
  if (!r.member) return { answered: true, ready: false, status, detail: `cluster ${r.id} is ${status} but not (yet) a member of the global cluster` };
  if (r.member.isWriter)
    return {
      answered: true,
      ready: false,
      status,
      detail: `cluster ${r.id} is already the global writer: the roles do not match the record, check them before failing back`,
    };
  if (status !== 'available') return { answered: true, ready: false, status, detail: `cluster ${r.id} is ${status}` };
  return {
    answered: true,
    ready: true,
    status,
    detail: `cluster ${r.id} is an available secondary again${r.member.synchronization ? ` (${r.member.synchronization})` : ''}`,
  };
}

/** The wait after check number `attempt` (1-based): 5, 10 minutes, then the cap for `maxWaitHours` (15 minutes up to 120 hours). */
export const nextWaitSeconds = (attempt: number, maxWaitHours: number): number =>
  Math.min(siteCapSeconds(maxWaitHours), SITE_FIRST_WAIT_SECONDS * 2 ** Math.min(30, Math.max(0, attempt - 1)));

/** Give up when not ready and maxWaitHours have passed since the waiting started. */
export function giveUp(ready: boolean, waitingSince: Date, now: Date, maxWaitHours: number): boolean {
  if (ready) return false;
  const since = waitingSince.getTime();
  if (!Number.isFinite(since)) return false;
  return now.getTime() - since >= maxWaitHours * 3600 * 1000;
}
