/**
 * The subscription check. Pure: compares the topic's subscriptions with the configured
 * notification emails. An email subscription SNS lists with SubscriptionArn `PendingConfirmation`
 * waits for its owner to click the link; one that was removed (unsubscribed, deleted, or
 * `Deleted` while being removed) is not there at all. Either way the address receives nothing,
 * which is what `UnconfirmedEmailSubscriptions` counts (docs/aws-behaviour.md, "Email
 * subscriptions").
 */
import { METRICS } from '../shared/contracts.js';

/** One subscription as ListSubscriptionsByTopic returns it (the fields read). */
export interface ListedSubscription {
  Protocol?: string;
  Endpoint?: string;
  SubscriptionArn?: string;
}

export interface SubscriptionReport {
  confirmed: string[];
  pending: string[];
  missing: string[];
}

/** SNS keeps the endpoint as given; addresses are compared without regard to case. */
const normalized = (email: string): string => email.trim().toLowerCase();

/** A subscription SNS delivers to: confirmed, with a real ARN. */
const isConfirmed = (s: ListedSubscription): boolean => typeof s.SubscriptionArn === 'string' && s.SubscriptionArn.startsWith('arn:');

/** Sorts each configured email into confirmed, pending or missing (in the config's order, duplicates once). */
export function compareSubscriptions(emails: readonly string[], subscriptions: readonly ListedSubscription[]): SubscriptionReport {
  const byEmail = new Map<string, ListedSubscription[]>();
  for (const s of subscriptions) {
    if (s.Protocol !== 'email' || !s.Endpoint) continue;
    const key = normalized(s.Endpoint);
    byEmail.set(key, [...(byEmail.get(key) ?? []), s]);
  }
  const report: SubscriptionReport = { confirmed: [], pending: [], missing: [] };
  const seen = new Set<string>();
  for (const email of emails) {
    const key = normalized(email);
    if (seen.has(key)) continue;
    seen.add(key);
    const found = byEmail.get(key) ?? [];
    if (found.some(isConfirmed)) report.confirmed.push(email);
    else if (found.some((s) => s.SubscriptionArn === 'PendingConfirmation')) report.pending.push(email);
    else report.missing.push(email);
  }
  return report;
}

/** The datum the check publishes: how many configured emails receive nothing. */
export function unconfirmedDatum(report: SubscriptionReport, at: Date) {
  return { MetricName: METRICS.unconfirmedEmails, Timestamp: at, Value: report.pending.length + report.missing.length, Unit: 'Count' as const };
}
