/**
 * The traffic drain: weighted Route 53 records in front of the application tier, one target per
 * site Region. A step moves `percent` % of the weight to the original site's Region (the standby
 * in the failback's current-roles view) and the rest to the current primary's; a rollback puts
 * back the weights read before the drain. Weights are 0–100 (Route 53 accepts 0–255). Each step is
 * gated on alarms: one in ALARM, one that went to ALARM since the last check (even if it is OK
 * again: its state-update history), or a named alarm found in neither Region, fails the step.
 */
import type { ChangeBatch } from '@aws-sdk/client-route-53';
import type { DatabaseConfig, TrafficConfig } from '../shared/config-schema.js';

export interface Weight {
  setIdentifier: string;
  region: string;
  /** null: no such weighted record (before the drain). */
  weight: number | null;
}

/** A record set as ListResourceRecordSets returns it (the fields used here). */
export interface RecordSet {
  Name?: string;
  Type?: string;
  SetIdentifier?: string;
  Weight?: number;
  HealthCheckId?: string;
}

const fqdn = (name: string): string => `${name.toLowerCase().replace(/\.$/, '')}.`;

/** The weights for a step: `percent` to the original (standby) Region, the rest to the current primary's. */
export function stepWeights(traffic: TrafficConfig, db: Pick<DatabaseConfig, 'primary' | 'standby'>, percent: number): Weight[] {
  return traffic.targets.map((t) => ({
    setIdentifier: t.setIdentifier,
    region: t.region,
    weight: t.region === db.standby.region ? percent : t.region === db.primary.region ? 100 - percent : 0,
  }));
}

/** The weights the records have now (null for a target without a record). */
export function currentWeights(traffic: TrafficConfig, records: readonly RecordSet[]): Weight[] {
  const name = fqdn(traffic.recordName);
  return traffic.targets.map((t) => {
    const found = records.find((r) => r.Name !== undefined && fqdn(r.Name) === name && r.Type === traffic.type && r.SetIdentifier === t.setIdentifier);
    return { setIdentifier: t.setIdentifier, region: t.region, weight: found?.Weight ?? null };
  });
}

/** Weights to put back after an alarm: as before the drain (a record that did not exist gets weight 0: never answered while another has weight). */
export const restoreWeights = (before: readonly Weight[]): Weight[] => before.map((w) => ({ ...w, weight: w.weight ?? 0 }));

/**
 * One UPSERT per target: all-or-nothing in one ChangeResourceRecordSets batch. An UPSERT replaces
 * the whole record set, so each record keeps the `HealthCheckId` it has now (`records`, as
 * ListResourceRecordSets returned them): without it the health check would be dropped
 * (docs/aws-behaviour.md, "Route 53 UPSERT").
 */
export function changeBatch(traffic: TrafficConfig, weights: readonly Weight[], comment: string, records: readonly RecordSet[] = []): ChangeBatch {
  const name = fqdn(traffic.recordName);
  return {
    Comment: comment.slice(0, 256),
    Changes: traffic.targets.map((t) => {
      const healthCheckId = records.find(
        (r) => r.Name !== undefined && fqdn(r.Name) === name && r.Type === traffic.type && r.SetIdentifier === t.setIdentifier,
      )?.HealthCheckId;
      return {
        Action: 'UPSERT' as const,
        ResourceRecordSet: {
          Name: traffic.recordName,
          Type: traffic.type,
          SetIdentifier: t.setIdentifier,
          Weight: weights.find((w) => w.setIdentifier === t.setIdentifier)?.weight ?? 0,
          TTL: traffic.ttlSeconds,
          ResourceRecords: [{ Value: t.value }],
          ...(healthCheckId ? { HealthCheckId: healthCheckId } : {}),
        },
      };
    }),
  };
}

/** One alarm as DescribeAlarms found it in one Region, or a Region that did not answer. */
export type AlarmReading = { region: string; name: string; state: string } | { region: string; error: string };

/**
 * The alarms that stop the drain: any in ALARM, a Region whose alarms could not be read, and a
 * configured alarm found in no Region (it cannot be watched). `optional` names (the heartbeat
 * alarm, which exists only next to the configured primary) may be missing.
 */
export function firingAlarms(readings: readonly AlarmReading[], required: readonly string[], optional: readonly string[] = []): string[] {
  const firing: string[] = [];
  for (const r of readings) {
    if ('error' in r) firing.push(`alarms in ${r.region} could not be read (${r.error})`);
    else if (r.state === 'ALARM') firing.push(`${r.name} (${r.region}) is in ALARM`);
  }
  const seen = new Set(readings.flatMap((r) => ('name' in r ? [r.name] : [])));
  const unreadable = readings.some((r) => 'error' in r);
  for (const name of required)
    if (!seen.has(name) && !unreadable && !optional.includes(name)) firing.push(`${name} was found in no Region: it cannot gate the drain`);
  return firing;
}

/** One alarm's state-update history since the last check (DescribeAlarmHistory), or a Region/alarm that could not be read. */
export type HistoryReading =
  | { region: string; name: string; items: ReadonlyArray<{ Timestamp?: Date | string; HistoryData?: string; HistorySummary?: string }> }
  | { region: string; name: string; error: string };

/** Did this state update put the alarm in ALARM? (HistoryData's newState, else the summary "… to ALARM".) */
export function wentToAlarm(item: { HistoryData?: string; HistorySummary?: string }): boolean {
  try {
    const data = JSON.parse(item.HistoryData ?? '') as { newState?: { stateValue?: string } };
    if (data?.newState?.stateValue) return data.newState.stateValue === 'ALARM';
  } catch {
    // not JSON: read the summary
  }
  return /\bto ALARM$/.test(item.HistorySummary ?? '');
}

/**
 * The alarms that went to ALARM since the last check, even if they are OK again (a flap between two
 * checks must not go unseen), and histories that could not be read (the gate cannot vouch for
 * them). `already` (alarms reported in ALARM now) are not repeated.
 */
export function alarmedSince(history: readonly HistoryReading[], already: readonly string[] = []): string[] {
  const firing: string[] = [];
  for (const h of history) {
    if ('error' in h) {
      firing.push(`the history of ${h.name} in ${h.region} could not be read (${h.error})`);
      continue;
    }
    if (already.some((f) => f.startsWith(`${h.name} (${h.region})`))) continue;
    const alarmed = h.items.filter(wentToAlarm);
    if (alarmed.length === 0) continue;
    const at = alarmed.map((i) => (i.Timestamp instanceof Date ? i.Timestamp.toISOString() : String(i.Timestamp ?? '?'))).sort();
    firing.push(`${h.name} (${h.region}) went to ALARM at ${at[0]} since the last check`);
  }
  return firing;
}
