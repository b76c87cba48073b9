/**
 * The verification verdict of the scenario database's runs, for the summary cards: the last
 * `verdict` phase of the timeline (the decisive one: an earlier one may have been a false alarm),
 * with its reason. The runner's entries read `failover 82c530a4: verdict: confirmed-down (reason)`;
 * other reports may carry `detail.verdict` and `verdict <name>: reason`.
 */
import type { Report } from './types.js';

export interface VerdictSummary {
  verdict: string;
  reason: string | null;
  /** How many verdicts the runs reached (one per verification). */
  count: number;
}

const RUNNER = /verdict: ([a-z-]+)(?: \((.*)\))?$/s;
const PLAIN = /verdict ([a-z-]+)(?::\s*(.*))?$/s;

/** The last verdict of the timeline, or null when no run reached one (pure). */
export function lastVerdict(report: Pick<Report, 'timeline'>): VerdictSummary | null {
  const entries = report.timeline.filter((e) => e.source === 'workflow' && e.detail.phase === 'verdict');
  const last = entries[entries.length - 1];
  if (!last) return null;
  const m = RUNNER.exec(last.event) ?? PLAIN.exec(last.event);
  const verdict = typeof last.detail.verdict === 'string' ? last.detail.verdict : (m?.[1] ?? 'reached');
  const reason = m?.[2]?.trim() || null;
  return { verdict, reason, count: entries.length };
}

/** The card's text: `confirmed-down: all 5 vantage points ...` (pure). */
export function verdictText(v: VerdictSummary | null): string {
  if (!v) return 'none (no verification ran)';
  return `${v.verdict}${v.reason ? `: ${v.reason}` : ''}${v.count > 1 ? ` (the last of ${v.count} verdicts)` : ''}`;
}

/**
 * What the figures are made of, said once under them: every figure is measured in the twin's virtual
 * time on the simulated clients and calls, and the AWS behaviour under it is modelled (durations of
 * promotions, backups and stack updates, DNS caching, replica lag), so the figures are the model's,
 * not a measurement of an account.
 */
export const MODELLED_NOTE =
  "Measured in the cloud twin's virtual time on simulated clients. Modelled, not measured on AWS: how long promotions, backups, " +
  'reboots and stack updates take, DNS caching (the TTL), replica lag and so the data loss (docs/aws-behaviour.md, twin/README.md).';

/** The failover's DNS switch beside its promotion, in one line. */
export function dnsOverlapText(o: NonNullable<Report['dnsOverlap']>): string {
  const after = Math.round((o.dnsSwitchedAt - o.promotionStartedAt) * 1000) / 1000;
  const when = `at t=${o.dnsSwitchedAt}s, ${after} s after the promotion began (t=${o.promotionStartedAt}s)`;
  if (o.writableAt === null) return `${when}; the standby was never seen taking writes`;
  if (o.parallelSeconds > 0) return `${when}: in parallel with it for ${o.parallelSeconds} s, until the standby was seen taking writes (t=${o.writableAt}s)`;
  return `${when}: after the standby was seen taking writes (t=${o.writableAt}s), in sequence`;
}

/** What a report built from a real execution's figures are (`failover report`). */
export const EVIDENCE_NOTE =
  'From the execution history and the incident record: what the workflow saw and did, at the times it recorded. The RTO runs from the trigger, ' +
  "not from the failure; the data loss, the invariants and the failure's true onset are known only to the cloud twin and are not measured here.";
